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
