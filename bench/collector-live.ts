/**
 * The collector daemon live: simulator (generated Binance USDⓈ-M and OKX markets, its
 * own process) → marketprism-collector (its own process, real WebSocket on loopback) →
 * nats-server JetStream, with the collector's default book settings (400 levels,
 * publish_interval 100 ms): every diff is applied, books are published at most 10 times a
 * second per instrument, every trade is published. The full run steps the offered rate
 * up (fresh processes each step) to show where the collector stops keeping up. Measured
 * over a window after warm-up: frames in, records published and acked, publish latency
 * (the collector's histogram), the collector's CPU and RSS, event-loop lag.
 */
import { measureLive, type LiveOptions } from './live-rig.js';
import { fmt } from './measure.js';
import type { Bench, BenchResult } from './registry.js';

/**
 * 2 symbols: the USDⓈ-M perpetuals, OKX spot pairs and swaps (6 books), `rate` pushes/s
 * asked per book; the simulator slows down when the collector does not read fast enough.
 */
export function liveOptions(rate: number): LiveOptions {
  return { rate, symbols: ['BTC-USDT', 'ETH-USDT'], levels: 400, depth: 400, publishIntervalMs: 100 };
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

export const collectorLiveBench: Bench = {
  name: 'collector-live',
  async run(smoke) {
    const out: BenchResult = { summary: '' };
    const parts: string[] = [];
    for (const rate of liveRates(smoke, [100, 300, 600, 1000])) {
      const r = await measureLive(liveOptions(rate), liveTiming(smoke));
      flowed('collector-live', r);
      for (const [k, v] of Object.entries(r)) out[`rate${rate}_${k}`] = v;
      parts.push(
        `rate ${rate}/s/book: ${fmt(r.messages_in_per_second)} frames/s in, ${fmt(r.published_acked_per_second)} records/s acked (${fmt(r.orderbook_records_per_second)} books), ` +
          `latency p50 ${r.publish_latency_p50_ms} p99 ${r.publish_latency_p99_ms} ms, lag p99 ${r.eventloop_lag_p99_ms} ms, CPU ${r.collector_cpu_percent}% RSS ${r.collector_rss_mb} MiB, ` +
          `buffer ${fmt(r.publish_buffer_end)}, load ${r.load1_before}`,
      );
    }
    out.summary = parts.join('; ');
    return out;
  },
};
