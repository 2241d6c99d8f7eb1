/**
 * One test per defect the parser fuzz test (fuzz.test.ts) found, each on the real
 * message it was found with (a protocol sample, edited as the mutation did): the value
 * never reaches a record or a book, it is counted by its problem, and a book that
 * missed a change is resynced.
 */
import { describe, expect, it } from 'vitest';
import { MAX_MS } from '../../src/core/validate.js';
import { adapterFor, edited, sample } from './context.js';

const spot = (f: string) => sample('binance-spot', f);
const usdm = (f: string) => sample('binance-usdm', f);
const SPOT_SNAPSHOT = 'rest-api-v3-depth.live-2024-08-08.BTCUSDT.limit1000.json';
const spotSeq = (n: number) => `ws-depthUpdate.live-2024-08-08.BTCUSDT.seq${n}.json`;
const kinds = (ctx: { problems: { kind: string }[] }) => ctx.problems.map((p) => p.kind);

/** A Binance spot BTCUSDT book synced from the live 2024-08-08 sequence (seq1..seq3 + snapshot). */
function syncedSpot() {
  const { ctx, adapter } = adapterFor('binance-spot');
  for (const n of [1, 2, 3]) adapter.onMessage('c1', spot(spotSeq(n)));
  adapter.onSnapshot('BTCUSDT', spot(SPOT_SNAPSHOT));
  expect(ctx.take()).toHaveLength(1);
  return { ctx, adapter };
}

describe('impossible times are bad_time, never a record', () => {
  it('binance depth: a diff with a negative E drops and resyncs the book (found: -E published a book)', () => {
    const { ctx, adapter } = syncedSpot();
    adapter.onMessage(
      'c1',
      edited('binance-spot', spotSeq(4), (m) => (m.data.E = -m.data.E)),
    );
    expect(ctx.records).toEqual([]);
    expect(kinds(ctx)).toEqual(['bad_time']);
    expect(ctx.resyncs).toEqual([{ symbol: 'BTC-USDT', reason: 'bad_time' }]);
    // The next good diff starts over from a new snapshot.
    adapter.onMessage('c1', spot(spotSeq(4)));
    expect(ctx.snapshots).toHaveLength(2);
  });

  it('okx trades: a negative ts (found: a trade with a negative timestamp)', () => {
    const { ctx, adapter } = adapterFor('okx');
    adapter.onMessage(
      'c1',
      edited('okx', 'ws-trades.live-2025-12-08.BTC-USDT-SWAP.json', (m) => (m.data[0].ts = '-1652459235555')),
    );
    expect(ctx.records).toEqual([]);
    expect(kinds(ctx)).toEqual(['bad_time']);
  });

  it('binance markPrice: E and T beyond 2106 (found: funding_rate with timestamp 99999999999999, funding_time 1e15)', () => {
    for (const edit of [(d: any) => (d.E = 99999999999999), (d: any) => (d.T = 1e15), (d: any) => (d.E = MAX_MS + 1)]) {
      const { ctx, adapter } = adapterFor('binance-usdm');
      adapter.onMessage('c1', edited('binance-usdm', 'ws-markPriceUpdate.live-2026-01-17.BTCUSDT.json', edit));
      expect(ctx.records).toEqual([]);
      expect(kinds(ctx)).toEqual(['bad_time']);
    }
  });

  it('binance long/short: one row with an impossible timestamp is refused with the body (found: lsr record with timestamp 99999999999999)', () => {
    const { ctx, adapter } = adapterFor('binance-usdm');
    const body = edited('binance-usdm', 'rest-futures-data-globalLongShortAccountRatio.docs.json', (rows) => (rows[1].timestamp = '99999999999999'));
    expect(adapter.restRecords('https://fapi.binance.com/futures/data/globalLongShortAccountRatio?symbol=BTCUSDT&period=5m', body)).toEqual([]);
    expect(kinds(ctx)).toEqual(['bad_time']);
    expect(ctx.problems[0]!.message).toMatch(/timestamp: 99999999999999 is not a time/);
  });

  it('deribit book: a snapshot with timestamp -1 is not loaded (found: a book with timestamp -1)', () => {
    const { ctx, adapter } = adapterFor('deribit');
    adapter.onMessage(
      'c1',
      edited('deribit', 'ws-book.BTC-PERPETUAL.100ms.snapshot.live-2021-06-02.json', (m) => (m.params.data.timestamp = -1)),
    );
    expect(ctx.books()).toEqual([]);
    expect(kinds(ctx)).toEqual(['bad_time']);
  });
});

