/** Binance spot and USDⓈ-M: mapping of real frames, and book sync on real sequences. */
import { describe, expect, it } from 'vitest';
import { mapBinanceLongShort } from '../../src/collector/venues/binance/mapper.js';
import { binanceInstrument, binanceWire, type BinanceMarket } from '../../src/collector/venues/binance/symbols.js';
import { validateRecord } from '../../src/core/validate.js';
import { adapterFor, edited, sample } from './context.js';

const NOW = 1_791_383_000_000;
const spot = (f: string) => sample('binance-spot', f);
const usdm = (f: string) => sample('binance-usdm', f);

describe('binance spot book sync (live 2024-08-08 sequence around a REST snapshot)', () => {
  it('buffers, fetches one snapshot, drops u <= lastUpdateId, applies the bridging diff, then chains', () => {
    const { ctx, adapter } = adapterFor('binance-spot');
    adapter.onMessage('c1', spot('ws-depthUpdate.live-2024-08-08.BTCUSDT.seq1.json'));
    adapter.onMessage('c1', spot('ws-depthUpdate.live-2024-08-08.BTCUSDT.seq2.json'));
    adapter.onMessage('c1', spot('ws-depthUpdate.live-2024-08-08.BTCUSDT.seq3.json'));
    expect(ctx.snapshots).toEqual([{ key: 'BTCUSDT', url: 'https://api.binance.com/api/v3/depth?symbol=BTCUSDT&limit=1000', weight: 50 }]);
    expect(ctx.books()).toHaveLength(0);

    adapter.onSnapshot('BTCUSDT', spot('rest-api-v3-depth.live-2024-08-08.BTCUSDT.limit1000.json'));
    const [first] = ctx.take() as any[];
    expect(first.last_update_id).toBe('50093239224'); // seq3's u: seq1, seq2 dropped, seq3 applied
    expect(first.timestamp).toBe(1723161255408);
    expect(first.bids[0]).toEqual(['61837.63000000', '3.78826000']);
    // seq3 removed ask 61838.04 (which seq2 had added, but seq2 predates the snapshot)
    expect(first.asks.find((l: string[]) => l[0] === '61838.04000000')).toBeUndefined();
    expect(first.asks[0]).toEqual(['61837.64000000', '1.60520000']);
    expect(first.bids).toHaveLength(400);
    expect(() => validateRecord(first)).not.toThrow();

    adapter.onMessage('c1', spot('ws-depthUpdate.live-2024-08-08.BTCUSDT.seq4.json'));
    const [second] = ctx.take() as any[];
    expect(second.last_update_id).toBe('50093239237');
    expect(second.bids.find((l: string[]) => l[0] === '61818.52000000')).toEqual(['61818.52000000', '0.21367000']);
    expect(second.bids.find((l: string[]) => l[0] === '61830.17000000')).toBeUndefined();
    expect(ctx.problems).toEqual([]);
  });

  it('asks again when the snapshot predates the buffered diffs', () => {
    const { ctx, adapter } = adapterFor('binance-spot');
    adapter.onMessage('c1', spot('ws-depthUpdate.live-2025-12-07.BTCUSDT.1.json'));
    adapter.onSnapshot('BTCUSDT', spot('rest-api-v3-depth.live-2024-08-08.BTCUSDT.limit1000.json')); // 2024: far older
    expect(ctx.snapshots).toHaveLength(2);
    expect(ctx.books()).toHaveLength(0);
    expect(ctx.problems).toEqual([]);
  });

  it('detects a dropped diff as a gap, publishes nothing from it, and resyncs', () => {
    const { ctx, adapter } = adapterFor('binance-spot');
    adapter.onMessage('c1', spot('ws-depthUpdate.live-2025-12-07.BTCUSDT.1.json')); // U=82626886844 u=82626886850
    adapter.onSnapshot('BTCUSDT', JSON.stringify({ lastUpdateId: 82626886846, bids: [['89200.00', '1.0']], asks: [['89300.00', '1.0']] }));
    expect(ctx.take()).toHaveLength(1);
    // .2 is dropped on the way: .3 starts at 82626886855, one past .2's u, not .1's
    adapter.onMessage('c1', spot('ws-depthUpdate.live-2025-12-07.BTCUSDT.3.json'));
    expect(ctx.problems.map((p) => p.kind)).toEqual(['gap']);
    expect(ctx.resyncs).toEqual([{ symbol: 'BTC-USDT', reason: 'gap' }]);
    expect(ctx.books()).toHaveLength(0);
    expect(ctx.snapshots).toHaveLength(2);
  });

  it('ignores a diff delivered twice (overlapping connections during rotation)', () => {
    const { ctx, adapter } = adapterFor('binance-spot');
    adapter.onMessage('c1', spot('ws-depthUpdate.live-2025-12-07.BTCUSDT.1.json'));
    adapter.onSnapshot('BTCUSDT', JSON.stringify({ lastUpdateId: 82626886846, bids: [['89200.00', '1.0']], asks: [['89300.00', '1.0']] }));
    adapter.onMessage('c1', spot('ws-depthUpdate.live-2025-12-07.BTCUSDT.2.json'));
    adapter.onMessage('c2', spot('ws-depthUpdate.live-2025-12-07.BTCUSDT.2.json'));
    adapter.onMessage('c2', spot('ws-depthUpdate.live-2025-12-07.BTCUSDT.3.json'));
    expect(ctx.books().map((b) => b.last_update_id)).toEqual(['82626886850', '82626886854', '82626886860']);
    expect(ctx.problems).toEqual([]);
  });

  it('drops a crossed book and resyncs', () => {
    const { ctx, adapter } = adapterFor('binance-spot');
    adapter.onMessage('c1', spot('ws-depthUpdate.live-2025-12-07.BTCUSDT.1.json'));
    adapter.onSnapshot('BTCUSDT', JSON.stringify({ lastUpdateId: 82626886850, bids: [['89200.00', '1.0']], asks: [['89300.00', '1.0']] }));
    ctx.take();
    adapter.onMessage(
      'c1',
      edited('binance-spot', 'ws-depthUpdate.live-2025-12-07.BTCUSDT.2.json', (m) => (m.data.b = [['89400.00', '2.0']])),
    );
    expect(ctx.problems.map((p) => p.kind)).toEqual(['crossed']);
    expect(ctx.books()).toHaveLength(0);
    adapter.onMessage('c1', spot('ws-depthUpdate.live-2025-12-07.BTCUSDT.3.json'));
    expect(ctx.snapshots).toHaveLength(2);
  });

  it('counts malformed frames without throwing', () => {
    const { ctx, adapter } = adapterFor('binance-spot');
    adapter.onMessage('c1', 'not json');
    adapter.onMessage('c1', JSON.stringify({ stream: 'x', data: { e: 'trade', s: 'BTCUSDT', p: 1.5 } }));
    adapter.onMessage(
      'c1',
      edited('binance-spot', 'ws-depthUpdate.live-2025-12-07.BTCUSDT.1.json', (m) => (m.data.b[0][0] = '1e400x')),
    );
    expect(ctx.problems.map((p) => p.kind)).toEqual(['malformed', 'malformed', 'malformed']);
    expect(ctx.records).toEqual([]);
  });
});

