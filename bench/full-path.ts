/**
 * The whole path live: simulator → marketprism-collector → nats-server JetStream →
 * marketprism-storage (in this process) → embedded ClickHouse (chDB). Same market and
 * collector settings as collector-live; rows/s are orderbook and trade rows counted in
 * chDB between two readings.
 */
import { flowed, liveOptions, liveRates, liveTiming } from './collector-live.js';
import { measureLive } from './live-rig.js';
import { fmt } from './measure.js';
import type { Bench } from './registry.js';

export const fullPathBench: Bench = {
  name: 'full-path',
  async run(smoke, mode = 'full') {
    const rate = liveRates(smoke, [300])[0]!;
    const timing = smoke ? liveTiming(true) : { warmupMs: 5000, windowMs: mode === 'quick' ? 20_000 : 60_000 };
    const r = await measureLive(liveOptions(rate), timing, true);
    flowed('full-path', r);
    if (r.stored_rows_per_second <= 0) throw new Error(`full-path: no rows stored: ${JSON.stringify(r)}`);
    return {
      rate_asked_per_book: rate,
      ...r,
      summary:
        `rate ${rate}/s/book: ${fmt(r.messages_in_per_second)} frames/s in, ${fmt(r.published_acked_per_second)} records/s acked, ${fmt(r.stored_rows_per_second)} rows/s stored in chDB ` +
        `(${fmt(r.storage_behind_end)} behind at the end), collector CPU ${r.collector_cpu_percent}% RSS ${r.collector_rss_mb} MiB, ` +
        `storage+chDB process RSS ${r.storage_process_rss_mb} MiB, load ${r.load1_before}, over ${r.seconds} s`,
    };
  },
};
