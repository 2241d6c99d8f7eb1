/**
 * The collector daemon live: simulator (generated Binance USDⓈ-M and OKX markets, high
 * rate, its own process) → marketprism-collector (its own process, real WebSocket on
 * loopback) → nats-server JetStream, with the collector's default book settings (400
 * levels, publish_interval 100 ms): every diff is applied, books are published at most
 * 10 times a second per instrument, every trade is published. Measured over a window after
 * warm-up: frames in, records published and acked, publish latency (the collector's
 * histogram), the collector's CPU and RSS.
 */
import { measureLive, type LiveOptions } from './live-rig.js';
import { fmt } from './measure.js';
import type { Bench } from './registry.js';

/**
 * 2 symbols: the USDⓈ-M perpetuals, OKX spot pairs and swaps (6 books), `rate` pushes/s
 * asked per book (MARKETPRISM_BENCH_RATE); the simulator slows down when the collector
 * does not read fast enough.
 */
export function liveOptions(smoke: boolean): LiveOptions {
  const rate = Number(process.env.MARKETPRISM_BENCH_RATE ?? (smoke ? 50 : 500));
  return { rate, symbols: ['BTC-USDT', 'ETH-USDT'], levels: 400, depth: 400, publishIntervalMs: 100 };
}

export const liveTiming = (smoke: boolean) => (smoke ? { warmupMs: 500, windowMs: 2000 } : { warmupMs: 5000, windowMs: 60_000 });

/** Throws unless frames went in and records were acked: a smoke run checks that much. */
export function flowed(name: string, r: { messages_in_per_second: number; published_acked_per_second: number }): void {
  if (r.messages_in_per_second <= 0 || r.published_acked_per_second <= 0) throw new Error(`${name}: nothing flowed: ${JSON.stringify(r)}`);
}

export const collectorLiveBench: Bench = {
  name: 'collector-live',
  async run(smoke) {
    const o = liveOptions(smoke);
    const r = await measureLive(o, liveTiming(smoke));
    flowed('collector-live', r);
    return {
      rate_asked_per_book: o.rate,
      ...r,
      summary:
        `${fmt(r.messages_in_per_second)} frames/s in, ${fmt(r.published_acked_per_second)} records/s acked (${fmt(r.orderbook_records_per_second)} books), ` +
        `publish latency p50 ${r.publish_latency_p50_ms} ms p99 ${r.publish_latency_p99_ms} ms, collector CPU ${r.collector_cpu_percent}% RSS ${r.collector_rss_mb} MiB ` +
        `(sim CPU ${r.sim_cpu_percent}%, nats-server ${r.nats_cpu_percent}%, load ${r.load1_before}), publish buffer at the end ${fmt(r.publish_buffer_end)}, over ${r.seconds} s`,
    };
  },
};
