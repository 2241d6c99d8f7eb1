/**
 * The collector daemon live: simulator (generated Binance USDⓈ-M and OKX markets, its
 * own process) → marketprism-collector (its own process, real WebSocket on loopback) →
 * nats-server JetStream, with the collector's default book settings (400 levels,
 * publish_interval 100 ms): every diff goes through the sync rule and is applied, books
 * are published at most 10 times a second per instrument, every trade is published.
 * Diffs are realistic in size: 20-40 book updates per push (tens of levels, as real
 * venues' 100 ms diffs), not the simulator's default 1-3.
 *
 * The figure: frames received per CPU-second of the collector process (utime + stime
 * from /proc/PID/stat, every thread: GC and compiler included), the median over several
 * consecutive windows with min-max. Checks over the windows: no record dropped, no book
 * problem (gap, checksum, crossing, ...), no resync, no invalid record.
 */
import { Rng } from '../src/sim/generate/rng.js';
import { instrumentSpec, SymbolMarket } from '../src/sim/generate/market.js';
import { between, startLiveRig, symbolList, type LiveOptions, type Reading } from './live-rig.js';
import { startBroker } from './broker.js';
import { fmt, load1 } from './measure.js';
import { byMode, type BenchMode } from './mode.js';
import type { Bench, BenchResult } from './registry.js';
import { median, round } from './stats.js';

/** Book updates per push in the live benchmarks: tens of levels per diff. */
export const REALISTIC_DIFF_UPDATES: readonly [number, number] = [20, 40];

/**
 * 2 symbols: the USDⓈ-M perpetuals, OKX spot pairs and swaps (6 books), `rate` pushes/s
 * asked per book; the simulator slows down when the collector does not read fast enough.
 */
export function liveOptions(rate: number, diffUpdates?: readonly [number, number]): LiveOptions {
  return { rate, symbols: symbolList(2), levels: 400, depth: 400, publishIntervalMs: 100, ...(diffUpdates ? { diffUpdates } : {}) };
}

/** Offered rates (pushes/s per book); MARKETPRISM_BENCH_RATES=100,300 overrides. */
export function liveRates(smoke: boolean, full: number[]): number[] {
  const env = process.env.MARKETPRISM_BENCH_RATES;
  return env ? env.split(',').map(Number) : smoke ? [50] : full;
}

export const liveTiming = (smoke: boolean) => (smoke ? { warmupMs: 500, windowMs: 2000 } : { warmupMs: 5000, windowMs: 20_000 });

/** Throws unless frames went in and records were acked: a smoke run checks that much. */
export function flowed(name: string, r: { messages_in_per_second: number; published_acked_per_second: number }): void {
  if (r.messages_in_per_second <= 0 || r.published_acked_per_second <= 0) throw new Error(`${name}: nothing flowed: ${JSON.stringify(r)}`);
}

/** 'ok', or what went wrong: records dropped, book problems, resyncs, invalid records. */
export function checks(r: { dropped: number; problems: number; resyncs: number; invalid: number }): string {
  const bad = (['dropped', 'problems', 'resyncs', 'invalid'] as const).filter((k) => r[k] !== 0).map((k) => `${k} ${r[k]}`);
  return bad.length ? `FAILED: ${bad.join(', ')}` : 'ok';
}

/** Mean distinct levels per pushed diff of a 400-level generated book at these updates per push. */
export function diffLevelsMean(updates: readonly [number, number], levels = 400): number {
  const m = new SymbolMarket(new Rng(7), instrumentSpec('BTC', 1, 3), { firstId: 1, idStep: [1, 1], maxLevels: levels, updatesPerStep: updates });
  let sum = 0;
  const n = 2000;
  for (let i = 0; i < 500 + n; i++) {
    m.step(i);
    const p = m.flush();
    if (i >= 500 && p) sum += p.bids.length + p.asks.length;
  }
  return round(sum / n, 1);
}

interface Plan {
  rates: number[];
  warmupMs: number;
  windowMs: number;
  windows: number;
}