describe('binance spot trades', () => {
  it('maps @trade and @aggTrade with exact text', () => {
    const { ctx, adapter } = adapterFor('binance-spot');
    adapter.onMessage('c1', spot('ws-trade.live-2025-11-08.BTCUSDT.json'));
    adapter.onMessage('c1', spot('ws-aggTrade.live-2026-01-17.BTCUSDT.json'));
    adapter.onMessage('c1', spot('ws-aggTrade.live-2026-01-17.BTCUSDT.json')); // repeated: once only
    expect(ctx.records).toEqual([
      {
        data_type: 'trade',
        exchange: 'binance',
        market_type: 'spot',
        symbol: 'BTC-USDT',
        timestamp: 1762578805373,
        local_timestamp: ctx.time,
        trade_id: '5455447976',
        price: '102571.17000000',
        quantity: '0.00100000',
        quantity_raw: '0.00100000',
        quantity_unit: 'base',
        side: 'sell',
        is_maker: true,
        trade_time: 1762578805372,
      },
      {
        data_type: 'trade',
        exchange: 'binance',
        market_type: 'spot',
        symbol: 'BTC-USDT',
        timestamp: 1768627409826,
        local_timestamp: ctx.time,
        trade_id: '3814332932',
        price: '95311.64000000',
        quantity: '0.00084000',
        quantity_raw: '0.00084000',
        quantity_unit: 'base',
        side: 'buy',
        is_maker: false,
        trade_time: 1768627409825,
      },
    ]);
  });
});

