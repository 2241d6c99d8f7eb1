/** OKX: mapping of real frames and docs examples, and books sync (pushed snapshot, REST snapshot, checksum). */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { capturePaths } from '../capture/captures.js';
import { bookChecksum, mapOkxLongShort, mapOkxOpenInterest, shares } from '../../src/collector/venues/okx/mapper.js';
import { OrderBook } from '../../src/collector/book/order-book.js';
import { compareDecimal } from '../../src/core/decimal.js';
import { validateRecord } from '../../src/core/validate.js';
import { adapterFor, edited, sample } from './context.js';

const okx = (f: string) => sample('okx', f);
const NOW = 1_765_201_300_000;

describe('okx books', () => {
  it('computes the checksum OKX sent with real 2022 frames (signed CRC32 over interleaved top-25 text)', () => {
    const frames = readFileSync(capturePaths('OKX.ws.1.0')[0]!, 'utf8')
      .split('\n')
      .map((l) => /^\d+\.?\d*: (.*)$/.exec(l)?.[1])
      .filter((t): t is string => !!t && t.includes('"channel":"books","instId":"UNI-USD-SWAP"},"action"'))
      .slice(0, 5)
      .map((t) => JSON.parse(t));
    const b = new OrderBook();
    for (const f of frames) {
      for (const [p, q] of f.data[0].bids) b.bids.set(p, q);
      for (const [p, q] of f.data[0].asks) b.asks.set(p, q);
      expect(f.data[0].checksum).not.toBe(0);
      expect(bookChecksum(b)).toBe(f.data[0].checksum);
    }
    b.bids.set(b.bids.best()![0], '1'); // any change to the top 25 changes the checksum
    expect(bookChecksum(b)).not.toBe(frames[4].data[0].checksum);
  });

  it('flags a checksum mismatch on the truncated live snapshot and resubscribes', () => {
    const { ctx, adapter } = adapterFor('okx');
    adapter.onMessage('c1', okx('ws-books-snapshot.live-2025-12-08.NEAR-USDT.truncated.json'));
    expect(ctx.problems.map((p) => p.kind)).toEqual(['checksum']); // roq truncated the levels, OKX's checksum covers the full top 25
    expect(ctx.books()).toHaveLength(0);
    expect(ctx.sent.map((s) => JSON.parse(s.text).op)).toEqual(['unsubscribe', 'subscribe']);
    expect(JSON.parse(ctx.sent[1]!.text).args).toEqual([{ channel: 'books', instId: 'NEAR-USDT' }]);
  });

  it('chains the live snapshot and update by seqId/prevSeqId (checksum 0 = deprecated)', () => {
    const { ctx, adapter } = adapterFor('okx');
    adapter.onMessage(
      'c1',
      edited('okx', 'ws-books-snapshot.live-2025-12-08.NEAR-USDT.truncated.json', (m) => (m.data[0].checksum = 0)),
    );
    adapter.onMessage(
      'c1',
      edited('okx', 'ws-books-update.live-2025-12-08.NEAR-USDT.json', (m) => (m.data[0].checksum = 0)),
    );
    const books = ctx.books();
    expect(books.map((b) => b.last_update_id)).toEqual(['9690930615', '9690930617']);
    expect(books[1]!.bids).toEqual([
      ['1.782', '2173.46443964'],
      ['1.781', '14694.07509503'],
      ['1.78', '12102.991384'],
      ['1.32', '541.81794985'],
    ]);
    expect(books[1]!.asks[0]).toEqual(['1.783', '411.15719291']);
    expect(books[1]!.timestamp).toBe(1765201257205);
    expect(ctx.problems).toEqual([]);
  });

  it('treats a broken prevSeqId chain as a gap and resubscribes', () => {
    const { ctx, adapter } = adapterFor('okx');
    adapter.onMessage('c1', okx('ws-books-snapshot.docs.json'));
    adapter.onMessage(
      'c1',
      edited('okx', 'ws-books-update.docs.json', (m) => (m.data[0].prevSeqId = 123455)),
    );
    expect(ctx.problems.map((p) => p.kind)).toEqual(['gap']);
    expect(ctx.books()).toHaveLength(1); // the snapshot only
    expect(ctx.sent).toHaveLength(2);
    // updates before the new pushed snapshot are not applied
    adapter.onMessage('c1', okx('ws-books-update.docs.json'));
    expect(ctx.books()).toHaveLength(1);
    adapter.onMessage('c1', okx('ws-books-snapshot.docs.json'));
    expect(ctx.books()).toHaveLength(2);
  });

  it('2026 protocol: no pushed snapshot -> REST snapshot; first update has prevSeqId <= seqId(snapshot) < seqId', () => {
    const { ctx, adapter } = adapterFor('okx');
    // The docs update's levels sit far from the docs REST book's; move them next to it (else crossed).
    const update = (extra: object) =>
      edited('okx', 'ws-books-update.docs.json', (m) =>
        Object.assign(m.data[0], { bids: [['41006.2', '1', '0', '1']], asks: [['41007', '2', '0', '1']] }, extra),
      );
    adapter.onMessage('c1', update({})); // prevSeqId 123456, seqId 123457
    expect(ctx.snapshots).toEqual([{ key: 'BTC-USDT', url: 'https://www.okx.com/api/v5/market/books?instId=BTC-USDT&sz=400', weight: 1 }]);
    const rest = edited('okx', 'rest-api-v5-market-books.docs.json', (m) => (m.data[0].seqId = 123456));
    adapter.onSnapshot('BTC-USDT', rest);
    const books = ctx.books();
    expect(books.map((b) => b.last_update_id)).toEqual(['123457']);
    expect(books[0]!.bids).toEqual([
      ['41006.3', '0.30178218'],
      ['41006.2', '1'],
    ]);
    expect(books[0]!.asks).toEqual([
      ['41006.8', '0.60038921'],
      ['41007', '2'],
    ]);
    expect(ctx.problems).toEqual([]);
    // heartbeat: seqId == prevSeqId, no levels -> no new book
    adapter.onMessage(
      'c1',
      edited('okx', 'ws-books-update.docs.json', (m) => Object.assign(m.data[0], { prevSeqId: 123457, seqId: 123457, bids: [], asks: [] })),
    );
    adapter.onMessage('c1', update({ prevSeqId: 123457, seqId: 123460, bids: [['41006.2', '0', '0', '0']] }));
    expect(ctx.books().map((b) => b.last_update_id)).toEqual(['123457', '123460']);
    expect(ctx.books()[1]!.bids).toEqual([['41006.3', '0.30178218']]);
    expect(ctx.problems).toEqual([]);
  });

  it('2026 protocol: an update arriving after a REST snapshot taken mid-window bridges it (no false gap)', () => {
    const { ctx, adapter } = adapterFor('okx');
    const update = (prevSeqId: number, seqId: number, bids: string[][]) =>
      edited('okx', 'ws-books-update.docs.json', (m) => Object.assign(m.data[0], { prevSeqId, seqId, bids, asks: [['41007', '2', '0', '1']] }));
    adapter.onMessage('c1', update(100, 110, [['41006.2', '1', '0', '1']]));
    // OKX took the snapshot at seqId 115, inside the window of the next push (110 -> 120)
    adapter.onSnapshot(
      'BTC-USDT',
      edited('okx', 'rest-api-v5-market-books.docs.json', (m) => (m.data[0].seqId = 115)),
    );
    expect(ctx.books().map((b) => b.last_update_id)).toEqual(['115']);
    adapter.onMessage('c1', update(110, 120, [['41006.1', '3', '0', '1']]));
    adapter.onMessage('c1', update(120, 121, [['41006.1', '0', '0', '0']]));
    expect(ctx.problems).toEqual([]);
    expect(ctx.books().map((b) => b.last_update_id)).toEqual(['115', '120', '121']);
    // but a push that starts after the snapshot leaves a hole
    const other = adapterFor('okx');
    other.adapter.onMessage('c1', update(100, 110, []));
    other.adapter.onSnapshot(
      'BTC-USDT',
      edited('okx', 'rest-api-v5-market-books.docs.json', (m) => (m.data[0].seqId = 115)),
    );
    other.adapter.onMessage('c1', update(117, 120, []));
    expect(other.ctx.problems.map((p) => p.kind)).toEqual(['gap']);
  });

  it('asks again when the REST snapshot predates the buffered update', () => {
    const { ctx, adapter } = adapterFor('okx');
    adapter.onMessage(
      'c1',
      edited('okx', 'ws-books-update.docs.json', (m) => Object.assign(m.data[0], { prevSeqId: 3235851800, seqId: 3235851801 })),
    );
    adapter.onSnapshot('BTC-USDT', okx('rest-api-v5-market-books.docs.json')); // seqId 3235851742 < prevSeqId
    expect(ctx.snapshots).toHaveLength(2);
    expect(ctx.books()).toHaveLength(0);
  });
});

