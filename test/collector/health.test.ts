/** /health states from freshness, feeds and NATS. */
import { describe, expect, it } from 'vitest';
import { collectorHealth, type HealthInput } from '../../src/collector/health.js';
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
    expect(h.venues[0]!.data_types.orderbook).toEqual({ state: 'fresh', last_record_age_s: 1, threshold_s: 30 });
  });

  it('is degraded when one type is stale or a feed is down, failing when nothing flows', () => {
    const stale = base();
    stale.venues[0]!.lastRecordAt.trade = 900_000;
    expect(collectorHealth(stale).status).toBe('degraded');
    const down = base();
    down.venues[0]!.feeds.push({ name: 'b', connected: false });
    expect(collectorHealth(down).status).toBe('degraded');
    const none = base();
    none.venues[0]!.feeds[0]!.connected = false;
    expect(collectorHealth(none).status).toBe('failing');
    const silent = base();
    silent.venues[0]!.lastRecordAt = { orderbook: 1, trade: 1 };
    expect(collectorHealth(silent).status).toBe('failing');
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

  it('waits during start-up, and fails when NATS stays away for over a minute', () => {
    const starting = base({ startedAt: 990_000 });
    starting.venues[0]!.lastRecordAt = {};
    expect(collectorHealth(starting).status).toBe('healthy');
    expect(collectorHealth(starting).venues[0]!.data_types.trade!.state).toBe('waiting');
    expect(collectorHealth(base({ nats: { connected: false, since: 990_000, pending_acks: 0, buffered: 5, dropped: 0 } })).status).toBe('degraded');
    expect(collectorHealth(base({ nats: { connected: false, since: 900_000, pending_acks: 0, buffered: 5, dropped: 9 } })).status).toBe('failing');
  });

  it('never degrades for a quiet liquidation feed', () => {
    const h = base();
    h.venues[0]!.types.push('liquidation');
    h.venues[0]!.lastRecordAt.liquidation = 1;
    expect(collectorHealth(h).status).toBe('healthy');
    expect(collectorHealth(h).venues[0]!.data_types.liquidation!.state).toBe('stale');
  });
});