describe('binance USDⓈ-M', () => {
  it('syncs on the live 2024-08-08 sequence: first diff straddles lastUpdateId, then the pu chain', () => {
    const { ctx, adapter } = adapterFor('binance-usdm');
    adapter.onMessage('c1', usdm('ws-depthUpdate.live-2024-08-08.BTCUSDT.seq1.json'));
    expect(ctx.snapshots[0]).toEqual({ key: 'BTCUSDT', url: 'https://fapi.binance.com/fapi/v1/depth?symbol=BTCUSDT&limit=1000', weight: 20 });
    adapter.onSnapshot('BTCUSDT', usdm('rest-fapi-v1-depth.live-2024-08-08.BTCUSDT.limit1000.json'));
    adapter.onMessage('c1', usdm('ws-depthUpdate.live-2024-08-08.BTCUSDT.seq2.json'));
    adapter.onMessage('c1', usdm('ws-depthUpdate.live-2024-08-08.BTCUSDT.seq3.json'));
    const books = ctx.books();
    expect(books.map((b) => b.last_update_id)).toEqual(['5123107853551', '5123107856210', '5123107858366']);
    expect(books.every((b) => b.market_type === 'perpetual' && b.symbol === 'BTC-USDT')).toBe(true);
    expect(books[2]!.bids[0]).toEqual(['61800.20', '2.862']);
    expect(books[2]!.asks[0]).toEqual(['61800.30', '1.135']);
    expect(ctx.problems).toEqual([]);
  });

  it('flags a broken pu chain (2026-02-16 frames a then b are not adjacent)', () => {
    const { ctx, adapter } = adapterFor('binance-usdm');
    adapter.onMessage('c1', usdm('ws-depthUpdate.live-2026-02-16.BTCUSDT.a.json'));
    adapter.onSnapshot(
      'BTCUSDT',
      JSON.stringify({ lastUpdateId: 9922090280500, E: 1771241917580, T: 1771241917580, bids: [['68000.00', '1.000']], asks: [['69000.00', '1.000']] }),
    );
    expect(ctx.books()).toHaveLength(1);
    adapter.onMessage('c1', usdm('ws-depthUpdate.live-2026-02-16.BTCUSDT.b.json'));
    expect(ctx.problems.map((p) => p.kind)).toEqual(['gap']);
    expect(ctx.problems[0]!.message).toContain('pu=9922090297219');
    expect(ctx.books()).toHaveLength(1);
    expect(ctx.snapshots).toHaveLength(2);
  });

  it('maps markPrice (with the 2026 extra keys) to funding_rate', () => {
    const { ctx, adapter } = adapterFor('binance-usdm');
    adapter.onMessage('c1', usdm('ws-markPriceUpdate.live-2026-10-07.BTCUSDT.json'));
    adapter.onMessage('c1', usdm('ws-markPriceUpdate.live-2026-01-17.BTCUSDT.json')); // raw stream, no envelope
    expect(ctx.records[0]).toEqual({
      data_type: 'funding_rate',
      exchange: 'binance',
      market_type: 'perpetual',
      symbol: 'BTC-USDT',
      timestamp: 1791382993000,
      local_timestamp: ctx.time,
      funding_rate: '0.00000078',
      mark_price: '83084.30000000',
      index_price: '83123.65891304',
      funding_time: 1791388800000,
      next_funding_time: undefined,
    });
    expect(ctx.records[1]).toMatchObject({ funding_rate: '0.00005383', mark_price: '95209.55336957', index_price: '95252.46195652' });
  });

  it('maps aggTrade with nq/st, @trade and forceOrder', () => {
    const { ctx, adapter } = adapterFor('binance-usdm');
    adapter.onMessage('c1', usdm('ws-aggTrade.live-2026-10-07.BTCUSDT.json'));
    adapter.onMessage('c1', usdm('ws-trade.live-2024-08-08.BTCUSDT.json'));
    adapter.onMessage('c1', usdm('ws-forceOrder.docs.json'));
    expect(ctx.records[0]).toMatchObject({
      data_type: 'trade',
      market_type: 'perpetual',
      trade_id: '3477868433',
      price: '83091.70',
      quantity: '0.022',
      side: 'buy',
      is_maker: false,
    });
    expect(ctx.records[1]).toMatchObject({ data_type: 'trade', trade_id: '5266583935', price: '61800.30', quantity: '0.006', side: 'buy' });
    expect(ctx.records[2]).toEqual({
      data_type: 'liquidation',
      exchange: 'binance',
      market_type: 'perpetual',
      symbol: 'BTC-USDT',
      timestamp: 1568014460893,
      local_timestamp: ctx.time,
      side: 'sell',
      price: '9910',
      quantity: '0.014',
      quantity_raw: '0.014',
      quantity_unit: 'base',
      liquidation_time: 1568014460893,
    });
    for (const r of ctx.records) expect(() => validateRecord(r)).not.toThrow();
  });

  it('maps REST open interest and the two different long/short endpoints', () => {
    const { ctx, adapter } = adapterFor('binance-usdm');
    expect(
      adapter.restRecords('https://fapi.binance.com/fapi/v1/openInterest?symbol=BTCUSDT', usdm('rest-fapi-v1-openInterest.live-2026-10-07.BTCUSDT.json')),
    ).toEqual([
      {
        data_type: 'open_interest',
        exchange: 'binance',
        market_type: 'perpetual',
        symbol: 'BTC-USDT',
        timestamp: 1791382984119,
        local_timestamp: ctx.time,
        open_interest: '95744.938',
        open_interest_raw: '95744.938',
        open_interest_unit: 'base',
        open_interest_value: undefined,
      },
    ]);
    const top = mapBinanceLongShort('lsr_top_position', usdm('rest-futures-data-topLongShortPositionRatio.docs.json'), '5m', NOW);
    expect(top[0]).toEqual({
      data_type: 'lsr_top_position',
      exchange: 'binance',
      market_type: 'perpetual',
      symbol: 'BTC-USDT',
      timestamp: 1583139600000,
      local_timestamp: NOW,
      period: '5m',
      long_position_ratio: '0.5891',
      short_position_ratio: '0.4108',
      long_short_ratio: '1.4342',
    });
    const all = mapBinanceLongShort('lsr_all_account', usdm('rest-futures-data-globalLongShortAccountRatio.docs.json'), '5m', NOW);
    expect(all[1]).toMatchObject({
      data_type: 'lsr_all_account',
      long_account_ratio: '0.6617',
      short_account_ratio: '0.3382',
      long_short_ratio: '1.9559',
      timestamp: 1583139900000,
    });
    for (const r of [...top, ...all]) expect(() => validateRecord(r)).not.toThrow();
  });
});

