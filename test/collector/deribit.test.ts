/** Deribit: books by change_id (numbers kept as text), DVOL and ticker-derived funding/open interest. */
import { describe, expect, it } from 'vitest';
import { parseJsonKeepNumbers } from '../../src/collector/json.js';
import { validateRecord } from '../../src/core/validate.js';
import { adapterFor, sample } from './context.js';

const deribit = (f: string) => sample('deribit', f);

describe('number-preserving JSON', () => {
  it('keeps number text exactly, leaves strings and literals alone', () => {
    expect(parseJsonKeepNumbers('{"a":0.1,"b":[1e-8,-2.50,12345678901234567890],"c":"3.0","d":true,"e":null,"f":"x\\"1"}')).toEqual({
      a: '0.1',
      b: ['1e-8', '-2.50', '12345678901234567890'],
      c: '3.0',
      d: true,
      e: null,
      f: 'x"1',
    });
    expect(() => parseJsonKeepNumbers('{"a":')).toThrow(SyntaxError);
  });
});

describe('deribit books', () => {
  it('applies a snapshot and two chained changes (live 2021 .raw frames), exact text', () => {
    const { ctx, adapter } = adapterFor('deribit');
    adapter.onMessage('c1', deribit('ws-book.BTC-31DEC21-34000-P.raw.1-snapshot.live-2021-07-22.json'));
    adapter.onMessage('c1', deribit('ws-book.BTC-31DEC21-34000-P.raw.2-change.live-2021-07-22.json'));
    adapter.onMessage('c1', deribit('ws-book.BTC-31DEC21-34000-P.raw.3-change.live-2021-07-22.json'));
    const books = ctx.books();
    expect(books.map((b) => b.last_update_id)).toEqual(['33195894133', '33195894765', '33195896354']);
    // Options count the base asset: no raw arrays.
    expect(books[0]).toMatchObject({
      exchange: 'deribit',
      market_type: 'options',
      symbol: 'BTC-31DEC21-34000-P',
      timestamp: 1626993721943,
      quantity_unit: 'base',
      bids_raw: undefined,
    });
    expect(books[2]!.bids.slice(0, 2)).toEqual([
      ['0.2325', '1.5'],
      ['0.232', '4.6'],
    ]);
    expect(books[2]!.asks).toEqual([
      ['0.236', '4.8'],
      ['0.2365', '3.6'],
      ['0.2375', '1.0'],
      ['0.238', '1.0'],
      ['0.2385', '9.3'],
    ]);
    expect(ctx.problems).toEqual([]);
    for (const b of books) expect(() => validateRecord(b)).not.toThrow();
  });

  it('resubscribes on a prev_change_id mismatch and waits for the new snapshot', () => {
    const { ctx, adapter } = adapterFor('deribit');
    adapter.onMessage('c1', deribit('ws-book.BTC-PERPETUAL.100ms.snapshot.live-2021-06-02.json'));
    adapter.onMessage('c1', deribit('ws-book.BTC-PERPETUAL.100ms.change.live-2021-06-02.json')); // not the snapshot's successor
    expect(ctx.problems.map((p) => p.kind)).toEqual(['gap']);
    expect(ctx.sent.map((s) => JSON.parse(s.text))).toMatchObject([
      { method: 'public/unsubscribe', params: { channels: ['book.BTC-PERPETUAL.100ms'] } },
      { method: 'public/subscribe', params: { channels: ['book.BTC-PERPETUAL.100ms'] } },
    ]);
    expect(ctx.books()).toHaveLength(1);
    // An inverse perpetual counts USD: base = USD / price, half-even at 18 places
    // (20 / 37240 = 0.000537056928034371|64... -> ...372; 14270 / 37237 = 0.383220989875661304|6... -> ...305).
    expect(ctx.books()[0]).toMatchObject({
      symbol: 'BTC-USD',
      market_type: 'perpetual',
      quantity_unit: 'quote',
      bids: [
        ['37240.0', '0.000537056928034372'],
        ['37237.0', '0.383220989875661305'],
        ['37233.0', '0.001342894743909972'],
      ],
      bids_raw: ['20.0', '14270.0', '50.0'],
    });
    adapter.onMessage('c1', deribit('ws-book.BTC-PERPETUAL.100ms.change.live-2021-06-02.json'));
    expect(ctx.books()).toHaveLength(1); // still waiting for the snapshot
  });

  it('refuses the grouped channel (no change chain) as malformed', () => {
    const { ctx, adapter } = adapterFor('deribit');
    adapter.onMessage('c1', deribit('ws-book.BTC-PERPETUAL.none.10.100ms.live-2026-01-24.json'));
    expect(ctx.problems.map((p) => p.kind)).toEqual(['malformed']);
  });
});

describe('deribit indices and tickers', () => {
  it('maps DVOL to volatility_index', () => {
    const { ctx, adapter } = adapterFor('deribit');
    adapter.onMessage('c1', deribit('ws-deribit_volatility_index.btc_usd.docs.json'));
    expect(ctx.records).toEqual([
      {
        data_type: 'volatility_index',
        exchange: 'deribit',
        market_type: 'options',
        symbol: 'BTC-USD',
        timestamp: 1619777946007,
        local_timestamp: ctx.time,
        index_value: '129.36',
        underlying_asset: 'BTC',
        maturity_date: undefined,
      },
    ]);
  });

  it('maps the perpetual ticker to funding_rate and open_interest, at most once per interval', () => {
    const { ctx, adapter } = adapterFor('deribit');
    adapter.onMessage('c1', deribit('ws-ticker.BTC-PERPETUAL.100ms.live-2025-12-12.json'));
    ctx.time += 100;
    adapter.onMessage('c1', deribit('ws-ticker.BTC-PERPETUAL.100ms.live-2025-12-12.json'));
    expect(ctx.records).toEqual([
      {
        data_type: 'funding_rate',
        exchange: 'deribit',
        market_type: 'perpetual',
        symbol: 'BTC-USD',
        timestamp: 1765541474086,
        local_timestamp: ctx.time - 100,
        funding_rate: '0.00001742',
        mark_price: '92281.78',
        index_price: '92263.55',
        funding_time: undefined,
        next_funding_time: undefined,
      },
      {
        data_type: 'open_interest',
        exchange: 'deribit',
        market_type: 'perpetual',
        symbol: 'BTC-USD',
        timestamp: 1765541474086,
        local_timestamp: ctx.time - 100, // 1132329370 USD / mark 92281.78 = 12270.345998961008337723|87... BTC
        open_interest: '12270.345998961008337724',
        open_interest_raw: '1132329370.0',
        open_interest_unit: 'quote',
        open_interest_value: '1132329370.0',
      },
    ]);
    for (const r of ctx.records) expect(() => validateRecord(r)).not.toThrow();
  });
});
