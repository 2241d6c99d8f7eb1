/**
 * `marketprism-collector replay` on the real captures (Binance spot 2021, OKX 2022):
 * capture files read and merged, every frame through the adapter, one orderbook record
 * per book-changing message (replay's publish interval 0, 400 levels). Records are
 * counted, not printed. Each capture is replayed in passes; messages are the received
 * frames and REST bodies of one pass times the passes.
 */
import { join } from 'node:path';
import { readCaptureFiles } from '../src/capture/format.js';
import { replay } from '../src/collector/replay.js';
import type { VenueKind } from '../src/collector/venues/registry.js';
import { capturesDir } from './captures.js';
import { fmt, load1, perSecond } from './measure.js';
import type { Bench, BenchResult } from './registry.js';

const SESSIONS: [string, VenueKind, string[]][] = [
  ['binance_spot', 'binance-spot', ['BINANCE.0', 'BINANCE.http.0.0', 'BINANCE.ws.1.0']],
  ['okx', 'okx', ['OKX.0', 'OKX.ws.1.0']],
];

/** Frames and REST bodies in the capture, and how long reading it alone takes. */
async function read(files: string[]): Promise<{ messages: number; ms: number }> {
  const t0 = performance.now();
  let messages = 0;
  for await (const e of readCaptureFiles(files)) if (e.kind === 'recv' || e.kind === 'http') messages++;
  return { messages, ms: performance.now() - t0 };
}

export const collectorReplayBench: Bench = {
  name: 'collector-replay',
  async run(smoke, mode = 'full') {
    const { dir, tried } = capturesDir();
    if (!dir) {
      const note = `skipped: the cryptofeed captures are not on this machine (looked in ${tried.join(', ')}; set MARKETPRISM_CAPTURES)`;
      process.stderr.write(`collector-replay ${note}\n`);
      return { summary: note, skipped: 1 };
    }
    const passes = smoke ? 1 : mode === 'quick' ? 40 : 200;
    const out: BenchResult = { summary: '', captures: dir, passes, load1_start: load1() };
    const parts: string[] = [];
    for (const [name, venue, names] of SESSIONS) {
      const files = names.map((f) => join(dir, f));
      let readMs = 0;
      let perPass = 0;
      for (let i = 0; i < Math.min(passes, 10); i++) ({ messages: perPass, ms: readMs } = await read(files));
      const records: Record<string, number> = {};
      const t0 = performance.now();
      for (let i = 0; i < passes; i++) {
        const s = await replay({ venue, files }, () => undefined);
        for (const [type, n] of Object.entries(s.records)) records[type] = (records[type] ?? 0) + n;
      }
      const ms = performance.now() - t0;
      const total = Object.values(records).reduce((a, b) => a + b, 0);
      if (total === 0) throw new Error(`${name}: replay produced no records`);
      const mps = perSecond(perPass * passes, ms);
      Object.assign(out, {
        [`${name}_messages_per_pass`]: perPass,
        [`${name}_messages_per_second`]: mps,
        [`${name}_records_per_second`]: perSecond(total, ms),
        [`${name}_orderbook_records_per_pass`]: (records.orderbook ?? 0) / passes,
        [`${name}_ms_per_pass`]: Math.round(ms / passes),
        [`${name}_read_only_ms_per_pass`]: Math.round(readMs),
      });
      parts.push(`${name} ${fmt(mps)} messages/s (${fmt(perPass)} a pass: ${Math.round(ms / passes)} ms, of which reading the files ${Math.round(readMs)} ms)`);
    }
    out.load1_end = load1();
    out.summary = `${parts.join('; ')}; ${passes} passes`;
    return out;
  },
};
