/**
 * rowJson writes exactly the JSONCompactEachRow line of toRow(r) under insertColumns:
 * for every record the real captures
 * replay to (every type they hold, 400-level books, OKX books with raw contract
 * quantities), for the data model's samples, for the same records as storage sees them
 * (parsed back from JSON, optional fields absent or null), and for free texts that must
 * be escaped. The storage tests read every type back from ClickHouse through it.
 */
import { describe, expect, it } from 'vitest';
import type { MarketRecord } from '../../src/core/model.js';
import { validateRecord } from '../../src/core/validate.js';
import { replay } from '../../src/collector/replay.js';
import { insertColumns, rowJson, toRow } from '../../src/storage/rows.js';
import { capturePaths } from '../capture/captures.js';
import { contractRecords, sampleRecords } from '../helpers/records.js';

/** The record as the consumer holds it: parsed from its JSON text and validated. */
const asConsumed = (r: MarketRecord) => validateRecord(JSON.parse(JSON.stringify(r)));

/** The definition rowJson is held to: toRow's values, in insertColumns' order. */
const compactRow = (r: MarketRecord) => {
  const row = toRow(r);
  expect(Object.keys(row).sort()).toEqual([...insertColumns(r.data_type)].sort());
  return JSON.stringify(insertColumns(r.data_type).map((c) => row[c]));
};

function expectSame(r: MarketRecord): void {
  expect(rowJson(r)).toBe(compactRow(r));
  const c = asConsumed(r);
  expect(rowJson(c)).toBe(compactRow(c));
}

describe('rowJson', () => {
  it('equals toRow(r) as a compact row for every record the captures replay to', async () => {
    for (const [venue, files] of [
      ['binance-spot', capturePaths('BINANCE.0', 'BINANCE.http.0.0', 'BINANCE.ws.1.0')],
      ['okx', capturePaths('OKX.0', 'OKX.ws.1.0')],
    ] as const) {
      const types = new Set<string>();
      await replay({ venue, files }, (rec) => {
        types.add(rec.data_type);
        expectSame(rec);
      });
      expect(types.has('orderbook') && types.has('trade')).toBe(true);
    }
  });

  it('equals it for every data type, optional fields present, absent and null', () => {
    const all = [...sampleRecords(), ...contractRecords()];
    expect(new Set(all.map((r) => r.data_type)).size).toBe(8);
    for (const r of all) {
      expectSame(r);
      // Each optional field left undefined here, null instead (as a JSON text may hold it).
      for (const [k, v] of Object.entries(r)) {
        if (v !== undefined) continue;
        const withNull = validateRecord({ ...JSON.parse(JSON.stringify(r)), [k]: null });
        expect(rowJson(withNull)).toBe(compactRow(withNull));
      }
    }
    const empty = { ...sampleRecords().find((r) => r.data_type === 'orderbook')!, bids: [], asks: [] } as MarketRecord;
    expectSame(empty);
    const dated = { ...sampleRecords().find((r) => r.data_type === 'volatility_index')!, maturity_date: '2027-03-26' } as MarketRecord;
    expectSame(dated);
  });

  it('escapes free texts as JSON.stringify does', () => {
    const trade = sampleRecords().find((r) => r.data_type === 'trade')!;
    for (const id of ['a"b', 'back\\slash', 'line\nbreak', 'tab\t', 'ctl\u0001', 'ünï', '\u2028', 'emoji \u{1F600}']) {
      expectSame({ ...trade, trade_id: id } as MarketRecord);
    }
    const lsr = sampleRecords().find((r) => r.data_type === 'lsr_top_position')!;
    expectSame({ ...lsr, period: '5"m' } as MarketRecord);
  });
});
