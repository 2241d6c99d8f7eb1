/** /health states from freshness, feeds and NATS, and the systemd status line that says the same. */
import { describe, expect, it } from 'vitest';
import { collectorHealth, statusLine, type HealthInput } from '../../src/collector/health.js';
import { DATA_TYPES } from '../../src/core/model.js';

const freshnessMs = Object.fromEntries(DATA_TYPES.map((t) => [t, 30_000])) as HealthInput['freshnessMs'];
const base = (over: Partial<HealthInput> = {}): HealthInput => ({
  now: 1_000_000,
  startedAt: 0,
  freshnessMs,
  venues: [
    {
      name: 'binance_spot',
      types: ['orderbook', 'trade'],
      lastRecordAt: { orderbook: 999_000, trade: 990_000 },
      feeds: [{ name: 'a', connected: true }],
      rest_pending: 0,
    },
  ],
  nats: { connected: true, since: 0, pending_acks: 0, buffered: 0, dropped: 0 },
  ...over,
});

describe('collectorHealth', () => {
  it('is healthy when every type is fresh and everything is connected', () => {
    const h = collectorHealth(base());
    expect(h.status).toBe('healthy');
    expect(h.reasons).toEqual([]);
    expect(h.retrying).toBe(false);
    expect(statusLine(h)).toBe('collecting: 1/1 feeds connected, NATS connected');
    expect(h.venues[0]!.data_types.orderbook).toEqual({ state: 'fresh', last_record_age_s: 1, threshold_s: 30 });
  });

  it('is degraded when one type is stale or a feed is down (a venue away: retrying), failing when feeds are up and nothing flows', () => {
    const stale = base();
    stale.venues[0]!.lastRecordAt.trade = 900_000;
    expect(collectorHealth(stale)).toMatchObject({ status: 'degraded', reasons: ['binance_spot: stale trade'], retrying: false });
    const down = base();
    down.venues[0]!.feeds.push({ name: 'b', connected: false });
    expect(collectorHealth(down)).toMatchObject({ status: 'degraded', reasons: ['binance_spot: 1/2 feeds connected'], retrying: true });
    // No venue reachable at all is a peer away, not the collector's fault: degraded (200), retrying.
    const none = base();
    none.venues[0]!.feeds[0]!.connected = false;
    none.venues[0]!.lastRecordAt = {};
    const h = collectorHealth(none);
    expect(h).toMatchObject({ status: 'degraded', retrying: true, feeds_connected: '0/1' });
    expect(h.reasons).toEqual(['binance_spot: 0/1 feeds connected', 'binance_spot: stale orderbook, trade']);
    expect(statusLine(h)).toBe(
      'degraded: 0/1 feeds connected, NATS connected, retrying; binance_spot: 0/1 feeds connected; binance_spot: stale orderbook, trade',
    );
    const silent = base();
    silent.venues[0]!.lastRecordAt = { orderbook: 1, trade: 1 };
    expect(collectorHealth(silent).status).toBe('failing');
    expect(collectorHealth(silent).reasons[0]).toBe('feeds connected but no records at all');
  });

  it('says which venues wait for feeds, and keeps the status line to one bounded line', () => {
    const many = base();
    many.venues = Array.from({ length: 40 }, (_, i) => ({
      name: `venue_${i}`,
      types: ['trade' as const],
      lastRecordAt: {},
      feeds: i === 0 ? [] : [{ name: 'a', connected: false }],
      rest_pending: 0,
      ...(i === 1 ? { instruments: { count: 0, error: 'fetch failed\nsecond line' } } : {}),
    }));
    const h = collectorHealth(many);
    expect(h.reasons).toContain('venue_0: feeds not started yet (instrument list loading)');
    expect(h.reasons).toContain('venue_1: instrument list not loaded');
    const line = statusLine(h);
    expect(line.startsWith('degraded: 0/39 feeds connected, NATS connected, retrying; venue_0: feeds not started yet')).toBe(true);
    expect(line.length).toBeLessThanOrEqual(400);
    expect(line).not.toContain('\n');
  });

  it('shows the instrument list of a venue that needs contract sizes, degraded while it does not load', () => {
    const loaded = base();
    loaded.venues[0]!.instruments = { count: 812, error: undefined };
    expect(collectorHealth(loaded).status).toBe('healthy');
    expect(collectorHealth(loaded).venues[0]).toMatchObject({ instruments: 812 });
    const failing = base();
    failing.venues[0]!.instruments = { count: 0, error: 'okx: fetch failed' };
    const h = collectorHealth(failing);
    expect(h.status).toBe('degraded');
    expect(h.venues[0]).toMatchObject({ instruments: 0, instruments_error: 'okx: fetch failed' });
    expect(collectorHealth(base()).venues[0]).not.toHaveProperty('instruments');
  });

  it('waits during start-up, and is degraded (retrying, counting buffered and dropped) while NATS is away, however long', () => {
    const starting = base({ startedAt: 990_000 });
    starting.venues[0]!.lastRecordAt = {};
    expect(collectorHealth(starting).status).toBe('healthy');
    expect(collectorHealth(starting).venues[0]!.data_types.trade!.state).toBe('waiting');
    const brief = collectorHealth(base({ nats: { connected: false, since: 990_000, pending_acks: 0, buffered: 5, dropped: 0 } }));
    expect(brief).toMatchObject({ status: 'degraded', retrying: true, reasons: ['NATS unreachable for 10 s'] });
    expect(statusLine(brief)).toBe('degraded: 1/1 feeds connected, NATS unreachable, retrying; 5 buffered');
    const first = collectorHealth(base({ nats: { connected: false, connecting: true, since: 999_000, pending_acks: 0, buffered: 2, dropped: 0 } }));
    expect(first).toMatchObject({ status: 'degraded', retrying: false, reasons: ['NATS: connecting'], nats: { connecting: true } });
    expect(statusLine(first)).toBe('degraded: 1/1 feeds connected, NATS connecting; 2 buffered');
    const long = collectorHealth(base({ nats: { connected: false, since: 100_000, pending_acks: 3, buffered: 200_000, dropped: 9 } }));
    expect(long).toMatchObject({ status: 'degraded', reasons: ['NATS unreachable for 900 s', '9 records dropped (publish buffer full)'] });
    expect(statusLine(long)).toBe('degraded: 1/1 feeds connected, NATS unreachable, retrying; 3 acks pending; 200000 buffered; 9 dropped');
  });

  it('never degrades for a quiet liquidation feed', () => {
    const h = base();
    h.venues[0]!.types.push('liquidation');
    h.venues[0]!.lastRecordAt.liquidation = 1;
    expect(collectorHealth(h).status).toBe('healthy');
    expect(collectorHealth(h).venues[0]!.data_types.liquidation!.state).toBe('stale');
  });
});
