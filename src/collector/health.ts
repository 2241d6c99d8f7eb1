/**
 * /health on 8087: freshness of every configured data type × venue (age of the last
 * record against that type's threshold, like the original's coverage report), the
 * feeds' connection states, and the publisher. 200 for healthy and degraded, 503
 * for failing.
 *   failing:  no feed connected anywhere, nothing fresh at all after start-up, or
 *             NATS unreachable for longer than a minute (records are being dropped);
 *   degraded: some type × venue stale, some feed down, NATS briefly away;
 *   healthy:  otherwise.
 * Liquidations are sparse (none for hours is normal): reported, never degrading.
 */
import type { HealthStatus } from '../core/http.js';
import type { DataType } from '../core/model.js';

const SPARSE: ReadonlySet<DataType> = new Set(['liquidation']);
const NATS_DOWN_FAILING_MS = 60_000;

export interface HealthInput {
  now: number;
  startedAt: number;
  freshnessMs: Record<DataType, number>;
  venues: {
    name: string;
    types: DataType[];
    lastRecordAt: Partial<Record<DataType, number>>;
    feeds: { name: string; connected: boolean }[];
    rest_pending: number;
    /** Where the venue needs contract sizes: how many instruments are known, and why none yet. */
    instruments?: { count: number; error: string | undefined };
  }[];
  nats: { connected: boolean; since: number; pending_acks: number; buffered: number; dropped: number };
}

type Freshness = 'fresh' | 'stale' | 'waiting';

export function collectorHealth(h: HealthInput) {
  let anyConnected = false;
  let anyFresh = false;
  let degraded = false;
  const venues = h.venues.map((v) => {
    const types = Object.fromEntries(
      v.types.map((t) => {
        const last = v.lastRecordAt[t];
        const limit = h.freshnessMs[t];
        const age = last === undefined ? undefined : h.now - last;
        const state: Freshness = age !== undefined && age <= limit ? 'fresh' : age === undefined && h.now - h.startedAt <= limit ? 'waiting' : 'stale';
        if (state === 'fresh') anyFresh = true;
        if (state === 'stale' && !SPARSE.has(t)) degraded = true;
        return [t, { state, last_record_age_s: age === undefined ? null : Math.round(age / 100) / 10, threshold_s: limit / 1000 }];
      }),
    );
    const connected = v.feeds.filter((f) => f.connected).length;
    if (connected > 0) anyConnected = true;
    if (connected < v.feeds.length) degraded = true;
    if (v.instruments?.error) degraded = true;
    const instruments = v.instruments && { instruments: v.instruments.count, ...(v.instruments.error ? { instruments_error: v.instruments.error } : {}) };
    return { venue: v.name, feeds_connected: `${connected}/${v.feeds.length}`, rest_pending: v.rest_pending, ...instruments, data_types: types };
  });
  const natsDownMs = h.nats.connected ? 0 : h.now - h.nats.since;
  if (!h.nats.connected) degraded = true;
  const grace = Math.min(...Object.values(h.freshnessMs));
  const startingUp = h.now - h.startedAt <= grace;
  let status: HealthStatus = degraded ? 'degraded' : 'healthy';
  if (h.venues.length > 0 && (!anyConnected || (!anyFresh && !startingUp))) status = 'failing';
  if (natsDownMs > NATS_DOWN_FAILING_MS) status = 'failing';
  return {
    status,
    uptime_s: Math.round((h.now - h.startedAt) / 1000),
    nats: { connected: h.nats.connected, pending_acks: h.nats.pending_acks, buffered: h.nats.buffered, dropped: h.nats.dropped },
    venues,
  };
}
