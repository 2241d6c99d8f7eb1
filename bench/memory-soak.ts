/**
 * The collector's memory over time under load with forced reconnects: the live rig
 * (simulator → collector over real WebSocket → nats-server), the collector's feeds
 * spread over many small connections (2 streams each), and at a steady cadence the
 * simulator drops the longest-open WebSocket of one simulator (each in proportion to its open sockets)
 * (`/__sim/inject` `close` with `count: 1`, terminate: TCP gone without a close frame),
 * so the collector reconnects, resubscribes and rebuilds those books again and again.
 * Each connection lives several times the cadence (over 30 s in the full run, which
 * resets the collector's reconnect backoff): closing every socket every few seconds
 * would only measure a collector waiting out its backoff. RSS (/proc) and V8 heap in use
 * (the collector's /metrics) are sampled all along; after warm-up a least-squares line
 * through RSS gives the growth in % of the mean RSS per hour, with its standard error.
 *
 * full: 1 hour, 1,000 reconnects (run by name only: `npm run bench -- memory-soak`);
 * quick: 90 s, 25 (the same cadence); smoke: 20 s, 4.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { jetstreamManager } from '@nats-io/jetstream';
import { startBroker } from './broker.js';
import { byMode, type BenchMode } from './mode.js';
import { startLiveRig, symbolList, type LiveOptions } from './live-rig.js';
import { load1 } from './measure.js';
import { procSample } from './procs.js';
import { parseMetrics } from './prom.js';
import type { Bench, BenchResult } from './registry.js';
import { fitLine, median, round } from './stats.js';

interface SoakPlan {
  durationMs: number;
  reconnects: number;
  sampleMs: number;
  /** Share of the run left out of the fit (allocations settle, code compiles, books fill). */
  warmupShare: number;
}

export const soakPlan = (mode: BenchMode): SoakPlan =>
  byMode(mode, {
    smoke: { durationMs: 20_000, reconnects: 4, sampleMs: 500, warmupShare: 0.25 },
    quick: { durationMs: 90_000, reconnects: 25, sampleMs: 1000, warmupShare: 0.33 },
    full: { durationMs: 3600_000, reconnects: 1000, sampleMs: 5000, warmupShare: 0.15 },
  });

/** 5 symbols on Binance USDⓈ-M and OKX swaps (10 books), 10 pushes/s each with 20-40 updates a push. */
export const soakOptions = (): LiveOptions => ({
  rate: 10,
  symbols: symbolList(5),
  levels: 400,
  depth: 400,
  publishIntervalMs: 100,
  venues: ['binance_derivatives', 'okx_derivatives'],
  diffUpdates: [20, 40],
  maxStreamsPerConnection: 2,
});

interface Sample {
  t: number;
  rssMb: number;
  heapMb: number;
}