const plan = (mode: BenchMode): Plan =>
  byMode(mode, {
    smoke: { rates: [20], warmupMs: 500, windowMs: 2000, windows: 1 },
    // 2500 pushes/s per book: about 25,000 frames/s in with the trades, a whole venue's rate (issue 9).
    quick: { rates: [100, 2500], warmupMs: 3000, windowMs: 5000, windows: 3 },
    full: { rates: [100, 300, 600, 1500, 2500], warmupMs: 5000, windowMs: 10_000, windows: 5 },
  });

/** Broker, simulator and collector; `windows` consecutive readings after warm-up. */
export async function measureWindows(opts: LiveOptions, p: { warmupMs: number; windowMs: number; windows: number }) {
  const broker = await startBroker();
  const rig = await startLiveRig(broker, opts).catch(async (err: unknown) => {
    await broker.close();
    throw err;
  });
  try {
    await new Promise((r) => setTimeout(r, p.warmupMs));
    const readings: Reading[] = [await rig.read()];
    for (let i = 0; i < p.windows; i++) {
      await new Promise((r) => setTimeout(r, p.windowMs));
      readings.push(await rig.read());
    }
    return { windows: readings.slice(1).map((b, i) => between(readings[i]!, b)), whole: between(readings[0]!, readings.at(-1)!) };
  } finally {
    await rig.stop();
    await broker.close();
  }
}

export const collectorLiveBench: Bench = {
  name: 'collector-live',
  async run(_smoke, mode = 'full') {
    const p = plan(mode);
    const rates = process.env.MARKETPRISM_BENCH_RATES ? process.env.MARKETPRISM_BENCH_RATES.split(',').map(Number) : p.rates;
    const out: BenchResult = { summary: '', diff_updates: REALISTIC_DIFF_UPDATES.join('-'), diff_levels_mean: diffLevelsMean(REALISTIC_DIFF_UPDATES) };
    const parts: string[] = [];
    for (const [i, rate] of rates.entries()) {
      const loadBefore = load1();
      const { windows, whole } = await measureWindows(liveOptions(rate, REALISTIC_DIFF_UPDATES), p);
      flowed('collector-live', whole);
      const per = windows.map((w) => w.frames_per_cpu_s);
      const fig = {
        ...whole,
        frames_per_cpu_s: median(per),
        frames_per_cpu_s_min: Math.min(...per),
        frames_per_cpu_s_max: Math.max(...per),
        checks: checks(whole),
        load1_before: loadBefore,
        load1_end: load1(),
      };
      if (mode === 'smoke' && fig.checks !== 'ok') throw new Error(`collector-live: ${fig.checks}: ${JSON.stringify(fig)}`);
      for (const [k, v] of Object.entries(fig)) out[`rate${rate}_${k}`] = v;
      // The headline is the first (lowest) rate: below saturation, where the cost per frame is the collector's own.
      if (i === 0) {
        out.frames_per_cpu_s = fig.frames_per_cpu_s;
        out.frames_per_cpu_s_spread = `${fig.frames_per_cpu_s_min}-${fig.frames_per_cpu_s_max}`;
        out.checks = fig.checks;
        out.rate = rate;
      }
      parts.push(
        `rate ${rate}/s/book: ${fmt(fig.frames_per_cpu_s)} frames/CPU-s (${fmt(fig.frames_per_cpu_s_min)}–${fmt(fig.frames_per_cpu_s_max)}), ` +
          `${fmt(whole.messages_in_per_second)} frames/s in, ${fmt(whole.published_acked_per_second)} records/s acked (${fmt(whole.orderbook_records_per_second)} books), ` +
          `CPU ${whole.collector_cpu_percent}% RSS ${whole.collector_rss_mb} MiB, latency p99 ${whole.publish_latency_p99_ms} ms, checks ${fig.checks}, load ${loadBefore}`,
      );
    }
    out.summary = `diffs ${out.diff_levels_mean} levels on average; ` + parts.join('; ');
    return out;
  },
};
