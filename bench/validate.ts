/**
 * CPU cost of what storage does per record of a message: JSON.parse, validateRecord and
 * the row's JSONCompactEachRow text (`rowJson`), against the way it was made before (a
 * row object by `toRow`, then `JSON.stringify` of its values), in alternating rounds over
 * the same lines.
 */
import { validateRecord } from '../src/core/validate.js';
import { insertColumns, rowJson, toRow } from '../src/storage/rows.js';
import type { Bench } from './registry.js';
import { sampleTrades } from './records.js';
import { median } from './stats.js';

function pass(lines: readonly string[], row: (l: string) => string): number {
  const t0 = process.hrtime.bigint();
  let bytes = 0;
  for (const l of lines) bytes += row(l).length;
  if (bytes === 0) throw new Error('storage-decode: nothing written');
  return Number(process.hrtime.bigint() - t0) / lines.length;
}

export const validateBench: Bench = {
  name: 'storage-decode',
  async run(smoke, mode = 'full') {
    const n = smoke ? 5_000 : mode === 'quick' ? 100_000 : 500_000;
    const rounds = smoke ? 2 : 5;
    const lines = sampleTrades(n).map((r) => JSON.stringify(r));
    const ours = (l: string) => rowJson(validateRecord(JSON.parse(l)));
    const columns = insertColumns('trade');
    const before = (l: string) => {
      const row = toRow(validateRecord(JSON.parse(l)));
      return JSON.stringify(columns.map((c) => row[c]));
    };
    for (const l of lines.slice(0, 1000)) if (ours(l) !== before(l)) throw new Error(`storage-decode: rowJson differs from toRow for ${l}`);
    const a: number[] = [];
    const b: number[] = [];
    for (let i = 0; i < rounds; i++) {
      a.push(pass(lines, ours));
      b.push(pass(lines, before));
    }
    const ns = Math.round(median(a));
    const nsBefore = Math.round(median(b));
    return {
      records: n,
      per_second: Math.round(1e9 / ns),
      ns_per_record: ns,
      ns_per_record_row_object: nsBefore,
      summary: `${Math.round(1e9 / ns).toLocaleString('en')} trades/s parsed+validated+row text (${ns} ns each; ${nsBefore} ns with a row object and JSON.stringify)`,
    };
  },
};