describe('okx other channels', () => {
  it('maps trades, funding-rate, open-interest and liquidation-orders', () => {
    const { ctx, adapter } = adapterFor('okx');
    adapter.onMessage('c1', okx('ws-trades.live-2025-12-08.BTC-USDT-SWAP.json'));
    adapter.onMessage('c1', okx('ws-funding-rate.live-2025-12-08.LTC-USDT-SWAP.json'));
    adapter.onMessage('c1', okx('ws-open-interest.docs.json'));
    adapter.onMessage('c1', okx('ws-liquidation-orders.docs.json'));
    adapter.onMessage('c1', 'pong');
    adapter.onMessage('c1', JSON.stringify({ event: 'error', code: '60012', msg: 'Invalid request' }));
    const [trade, funding, oi, liq] = ctx.records;
    expect(trade).toEqual({
      data_type: 'trade',
      exchange: 'okx',
      market_type: 'perpetual',
      symbol: 'BTC-USDT',
      timestamp: 1765201257145,
      local_timestamp: ctx.time,
      // 0.03 contracts of 0.01 BTC = 0.0003 BTC.
      trade_id: '2005639579',
      price: '91467.1',
      quantity: '0.0003',
      quantity_raw: '0.03',
      quantity_unit: 'contracts',
      side: 'sell',
      is_maker: true,
      trade_time: 1765201257145,
    });
    expect(funding).toMatchObject({
      data_type: 'funding_rate',
      symbol: 'LTC-USDT',
      funding_rate: '0.0001000000000000',
      funding_time: 1765209600000,
      next_funding_time: 1765238400000,
      timestamp: 1765201461438,
    });
    // oiCcy (BTC) is OKX's own base figure: 2216113.01000000309 contracts × 0.01.
    expect(oi).toMatchObject({
      data_type: 'open_interest',
      symbol: 'BTC-USDT',
      open_interest: '22161.1301000000309',
      open_interest_raw: '2216113.01000000309',
      open_interest_unit: 'contracts',
      open_interest_value: '1939251795.54769270396321',
    });
    // 13 contracts of 1000 IOST; the price is OKX's bankruptcy price bkPx.
    expect(liq).toMatchObject({
      data_type: 'liquidation',
      symbol: 'IOST-USDT',
      side: 'buy',
      price: '0.007831',
      quantity: '13000',
      quantity_raw: '13',
      quantity_unit: 'contracts',
      liquidation_time: 1692266434010,
    });
    expect(ctx.problems.map((p) => p.kind)).toEqual(['venue_error']);
    for (const r of ctx.records) expect(() => validateRecord(r)).not.toThrow();
  });

  it('maps REST open interest and both rubik long/short endpoints, deriving exact shares', () => {
    expect(mapOkxOpenInterest(okx('rest-api-v5-public-open-interest.live-2024-10-12.BTC-USDT-SWAP.json'), NOW)[0]).toMatchObject({
      symbol: 'BTC-USDT',
      market_type: 'perpetual',
      open_interest: '26631.0729999999861',
      open_interest_value: '1676426045.349999124995',
      timestamp: 1728728314766,
    });
    const top = mapOkxLongShort(
      'lsr_top_position',
      'BTC-USDT-SWAP',
      okx('rest-api-v5-rubik-stat-contracts-long-short-account-ratio-contract-top-trader.docs.json'),
      '5m',
      NOW,
    );
    const all = mapOkxLongShort(
      'lsr_all_account',
      'BTC-USDT-SWAP',
      okx('rest-api-v5-rubik-stat-contracts-long-short-account-ratio-contract.docs.json'),
      '5m',
      NOW,
    );
    expect(top[0]).toMatchObject({
      data_type: 'lsr_top_position',
      long_short_ratio: '1.1739',
      long_position_ratio: '0.539997239983439901',
      short_position_ratio: '0.460002760016560099',
      period: '5m',
    });
    expect(all[1]).toMatchObject({
      data_type: 'lsr_all_account',
      long_short_ratio: '0.1236',
      long_account_ratio: '0.110003559985760057',
      short_account_ratio: '0.889996440014239943',
    });
    for (const r of [...top, ...all]) expect(() => validateRecord(r)).not.toThrow();
  });

  it('derives shares that sum to exactly 1', () => {
    for (const r of ['0', '1', '1.1739', '0.0001', '12345.678901234567890123']) {
      const [l, s] = shares(r);
      // exact: long + short == 1 in 18-digit fixed point
      const fixed = (d: string) => BigInt((d.split('.')[0] ?? '0') + (d.split('.')[1] ?? '').padEnd(18, '0'));
      expect(fixed(l) + fixed(s)).toBe(10n ** 18n);
      expect(compareDecimal(l, '0')).toBeGreaterThanOrEqual(0);
      expect(compareDecimal(s, '0')).toBeGreaterThanOrEqual(0);
    }
    expect(shares('1')).toEqual(['0.5', '0.5']);
    expect(shares('0')).toEqual(['0', '1']);
    expect(shares('3')).toEqual(['0.75', '0.25']);
  });
});

