/**
 * recordJson writes exactly what JSON.stringify writes: for every record the real
 * captures replay to (every type they hold, 400-level books, OKX books with raw
 * contract quantities), for the sample and contract records of the data model, and
 * for random order books (empty sides, raw arrays present or absent, fields left
 * undefined).
 */
import { describe, expect, it } from 'vitest';
import type { Level, MarketRecord, OrderbookRecord } from '../../src/core/model.js';
import { recordJson } from '../../src/core/record-json.js';
import { replay } from '../../src/collector/replay.js';
import { capturePaths } from '../capture/captures.js';
import { contractRecords, sampleRecords } from '../helpers/records.js';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function randomDecimal(r: () => number): string {
  const int = String(Math.floor(r() * 10 ** Math.floor(r() * 8)));
  const frac = r() < 0.5 ? '' : '.' + String(Math.floor(r() * 1e8)).padStart(8, '0');
  return int + frac;
}

describe('recordJson', () => {
  it('equals JSON.stringify for every record the captures replay to', async () => {
    for (const [venue, files] of [
      ['binance-spot', capturePaths('BINANCE.0', 'BINANCE.http.0.0', 'BINANCE.ws.1.0')],
      ['okx', capturePaths('OKX.0', 'OKX.ws.1.0')],
    ] as const) {
      const types = new Set<string>();
      let books = 0;
      await replay({ venue, files }, (rec) => {
        types.add(rec.data_type);
        if (rec.data_type === 'orderbook') books++;
        expect(recordJson(rec)).toBe(JSON.stringify(rec));
      });
      expect(books).toBeGreaterThan(100);
      expect(types.has('trade')).toBe(true);
    }
  });

  it('equals JSON.stringify for the data model samples and random books', () => {
    for (const rec of [...sampleRecords(), ...contractRecords()]) expect(recordJson(rec)).toBe(JSON.stringify(rec));
    const r = rng(7);
    const book = sampleRecords().find((x): x is OrderbookRecord => x.data_type === 'orderbook')!;
    for (let i = 0; i < 300; i++) {
      // The first sides are 0, 1 and 2 levels long (the first level is written apart from the rest).
      const side = (): Level[] =>
        Array.from({ length: i < 3 ? i : Math.floor(r() * 5) * Math.floor(r() * 100) }, () => [randomDecimal(r), randomDecimal(r)] as const);
      const bids = side();
      const asks = side();
      const raw = r() < 0.5;
      const rec: MarketRecord = {
        ...book,
        bids,
        asks,
        bids_raw: raw ? bids.map((l) => l[1]) : undefined,
        asks_raw: raw ? asks.map((l) => l[1]) : undefined,
        last_update_id: r() < 0.1 ? undefined : book.last_update_id,
      } as OrderbookRecord;
      expect(recordJson(rec)).toBe(JSON.stringify(rec));
    }
  });
});