describe('non-positive prices and negative quantities', () => {
  it('okx trades: a negative px (found: a trade at -30230.2)', () => {
    const { ctx, adapter } = adapterFor('okx');
    adapter.onMessage(
      'c1',
      edited('okx', 'ws-trades.live-2025-12-08.BTC-USDT-SWAP.json', (m) => (m.data[0].px = '-91467.1')),
    );
    expect(ctx.records).toEqual([]);
    expect(kinds(ctx)).toEqual(['bad_price']);
  });

  it('binance open interest: a negative openInterest (found: open_interest -95744.938)', () => {
    const { ctx, adapter } = adapterFor('binance-usdm');
    const body = edited('binance-usdm', 'rest-fapi-v1-openInterest.live-2026-10-07.BTCUSDT.json', (m) => (m.openInterest = '-95744.938'));
    expect(adapter.restRecords('https://fapi.binance.com/fapi/v1/openInterest?symbol=BTCUSDT', body)).toEqual([]);
    expect(kinds(ctx)).toEqual(['bad_quantity']);
  });

  it('binance futures depth: a level of negative quantity never enters the book; the book resyncs (found: held level -2.832)', () => {
    const { ctx, adapter } = adapterFor('binance-usdm');
    adapter.onMessage('c1', usdm('ws-depthUpdate.live-2024-08-08.BTCUSDT.seq1.json'));
    adapter.onSnapshot('BTCUSDT', usdm('rest-fapi-v1-depth.live-2024-08-08.BTCUSDT.limit1000.json'));
    expect(ctx.take()).toHaveLength(1);
    adapter.onMessage(
      'c1',
      edited('binance-usdm', 'ws-depthUpdate.live-2024-08-08.BTCUSDT.seq2.json', (m) => (m.data.b[4][1] = '-2.832')),
    );
    expect(ctx.records).toEqual([]);
    expect(kinds(ctx)).toEqual(['bad_quantity']);
    expect(ctx.resyncs).toEqual([{ symbol: 'BTC-USDT', reason: 'bad_quantity' }]);
  });

  it('deribit book: a level at price 0 is bad_price, not an internal division by zero (found: divideDecimal 20 / 0)', () => {
    const { ctx, adapter } = adapterFor('deribit');
    adapter.onMessage('c1', sample('deribit', 'ws-book.BTC-PERPETUAL.100ms.snapshot.live-2021-06-02.json'));
    expect(ctx.take()).toHaveLength(1);
    adapter.onMessage(
      'c1',
      edited('deribit', 'ws-book.BTC-PERPETUAL.100ms.snapshot.live-2021-06-02.json', (m) => (m.params.data.bids[1][1] = 0)),
    );
    expect(ctx.books()).toEqual([]);
    expect(kinds(ctx)).toEqual(['bad_price']);
    expect(ctx.problems[0]!.message).not.toMatch(/internal/);
    // The book it would have replaced is dropped and resubscribed: it cannot be trusted either.
    expect(ctx.resyncs).toEqual([{ symbol: 'BTC-USD', reason: 'bad_price' }]);
    expect(ctx.sent.map((s) => JSON.parse(s.text).method)).toEqual(['public/unsubscribe', 'public/subscribe']);
  });

  it('deribit book: a change with a bad level is not half-applied (the levels before it stay as they were)', () => {
    const { ctx, adapter } = adapterFor('deribit', 400, 100);
    adapter.onMessage('c1', sample('deribit', 'ws-book.BTC-31DEC21-34000-P.raw.1-snapshot.live-2021-07-22.json'));
    const [before] = ctx.take() as any[];
    adapter.onMessage(
      'c1',
      edited('deribit', 'ws-book.BTC-31DEC21-34000-P.raw.2-change.live-2021-07-22.json', (m) => (m.params.data.bids[1][2] = -1)),
    );
    ctx.time += 1000;
    ctx.tick(); // the publish interval's timer: nothing pending from a half-applied change
    expect(ctx.books()).toEqual([]);
    expect(kinds(ctx)).toEqual(['bad_quantity']);
    expect(before.bids[1]).toEqual(['0.232', '5.3']);
  });
});