describe('binance USDⓈ-M open interest notional', () => {
  it('values the polled open interest at the latest mark price, exactly', () => {
    const { ctx, adapter } = adapterFor('binance-usdm');
    const url = 'https://fapi.binance.com/fapi/v1/openInterest?symbol=BTCUSDT';
    const body = usdm('rest-fapi-v1-openInterest.live-2026-10-07.BTCUSDT.json');
    // Before any mark price: no notional rather than a guess.
    expect(adapter.restRecords(url, body)![0]).toMatchObject({ open_interest_value: undefined });
    adapter.onMessage('c1', usdm('ws-markPriceUpdate.live-2026-10-07.BTCUSDT.json')); // p = 83084.30000000
    const later = JSON.stringify({ ...JSON.parse(body), time: JSON.parse(body).time + 30_000 }); // the next poll
    const [oi] = adapter.restRecords(url, later)!;
    // 95744.938 × 83084.30000000 = 7954901152.2734 (95744.938 × 80000 = 7659595040, × 3084.3 = 295306112.2734).
    expect(oi).toMatchObject({ open_interest: '95744.938', open_interest_value: '7954901152.2734' });
    expect(() => validateRecord(oi)).not.toThrow();
    expect(ctx.problems).toEqual([]);
  });
});

describe('binance instrument names', () => {
  it('maps spot pairs, USDⓈ-M perpetuals and deliveries, COIN-M perpetuals and deliveries both ways', () => {
    const cases: [BinanceMarket, string, string, string][] = [
      ['spot', 'BTCUSDT', 'BTC-USDT', 'spot'],
      ['usdm', 'BTCUSDT', 'BTC-USDT', 'perpetual'],
      ['usdm', 'BTCUSDT_250627', 'BTC-USDT-250627', 'futures'],
      ['coinm', 'BTCUSD_PERP', 'BTC-USD', 'perpetual'],
      ['coinm', 'ETHUSD_251226', 'ETH-USD-251226', 'futures'],
    ];
    for (const [market, wire, symbol, type] of cases) {
      expect(binanceInstrument(wire, market)).toEqual({ symbol, market_type: type });
      expect(binanceWire(symbol, market)).toBe(wire);
    }
    expect(binanceInstrument('BTCUSDT_250627', 'spot')).toBeUndefined();
    expect(binanceInstrument('BTCUSD', 'coinm')).toBeUndefined(); // COIN-M names carry _PERP or an expiry
    expect(binanceInstrument('BTCUSDT_PERP_X', 'usdm')).toBeUndefined();
  });

  it('publishes a USDⓈ-M delivery under its expiry as market type futures, without funding', () => {
    const { ctx, adapter } = adapterFor('binance-usdm');
    adapter.onMessage(
      'c1',
      edited('binance-usdm', 'ws-aggTrade.live-2026-10-07.BTCUSDT.json', (m) => ((m.data ?? m).s = 'BTCUSDT_261225')),
    );
    adapter.onMessage(
      'c1',
      edited('binance-usdm', 'ws-markPriceUpdate.live-2026-10-07.BTCUSDT.json', (m) => {
        const d = m.data ?? m;
        d.s = 'BTCUSDT_261225';
        d.r = '';
        d.T = 0;
      }),
    );
    expect(ctx.records).toHaveLength(1);
    expect(ctx.records[0]).toMatchObject({ data_type: 'trade', symbol: 'BTC-USDT-261225', market_type: 'futures' });
    expect(() => validateRecord(ctx.records[0])).not.toThrow();
  });
});