export const memorySoakBench: Bench = {
  name: 'memory-soak',
  async run(_smoke, mode = 'full') {
    const plan = soakPlan(mode);
    const loadBefore = load1();
    const broker = await startBroker();
    const rig = await (async () => {
      // A 400-level book record is about 17 KB: an hour of them would fill the stream's 16 GB.
      const jsm = await jetstreamManager(broker.nc);
      const info = await jsm.streams.info('MARKET_DATA');
      await jsm.streams.update('MARKET_DATA', { ...info.config, max_bytes: 2 * 1024 ** 3 });
      return startLiveRig(broker, soakOptions());
    })().catch(async (err: unknown) => {
      await broker.close();
      throw err;
    });
    const samples: Sample[] = [];
    let injected = 0;
    const closes = rig.simUrls.map(() => 0);
    try {
      const first = await rig.read();
      const t0 = performance.now();
      const every = plan.durationMs / plan.reconnects;
      let nextInject = every / 2;
      let nextSample = 0;
      while (performance.now() - t0 < plan.durationMs) {
        const t = performance.now() - t0;
        if (t >= nextSample) {
          const m = parseMetrics(await (await fetch(rig.metricsUrl)).text());
          samples.push({ t, rssMb: procSample(rig.collector.pid).rssMb, heapMb: m.sum('marketprism_nodejs_heap_size_used_bytes') / 2 ** 20 });
          nextSample += plan.sampleMs;
        }
        if (t >= nextInject && injected < plan.reconnects) {
          const open = await Promise.all(
            rig.simUrls.map(async (u) => ((await (await fetch(`${u}/__sim/stats`)).json()) as { connectionsOpen: number }).connectionsOpen),
          );
          // Closes spread over the simulators in proportion to their open sockets: the fewest closes per socket next.
          const share = open.map((n, i) => (n > 0 ? closes[i]! / n : Infinity));
          const pick = share.indexOf(Math.min(...share));
          closes[pick]!++;
          const url = rig.simUrls[pick]!;
          const res = await fetch(`${url}/__sim/inject`, { method: 'POST', body: JSON.stringify({ kind: 'close', how: 'terminate', count: 1 }) });
          if (!res.ok) throw new Error(`memory-soak: inject close answered ${res.status}: ${await res.text()}`);
          injected++;
          nextInject += every;
        }
        await new Promise((r) => setTimeout(r, Math.max(1, Math.min(nextSample, nextInject) - (performance.now() - t0))));
      }
      // The last reconnect settles: every book published again before the final reading.
      await rig.waitReady(60_000);
      const last = await rig.read();
      const d = (name: string) => last.metrics.sum(name) - first.metrics.sum(name);
      const C = 'marketprism_collector_';
      const fit = growth(samples, plan);
      // The second half alone: whether a climb after warm-up (caches filling, such as the
      // adapters' 50,000 recent trade keys) has levelled off by then.
      const late = growth(samples, { durationMs: plan.durationMs, warmupShare: 0.5 });
      // Every sample, for a plot or another fit: bench/results is kept out of git.
      mkdirSync('bench/results', { recursive: true });
      writeFileSync(`bench/results/memory-soak-${mode}-samples.json`, JSON.stringify(samples));
      const acked = d(`${C}records_published_total`);
      const reconnects = d(`${C}reconnects_total`);
      if (acked <= 0) throw new Error(`memory-soak: nothing acked over ${plan.durationMs} ms`);
      if (mode !== 'smoke' && reconnects < injected)
        throw new Error(`memory-soak: ${injected} closes injected, the collector counted ${reconnects} reconnects`);
      const r: BenchResult = {
        summary: '',
        duration_s: round(plan.durationMs / 1000, 0),
        closes_injected: injected,
        collector_reconnects: reconnects,
        book_resyncs: d(`${C}book_resyncs_total`),
        problems: d(`${C}problems_total`),
        dropped: d(`${C}dropped_records_total`),
        records_acked: acked,
        collector_connections_end: last.metrics.sum(`${C}connections`),
        frames_in: d(`${C}messages_in_total`),
        samples: samples.length,
        warmup_s: round((plan.durationMs * plan.warmupShare) / 1000, 0),
        ...fit,
        growth_second_half_pct_per_hour: late.growth_pct_per_hour,
        growth_second_half_pct_per_hour_stderr: late.growth_pct_per_hour_stderr,
        heap_growth_second_half_pct_per_hour: late.heap_growth_pct_per_hour,
        heap_growth_second_half_pct_per_hour_stderr: late.heap_growth_pct_per_hour_stderr,
        rss_start_mb: samples[0]!.rssMb,
        rss_end_mb: samples.at(-1)!.rssMb,
        peak_rss_mb: procSample(rig.collector.pid).peakRssMb,
        load1_before: loadBefore,
        load1_end: load1(),
      };
      r.summary =
        `${r.duration_s} s, ${r.collector_connections_end} connections, ${injected} closes → ${reconnects} reconnects, ${r.book_resyncs} resyncs: RSS ${r.rss_start_mb} → ${r.rss_end_mb} MiB ` +
        `(after warm-up median ${r.rss_median_mb}, ${r.rss_min_mb}–${r.rss_max_mb}), growth ${r.growth_pct_per_hour} ± ${r.growth_pct_per_hour_stderr} %/h ` +
        `(heap ${r.heap_growth_pct_per_hour} ± ${r.heap_growth_pct_per_hour_stderr} %/h; second half ${r.growth_second_half_pct_per_hour} ± ${r.growth_second_half_pct_per_hour_stderr}, heap ${r.heap_growth_second_half_pct_per_hour} ± ${r.heap_growth_second_half_pct_per_hour_stderr}), ` +
        `dropped ${r.dropped}, load ${loadBefore}`;
      return r;
    } finally {
      await rig.stop();
      await broker.close();
    }
  },
};

/** RSS and heap growth after warm-up: least-squares slope in % of the median per hour, with its standard error. */
export function growth(samples: Sample[], plan: Pick<SoakPlan, 'durationMs' | 'warmupShare'>) {
  const after = samples.filter((s) => s.t >= plan.durationMs * plan.warmupShare);
  if (after.length < 3) throw new Error(`memory-soak: ${after.length} samples after warm-up; need 3`);
  const hours = after.map((s) => s.t / 3600_000);
  const pct = (ys: number[]) => {
    const f = fitLine(hours, ys);
    const base = median(ys);
    return { pct: round((100 * f.slope) / base, 2), stderr: round((100 * f.slopeStdErr) / base, 2), slopeMbPerH: round(f.slope, 1) };
  };
  const rss = after.map((s) => s.rssMb);
  const heap = after.map((s) => s.heapMb);
  const r = pct(rss);
  const h = pct(heap);
  return {
    growth_pct_per_hour: r.pct,
    growth_pct_per_hour_stderr: r.stderr,
    rss_slope_mb_per_hour: r.slopeMbPerH,
    rss_median_mb: median(rss),
    rss_min_mb: Math.min(...rss),
    rss_max_mb: Math.max(...rss),
    heap_growth_pct_per_hour: h.pct,
    heap_growth_pct_per_hour_stderr: h.stderr,
    heap_median_mb: round(median(heap), 1),
  };
}
