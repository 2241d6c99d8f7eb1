import { describe, expect, it } from 'vitest';
import { DATA_TYPES } from '../../src/core/model.js';
import { msgIdOf, subjectOf } from '../../src/core/subjects.js';
import { InvalidRecordError, validateRecord } from '../../src/core/validate.js';
import { sampleRecords } from '../helpers/records.js';

describe('validateRecord', () => {
  it('accepts a sample of every data type', () => {
    const samples = sampleRecords();
    expect(samples.map((r) => r.data_type).sort()).toEqual([...DATA_TYPES].sort());
    for (const r of samples) expect(validateRecord(JSON.parse(JSON.stringify(r)))).toEqual(JSON.parse(JSON.stringify(r)));
  });

  const trade = () => JSON.parse(JSON.stringify(sampleRecords()[1])) as Record<string, unknown>;
  const reject = (v: unknown) => {
    try {
      validateRecord(v);
    } catch (err) {
      expect(err).toBeInstanceOf(InvalidRecordError);
      return (err as Error).message;
    }
    throw new Error('accepted');
  };

  it('names the field and the value it rejects', () => {
    expect(reject({ ...trade(), price: 27150.01 })).toBe('field "price": expected a decimal string, got number');
    expect(reject({ ...trade(), side: 'long' })).toBe('field "side": expected "buy" or "sell", got "long"');
    expect(reject({ ...trade(), timestamp: 1732550400 })).toMatch(/^field "timestamp": expected integer milliseconds/);
    expect(reject({ ...trade(), trade_id: undefined })).toBe('field "trade_id": missing');
    expect(reject({ ...trade(), symbol: 'btc/usdt' })).toMatch(/^field "symbol"/);
    expect(reject({ ...trade(), data_type: 'candles' })).toBe('field "data_type": unknown data type "candles"');
    expect(reject({ ...trade(), exchange: 'kraken' })).toBe('field "exchange": unknown exchange "kraken"; expected one of binance, okx, deribit');
    expect(reject([1, 2])).toMatch(/expected a JSON object/);
    const book = JSON.parse(JSON.stringify(sampleRecords()[0]));
    expect(reject({ ...book, bids: [['1', '2'], ['1']] })).toMatch(/^field "bids": level 1: expected \[price, quantity\]/);
    expect(reject({ ...book, last_update_id: 5 })).toMatch(/^field "last_update_id": expected an unsigned integer as text/);
  });

  it('rejects what ClickHouse would silently change, naming the field and the value', () => {
    const book = JSON.parse(JSON.stringify(sampleRecords()[0]));
    expect(() => validateRecord({ ...book, last_update_id: '18446744073709551615' })).not.toThrow();
    expect(reject({ ...book, last_update_id: '18446744073709551616' })).toBe(
      'field "last_update_id": exceeds UInt64 (18446744073709551615), got "18446744073709551616"',
    );
    expect(reject({ ...book, last_update_id: '99999999999999999999' })).toMatch(/^field "last_update_id": exceeds UInt64/);
    const vix = JSON.parse(JSON.stringify(sampleRecords()[7]));
    expect(() => validateRecord({ ...vix, maturity_date: '2028-02-29' })).not.toThrow();
    expect(reject({ ...vix, maturity_date: '2026-02-30' })).toBe('field "maturity_date": not a calendar date, got "2026-02-30"');
    expect(reject({ ...vix, maturity_date: '2026-13-01' })).toBe('field "maturity_date": not a calendar date, got "2026-13-01"');
    expect(reject({ ...vix, maturity_date: '2150-01-01' })).toBe(
      'field "maturity_date": outside the Date column\'s range 1970-01-01..2149-06-06, got "2150-01-01"',
    );
    expect(reject({ ...vix, maturity_date: '1969-12-31' })).toMatch(/^field "maturity_date": outside the Date column's range/);
    expect(reject({ ...trade(), timestamp: Date.UTC(2106, 1, 8) })).toMatch(/^field "timestamp": expected integer milliseconds .* got 4295030400000$/);
    expect(reject({ ...trade(), trade_time: Date.UTC(1999, 11, 31) })).toMatch(/^field "trade_time": expected integer milliseconds/);
    expect(() => validateRecord({ ...trade(), timestamp: Date.UTC(2106, 1, 7) })).not.toThrow();
  });

  it('rejects non-positive prices and negative quantities', () => {
    expect(reject({ ...trade(), price: '0' })).toBe('field "price": must be positive, got "0"');
    expect(reject({ ...trade(), price: '-1.5' })).toBe('field "price": must be positive, got "-1.5"');
    expect(reject({ ...trade(), quantity: '-0.1' })).toBe('field "quantity": must not be negative, got "-0.1"');
    expect(reject({ ...trade(), quantity_raw: '-1' })).toBe('field "quantity_raw": must not be negative, got "-1"');
    expect(() => validateRecord({ ...trade(), quantity: '-0.000' })).not.toThrow();
    const funding = JSON.parse(JSON.stringify(sampleRecords()[2]));
    expect(reject({ ...funding, mark_price: '0.0' })).toBe('field "mark_price": must be positive, got "0.0"');
    expect(() => validateRecord({ ...funding, funding_rate: '-0.01' })).not.toThrow();
    const oi = JSON.parse(JSON.stringify(sampleRecords()[3]));
    expect(reject({ ...oi, open_interest: '-5' })).toBe('field "open_interest": must not be negative, got "-5"');
    expect(() => validateRecord({ ...oi, open_interest: '0' })).not.toThrow();
    const book = JSON.parse(JSON.stringify(sampleRecords()[0]));
    expect(
      reject({
        ...book,
        bids: [
          ['1', '2'],
          ['0', '1'],
        ],
      }),
    ).toBe('field "bids": level 1: price must be positive, got "0"');
    expect(reject({ ...book, asks: [['1', '0']] })).toBe('field "asks": level 0: quantity must be positive, got "0"');
    expect(reject({ ...book, asks: [['1', '-2']] })).toBe('field "asks": level 0: quantity must be positive, got "-2"');
    expect(reject({ ...book, quantity_unit: 'contracts', bids_raw: ['5', '0'], asks_raw: ['1'] })).toBe(
      'field "bids_raw": element 1: must be positive, got "0"',
    );
  });

  it('allows optional fields to be absent', () => {
    const f = JSON.parse(JSON.stringify(sampleRecords()[2]));
    delete f.mark_price;
    delete f.next_funding_time;
    expect(() => validateRecord(f)).not.toThrow();
  });
});

describe('subjects and message ids', () => {
  it('follow {data_type}.{exchange}.{market_type}.{symbol} and the natural key', () => {
    const [book, trade] = sampleRecords();
    expect(subjectOf(book!)).toBe('orderbook.binance.spot.BTC-USDT');
    expect(subjectOf(trade!)).toBe('trade.binance.perpetual.BTC-USDT');
    expect(msgIdOf(trade!)).toBe('trade:binance:perpetual:BTC-USDT:5123107852948');
    expect(msgIdOf(book!)).toBe(`orderbook:binance:spot:BTC-USDT:${book!.timestamp}:18446744073709551000`);
  });

  it('gives every sample a distinct id', () => {
    const ids = sampleRecords().map(msgIdOf);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
