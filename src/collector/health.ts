/**
 * /health on 8087: freshness of every configured data type × venue (age of the last
 * record against that type's threshold, like the original's coverage report), the
 * feeds' connection states, and the publisher. 200 for healthy and degraded, 503
 * for failing.
 *   failing:  feeds are connected and yet nothing fresh came at all after start-up
 *             (the collector's own fault: nothing a peer coming back would fix);
 *   degraded: a peer is away (a venue's feeds down or its instrument list not loaded,
 *             NATS unreachable: records buffered, the oldest dropped past the buffer)
 *             or some type × venue stale; the daemon retries with backoff;
 *   healthy:  otherwise.
 * `reasons` says what is degraded, in words; the systemd status line (`statusLine`)
 * says the same. Liquidations are sparse (none for hours is normal): reported, never degrading.
 * In a fleet, `fleet` says who this member is, which members it sees and which (venue, symbol)
 * leases it holds; a venue none of whose symbols this member collects is `idle`, not degraded.
 */
import type { HealthStatus } from '../core/http.js';
import type { DataType } from '../core/model.js';

const SPARSE: ReadonlySet<DataType> = new Set(['liquidation']);

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
    /** Fleet: this member collects none of the venue's symbols (the others do). */
    idle?: boolean;
  }[];
  fleet?: { member: string; members: string[]; owned: string[]; standby: number; error?: string };
  /** connecting: the first connection attempt is under way (none failed yet). */
  nats: { connected: boolean; connecting?: boolean; since: number; pending_acks: number; buffered: number; dropped: number };
}

type Freshness = 'fresh' | 'stale' | 'waiting';

export function collectorHealth(h: HealthInput) {
  let anyConnected = false;
  let anyFresh = false;
  let degraded = false;
  const reasons: string[] = [];
  /** A peer (venue, NATS) is away and being retried. */
  let retrying = false;
  let feedsUp = 0;
  let feedsAll = 0;
  const venues = h.venues.map((v) => {
    if (v.idle) return { venue: v.name, idle: true, feeds_connected: '0/0', rest_pending: v.rest_pending, data_types: {} as Record<string, never> };
    const stale: DataType[] = [];
    const types = Object.fromEntries(
      v.types.map((t) => {
        const last = v.lastRecordAt[t];
        const limit = h.freshnessMs[t];
        const age = last === undefined ? undefined : h.now - last;
        const state: Freshness = age !== undefined && age <= limit ? 'fresh' : age === undefined && h.now - h.startedAt <= limit ? 'waiting' : 'stale';
        if (state === 'fresh') anyFresh = true;
        if (state === 'stale' && !SPARSE.has(t)) {
          degraded = true;
          stale.push(t);
        }
        return [t, { state, last_record_age_s: age === undefined ? null : Math.round(age / 100) / 10, threshold_s: limit / 1000 }];
      }),
    );
    const connected = v.feeds.filter((f) => f.connected).length;
    feedsUp += connected;
    feedsAll += v.feeds.length;
    if (connected > 0) anyConnected = true;
    if (connected < v.feeds.length) {
      degraded = true;
      retrying = true;
      reasons.push(`${v.name}: ${connected}/${v.feeds.length} feeds connected`);
    }
    if (v.instruments?.error) {
      degraded = true;
      retrying = true;
      reasons.push(`${v.name}: instrument list not loaded`);
    } else if (v.feeds.length === 0) {
      degraded = true;
      reasons.push(`${v.name}: feeds not started yet (instrument list loading)`);
    }
    if (stale.length > 0) reasons.push(`${v.name}: stale ${stale.join(', ')}`);
    const instruments = v.instruments && { instruments: v.instruments.count, ...(v.instruments.error ? { instruments_error: v.instruments.error } : {}) };
    return { venue: v.name, feeds_connected: `${connected}/${v.feeds.length}`, rest_pending: v.rest_pending, ...instruments, data_types: types };
  });
  if (!h.nats.connected && h.nats.connecting) {
    degraded = true;
    reasons.push('NATS: connecting');
  } else if (!h.nats.connected) {
    degraded = true;
    retrying = true;
    reasons.push(`NATS unreachable for ${Math.round((h.now - h.nats.since) / 1000)} s`);
  }
  if (h.fleet?.error) {
    degraded = true;
    retrying = true;
    reasons.push(`fleet: ${h.fleet.error}`);
  }
  if (h.nats.dropped > 0) reasons.push(`${h.nats.dropped} records dropped (publish buffer full)`);
  const grace = Math.min(...Object.values(h.freshnessMs));
  const startingUp = h.now - h.startedAt <= grace;
  let status: HealthStatus = degraded ? 'degraded' : 'healthy';
  if (anyConnected && !anyFresh && !startingUp) {
    status = 'failing';
    reasons.unshift('feeds connected but no records at all');
  }
  return {
    status,
    reasons,
    retrying,
    uptime_s: Math.round((h.now - h.startedAt) / 1000),
    feeds_connected: `${feedsUp}/${feedsAll}`,
    nats: {
      connected: h.nats.connected,
      ...(h.nats.connecting && !h.nats.connected ? { connecting: true } : {}),
      pending_acks: h.nats.pending_acks,
      buffered: h.nats.buffered,
      dropped: h.nats.dropped,
    },
    ...(h.fleet ? { fleet: h.fleet } : {}),
    venues,
  };
}

export type CollectorHealth = ReturnType<typeof collectorHealth>;

/**
 * The systemd STATUS= line: the same facts as /health in one line, e.g.
 *   collecting: 5/5 feeds connected, NATS connected; 12 acks pending
 *   degraded: 0/5 feeds connected, NATS unreachable, retrying; 1200 buffered; binance_spot: 0/1 feeds connected, ...
 */
export function statusLine(h: CollectorHealth): string {
  const head = [
    `${h.feeds_connected} feeds connected`,
    h.nats.connected ? 'NATS connected' : h.nats.connecting ? 'NATS connecting' : 'NATS unreachable',
    ...(h.retrying ? ['retrying'] : []),
  ].join(', ');
  const counts = [
    ...(h.nats.pending_acks > 0 ? [`${h.nats.pending_acks} acks pending`] : []),
    ...(h.nats.buffered > 0 ? [`${h.nats.buffered} buffered`] : []),
    ...(h.nats.dropped > 0 ? [`${h.nats.dropped} dropped`] : []),
  ];
  // The per-venue and freshness reasons (NATS and drops are in the head and counts already).
  const detail = h.reasons.filter((r) => !r.startsWith('NATS') && !r.includes('records dropped'));
  const line = [`${h.status === 'healthy' ? 'collecting' : h.status}: ${head}`, ...counts, ...detail].join('; ');
  return line.length > 400 ? `${line.slice(0, 397)}...` : line;
}
