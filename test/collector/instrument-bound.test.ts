/**
 * A peer that names new instruments without end (hostile or broken) cannot grow the
 * collector's per-instrument state: past MAX_INSTRUMENTS distinct instruments on one
 * adapter, messages for new ones are counted `unsupported` and ignored, while the
 * instruments already known keep working.
 */
import { describe, expect, it } from 'vitest';
import { MAX_INSTRUMENTS } from '../../src/collector/mappers/base.js';
import { adapterFor, edited, sample } from './context.js';

const SPOT_SNAPSHOT = 'rest-api-v3-depth.live-2024-08-08.BTCUSDT.limit1000.json';
const spotSeq = (n: number) => `ws-depthUpdate.live-2024-08-08.BTCUSDT.seq${n}.json`;

describe('instruments per adapter are bounded', () => {
  it('binance spot: depth diffs for more than MAX_INSTRUMENTS invented symbols: the excess counted and given no book, a new one after the flood refused too', () => {
    const { ctx, adapter } = adapterFor('binance-spot');
    const extra = 25;
    for (let i = 0; i < MAX_INSTRUMENTS + extra; i++) {
      const wire = `X${i}USDT`;
      adapter.onMessage(
        'c1',
        edited('binance-spot', spotSeq(1), (m) => {
          m.stream = `${wire.toLowerCase()}@depth@100ms`;
          m.data.s = wire;
        }),
      );
    }
    const unsupported = ctx.problems.filter((p) => p.kind === 'unsupported');
    expect(unsupported).toHaveLength(extra);
    expect(unsupported[0]!.message).toMatch(/more than 10000 instruments/);
    // Snapshots were asked only for the admitted ones.
    expect(ctx.snapshots).toHaveLength(MAX_INSTRUMENTS);
    // A new instrument past the bound (BTCUSDT was never seen) is refused too ...
    ctx.take();
    adapter.onMessage('c1', sample('binance-spot', spotSeq(1)));
    expect(ctx.problems.at(-1)?.kind).toBe('unsupported');
  });

  it('binance spot: an instrument admitted before the flood keeps syncing and publishing', () => {
    const { ctx, adapter } = adapterFor('binance-spot');
    for (const n of [1, 2, 3]) adapter.onMessage('c1', sample('binance-spot', spotSeq(n)));
    adapter.onSnapshot('BTCUSDT', sample('binance-spot', SPOT_SNAPSHOT));
    expect(ctx.take()).toHaveLength(1);
    for (let i = 0; i < MAX_INSTRUMENTS + 5; i++) {
      adapter.onMessage(
        'c1',
        edited('binance-spot', spotSeq(1), (m) => {
          m.stream = `y${i}usdt@depth@100ms`;
          m.data.s = `Y${i}USDT`;
        }),
      );
    }
    adapter.onMessage('c1', sample('binance-spot', spotSeq(4)));
    expect(ctx.take().filter((r) => r.data_type === 'orderbook' && r.symbol === 'BTC-USDT')).toHaveLength(1);
  });
});
