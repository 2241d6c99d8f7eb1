/**
 * The collector's Prometheus metrics (port 9093). Event-loop lag comes with the default
 * metrics. Names follow Prometheus' conventions: base units (`_seconds`, Unix times
 * `_timestamp_seconds`, durations `_duration_seconds`), counters `_total`, gauges named for
 * what they count (`_records`, `_levels`, `_requests`).
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { DAEMON_SCOPE, type CountedMetric } from '../core/interval-counts.js';
import { PROBLEMS } from './adapter.js';

/** When each venue last handed over a record of each type, ms (the service keeps it; read at scrape time only). */
export type LastRecordAt = ReadonlyMap<string, Partial<Record<string, number>>>;

export function collectorMetrics(registry: Registry, lastRecordAt: LastRecordAt = new Map()) {
  const registers = [registry];
  return {
    lastRecord: new Gauge({
      name: 'marketprism_collector_last_record_timestamp_seconds',
      help: 'When the venue last handed over a record of the type (freshness: time() minus this)',
      labelNames: ['venue', 'data_type'],
      registers,
      collect() {
        for (const [venue, types] of lastRecordAt)
          for (const [data_type, ms] of Object.entries(types)) if (ms !== undefined) this.set({ venue, data_type }, ms / 1000);
      },
    }),
    messagesIn: new Counter({
      name: 'marketprism_collector_messages_in_total',
      help: 'Frames and REST bodies received',
      labelNames: ['venue', 'source'],
      registers,
    }),
    recordsOut: new Counter({
      name: 'marketprism_collector_records_out_total',
      help: 'Records handed to the publisher',
      labelNames: ['venue', 'data_type'],
      registers,
    }),
    published: new Counter({
      name: 'marketprism_collector_records_published_total',
      help: 'Records acknowledged by JetStream',
      labelNames: ['data_type'],
      registers,
    }),
    problems: new Counter({
      name: 'marketprism_collector_problems_total',
      help: `Venue data problems: ${PROBLEMS.join(', ')}`,
      labelNames: ['venue', 'problem'],
      registers,
    }),
    resyncs: new Counter({
      name: 'marketprism_collector_book_resyncs_total',
      help: 'Order books dropped and rebuilt',
      labelNames: ['venue', 'reason'],
      registers,
    }),
    reconnects: new Counter({ name: 'marketprism_collector_reconnects_total', help: 'WebSocket reconnect attempts', labelNames: ['venue', 'feed'], registers }),
    throttled: new Counter({ name: 'marketprism_collector_rest_throttled_total', help: 'REST 429/418 answers', labelNames: ['venue', 'status'], registers }),
    invalid: new Counter({
      name: 'marketprism_collector_invalid_records_total',
      help: 'Records that failed validation and were not published',
      labelNames: ['venue', 'data_type'],
      registers,
    }),
    dropped: new Counter({
      name: 'marketprism_collector_dropped_records_total',
      help: 'Records dropped because the publish buffer was full; stage unsent: never sent (lost), unacked: sent without an ack coming back (may be stored)',
      labelNames: ['data_type', 'stage'],
      registers,
    }),
    countsFailed: new Counter({
      name: 'marketprism_collector_counts_publish_failures_total',
      help: 'Per-interval counts messages not published (kept and added to the next interval)',
      registers,
    }),
    publishLatency: new Histogram({
      name: 'marketprism_collector_publish_duration_seconds',
      help: 'From hand-over to the publisher to the JetStream ack',
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    }),
    pendingAcks: new Gauge({ name: 'marketprism_collector_pending_acks', help: 'Publishes awaiting a JetStream ack', registers }),
    buffered: new Gauge({ name: 'marketprism_collector_publish_buffer_records', help: 'Records queued for publishing', registers }),
    bufferedBytes: new Gauge({
      name: 'marketprism_collector_publish_buffer_bytes',
      help: 'JSON bytes of the records held by the publisher (waiting, in flight, to retry); bounded by nats.buffer_max_bytes',
      registers,
    }),
    bookDepth: new Gauge({
      name: 'marketprism_collector_book_depth_levels',
      help: 'Levels per side in the last published book',
      labelNames: ['venue', 'symbol', 'side'],
      registers,
    }),
    connections: new Gauge({ name: 'marketprism_collector_connections', help: 'Open WebSocket feeds', labelNames: ['venue'], registers }),
    restPending: new Gauge({
      name: 'marketprism_collector_rest_pending_requests',
      help: 'REST requests queued or in flight',
      labelNames: ['venue'],
      registers,
    }),
    fleetOwned: new Gauge({ name: 'marketprism_collector_fleet_owned_symbols', help: 'Fleet: (venue, symbol) leases this collector holds', registers }),
    fleetMembers: new Gauge({ name: 'marketprism_collector_fleet_members', help: 'Fleet: live members this collector sees, itself included', registers }),
    fleetTakeovers: new Counter({
      name: 'marketprism_collector_fleet_lease_takeovers_total',
      help: 'Fleet: leases taken, by how: free (none held), expired (its holder died), handover (given by its holder)',
      labelNames: ['how'],
      registers,
    }),
    fleetReleases: new Counter({
      name: 'marketprism_collector_fleet_lease_releases_total',
      help: 'Fleet: leases given up, by how: handover (to the new owner, in sync), stop (deleted on leaving), lost (taken by another)',
      labelNames: ['how'],
      registers,
    }),
  };
}

export type CollectorMetrics = ReturnType<typeof collectorMetrics>;

/** The counters the per-interval counts message carries (core/interval-counts.ts), and where each sample goes. */
export function countedMetrics(m: CollectorMetrics): CountedMetric[] {
  const s = (v: string | number | undefined) => String(v ?? '');
  return [
    { counter: m.resyncs, place: (l) => [s(l.venue), 'resyncs', s(l.reason)] },
    { counter: m.problems, place: (l) => [s(l.venue), 'problems', s(l.problem)] },
    { counter: m.invalid, place: (l) => [s(l.venue), 'invalid', s(l.data_type)] },
    { counter: m.recordsOut, place: (l) => [s(l.venue), 'records_out', s(l.data_type)] },
    // The publish buffer is the daemon's, not a venue's: its drops and acks have no venue label.
    { counter: m.dropped, place: (l) => [DAEMON_SCOPE, 'dropped', s(l.stage)] },
    { counter: m.published, place: (l) => [DAEMON_SCOPE, 'published', s(l.data_type)] },
  ] as CountedMetric[];
}
