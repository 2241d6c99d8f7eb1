/** CPU cost of what storage does per message: JSON.parse, validateRecord, toRow. */
import { validateRecord } from '../src/core/validate.js';
import { toRow } from '../src/storage/rows.js';
import type { Bench } from './registry.js';
import { sampleTrades } from './records.js';

export const validateBench: Bench = {
  name: 'storage-decode',
  async run(smoke, mode = 'full') {
    const n = smoke ? 5_000 : mode === 'quick' ? 100_000 : 500_000;
    const lines = sampleTrades(n).map((r) => JSON.stringify(r));
    const t0 = process.hrtime.bigint();
    let bytes = 0;
    for (const l of lines) bytes += JSON.stringify(toRow(validateRecord(JSON.parse(l)))).length;
    const s = Number(process.hrtime.bigint() - t0) / 1e9;
    const rate = Math.round(n / s);
    return {
      records: n,
      per_second: rate,
      ns_per_record: Math.round((s * 1e9) / n),
      bytes,
      summary: `${rate.toLocaleString('en')} trades/s decoded+validated+mapped (${Math.round((s * 1e9) / n)} ns each)`,
    };
  },
};
