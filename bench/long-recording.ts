/**
 * A long recording made from a short real capture: the capture's connections and REST
 * snapshots written `copies` times one after another, each copy's receipt times moved
 * past the previous copy's end. Each copy opens its connections again, so a replay sees
 * a reconnect, drops what the last connection fed and syncs its books anew from that
 * copy's snapshots: what a recording of a day with reconnects looks like. The venue's
 * REST lists (`X.0`: instruments, configuration) are written once, as recorded. Trade ids
 * move on by a billion a copy (OKX `tradeId`, Binance `aggTrade`'s `a`), as a venue's ids
 * keep rising: otherwise the adapters would drop the copies' trades as ones already seen.
 */
import { createReadStream, mkdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { createInterface } from 'node:readline';
import { formatCaptureLine, parseCaptureLine } from '../src/capture/format.js';

type Line = Exclude<ReturnType<typeof parseCaptureLine>, undefined>;

async function readLines(file: string): Promise<Line[]> {
  const out: Line[] = [];
  let n = 0;
  for await (const text of createInterface({ input: createReadStream(file), crlfDelay: Infinity })) {
    const line = parseCaptureLine(text, file, ++n);
    if (line) out.push(line);
  }
  return out;
}

/** A file of the venue's REST lists (`BINANCE.0`, `OKX.0`): written once. */
const isListFile = (file: string) => /\.0$/.test(basename(file)) && !/\.(ws|http)\./.test(basename(file));

const ID_STEP = 1_000_000_000;

/** The frame of copy `k` with its trade ids moved on. */
function shiftTradeIds(text: string, k: number): string {
  if (k === 0) return text;
  const by = (id: string) => String(Number(id) + k * ID_STEP);
  if (text.includes('"tradeId":"')) return text.replace(/"tradeId":"(\d+)"/g, (_m, id: string) => `"tradeId":"${by(id)}"`);
  if (text.includes('"e":"aggTrade"')) return text.replace(/"a":(\d+)/, (_m, id: string) => `"a":${by(id)}`);
  return text;
}

/** Writes `copies` copies of the capture `files` into `dir` (same file names); returns the new paths. */
export async function writeLongRecording(files: string[], copies: number, dir: string): Promise<string[]> {
  mkdirSync(dir, { recursive: true });
  const parsed = await Promise.all(files.map(readLines));
  let first = Infinity;
  let last = -Infinity;
  parsed.forEach((lines, i) => {
    if (isListFile(files[i]!)) return;
    for (const l of lines) {
      if (l.kind === 'config') continue;
      first = Math.min(first, l.at);
      last = Math.max(last, l.at);
    }
  });
  if (!Number.isFinite(first)) throw new Error(`no timed lines in ${files.join(', ')}`);
  const span = last - first + 1;
  return files.map((file, i) => {
    const lines = parsed[i]!;
    const n = isListFile(file) ? 1 : copies;
    const out: string[] = [];
    for (let k = 0; k < n; k++) {
      const shift = k * span;
      for (const l of lines) {
        if (l.kind === 'config') out.push(formatCaptureLine(l));
        else if (l.kind === 'recv') out.push(formatCaptureLine({ ...l, at: l.at + shift, text: shiftTradeIds(l.text, k) }));
        else out.push(formatCaptureLine({ ...l, at: l.at + shift }));
      }
    }
    const path = join(dir, basename(file));
    writeFileSync(path, out.join('\n') + '\n');
    return path;
  });
}