describe('okx units', () => {
  it('converts inverse contracts at the trade price, half-even at 18 places, and keeps the raw size', () => {
    const { ctx, adapter } = adapterFor('okx');
    const trade = edited('okx', 'ws-trades.live-2025-12-08.BTC-USDT-SWAP.json', (m) => {
      m.arg.instId = m.data[0].instId = 'BTC-USD-SWAP';
      m.data[0].px = '30000';
      m.data[0].sz = '5';
    });
    adapter.onMessage('c1', trade);
    // 5 contracts × 100 USD / 30000 USD per BTC = 0.0166... BTC; the 19th digit is 6, so ...667.
    expect(ctx.records[0]).toMatchObject({
      symbol: 'BTC-USD',
      market_type: 'perpetual',
      quantity: '0.016666666666666667',
      quantity_raw: '5',
      quantity_unit: 'contracts',
    });
    expect(() => validateRecord(ctx.records[0])).not.toThrow();
  });

  it('publishes nothing for a contract whose size is unknown, and counts it', () => {
    const { ctx, adapter } = adapterFor('okx');
    ctx.instruments.delete('BTC-USDT-SWAP');
    adapter.onMessage('c1', okx('ws-trades.live-2025-12-08.BTC-USDT-SWAP.json'));
    expect(ctx.records).toEqual([]);
    expect(ctx.problems.map((p) => p.kind)).toEqual(['unknown_instrument']);
    expect(ctx.problems[0]!.message).toContain('BTC-USDT-SWAP');
  });

  it('publishes swap books in base quantities with the contracts beside them', () => {
    const { ctx, adapter } = adapterFor('okx');
    const snapshot = edited('okx', 'ws-books-snapshot.docs.json', (m) => {
      m.arg.instId = 'BTC-USDT-SWAP';
      m.data[0].checksum = 0;
      m.data[0].bids = [
        ['91467.1', '12', '0', '3'],
        ['91467', '0.5', '0', '1'],
      ];
      m.data[0].asks = [['91467.2', '250', '0', '7']];
    });
    adapter.onMessage('c1', snapshot);
    const [book] = ctx.books();
    expect(book).toMatchObject({
      symbol: 'BTC-USDT',
      market_type: 'perpetual',
      quantity_unit: 'contracts',
      bids: [
        ['91467.1', '0.12'],
        ['91467', '0.005'],
      ],
      bids_raw: ['12', '0.5'],
      asks: [['91467.2', '2.5']],
      asks_raw: ['250'],
    });
    expect(() => validateRecord(book)).not.toThrow();
  });

  it('fills funding mark and index prices from the mark-price and index-tickers channels', () => {
    const { ctx, adapter } = adapterFor('okx');
    adapter.onMessage(
      'c1',
      JSON.stringify({
        arg: { channel: 'mark-price', instId: 'LTC-USDT-SWAP' },
        data: [{ instType: 'SWAP', instId: 'LTC-USDT-SWAP', markPx: '82.47', ts: '1765201461000' }],
      }),
    );
    adapter.onMessage(
      'c1',
      JSON.stringify({
        arg: { channel: 'index-tickers', instId: 'LTC-USDT' },
        data: [{ instId: 'LTC-USDT', idxPx: '82.455', open24h: '80', high24h: '83', low24h: '79', sodUtc0: '81', sodUtc8: '81', ts: '1765201461100' }],
      }),
    );
    adapter.onMessage('c1', okx('ws-funding-rate.live-2025-12-08.LTC-USDT-SWAP.json'));
    expect(ctx.records).toHaveLength(1);
    expect(ctx.records[0]).toMatchObject({
      data_type: 'funding_rate',
      symbol: 'LTC-USDT',
      mark_price: '82.47',
      index_price: '82.455',
      funding_time: 1765209600000,
      next_funding_time: 1765238400000,
    });
  });
});