describe('ids and fields read silently before', () => {
  it('a sequence id beyond 2^53 (and so beyond what the book compares exactly) is bad_id', () => {
    const { ctx, adapter } = syncedSpot();
    adapter.onMessage('c1', spot(spotSeq(4)).replace(/"u":\d+/, '"u":99999999999999999999999'));
    expect(kinds(ctx)).toEqual(['bad_id']);
    expect(ctx.resyncs).toEqual([{ symbol: 'BTC-USDT', reason: 'bad_id' }]);
  });

  it('okx tradeId that is not an unsigned 64-bit integer is bad_id', () => {
    for (const id of ['18446744073709551616', '-5', 'abc']) {
      const { ctx, adapter } = adapterFor('okx');
      adapter.onMessage(
        'c1',
        edited('okx', 'ws-trades.live-2025-12-08.BTC-USDT-SWAP.json', (m) => (m.data[0].tradeId = id)),
      );
      expect(ctx.records).toEqual([]);
      expect(kinds(ctx)).toEqual(['bad_id']);
    }
  });

  it('an invalid copy of a trade does not use up its id: the valid one that follows is published', () => {
    const { ctx, adapter } = adapterFor('okx');
    const file = 'ws-trades.live-2025-12-08.BTC-USDT-SWAP.json';
    // Valid for the mapper, not for the model: with a (wrong) huge contract size the base quantity overflows Decimal(38, 18).
    ctx.instruments.set('BTC-USDT-SWAP', { ...ctx.instruments.get('BTC-USDT-SWAP')!, contract_size: '10000000000000000000' });
    adapter.onMessage(
      'c1',
      edited('okx', file, (m) => (m.data[0].sz = '99999')),
    );
    expect(ctx.records).toEqual([]);
    expect(kinds(ctx)).toEqual(['bad_quantity']);
    ctx.instruments.set('BTC-USDT-SWAP', { ...ctx.instruments.get('BTC-USDT-SWAP')!, contract_size: '0.01' });
    adapter.onMessage('c1', sample('okx', file));
    expect(ctx.records.map((r) => r.data_type)).toEqual(['trade']);
  });

  it('a binance trade without "m" is malformed, not a buy', () => {
    const { ctx, adapter } = adapterFor('binance-spot');
    adapter.onMessage(
      'c1',
      edited('binance-spot', 'ws-trade.live-2024-08-08.BTCUSDT.json', (m) => delete m.data.m),
    );
    expect(ctx.records).toEqual([]);
    expect(kinds(ctx)).toEqual(['malformed']);
  });

  it('a snapshot level of quantity 0 is counted and not loaded; the rest of the snapshot stands', () => {
    const { ctx, adapter } = adapterFor('binance-spot');
    adapter.onMessage('c1', spot(spotSeq(3)));
    // A bid the bridging diff (seq3) does not touch.
    const touched = new Set((JSON.parse(spot(spotSeq(3))).data.b as string[][]).map((l) => l[0]));
    const snapshot = JSON.parse(spot(SPOT_SNAPSHOT));
    const i = (snapshot.bids as string[][]).findIndex((l) => !touched.has(l[0]!));
    const [px, next] = [snapshot.bids[i][0] as string, snapshot.bids[i + 1][0] as string];
    snapshot.bids[i][1] = '0.00000000';
    adapter.onSnapshot('BTCUSDT', JSON.stringify(snapshot));
    const [book] = ctx.books();
    expect(book!.bids.find((l) => l[0] === px)).toBeUndefined();
    expect(book!.bids.find((l) => l[0] === next)).toBeDefined();
    expect(kinds(ctx)).toEqual(['bad_quantity']);
  });

  it('a book whose base quantities overflow Decimal(38, 18) is counted and not published, also from the publish-interval timer', () => {
    const { ctx, adapter } = adapterFor('okx', 400, 100);
    // Inverse contract sizes so large that a level's base quantity overflows Decimal(38, 18).
    ctx.instruments.set('BTC-USD-SWAP', { ...ctx.instruments.get('BTC-USD-SWAP')!, contract_size: '10000000000000000000' });
    adapter.onMessage(
      'c1',
      edited('okx', 'ws-books-snapshot.docs.json', (m) => {
        m.arg.instId = 'BTC-USD-SWAP';
        m.data[0].checksum = 0;
        m.data[0].asks[0][1] = '99999999999999999999';
      }),
    );
    ctx.time += 1000;
    expect(() => ctx.tick()).not.toThrow();
    expect(ctx.books()).toEqual([]);
    expect(kinds(ctx)).toContain('bad_quantity');
  });
});
