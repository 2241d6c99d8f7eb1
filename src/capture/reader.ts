/**
 * Reads any number of capture files as one stream of events in receipt-time order.
 *
 * Each connection's files (`X.0`, `X.1`, ... : cryptofeed rotates at 100 MiB) are read
 * in sequence as one source; sources are merged k-way on receipt time, ties going to
 * the source listed first, so the result is stable. Only the head line of each
 * source is in memory. A `configuration:` line has no time: it keeps its place in
 * its file (sorted as if it carried the time of the line before it).
 */
import { basename, dirname, join } from 'node:path';
import { readLines } from './lines.js';
import { parseCaptureLine, type CaptureEvent } from './line.js';

interface Source {
  files: string[];
  /** URL of the last `URL <-> T` seen on this connection: the URL of its `recv` frames. */
  url: string;
  lastAt: number;
}

interface Head {
  event: CaptureEvent;
  key: number;
}

const ROTATED_RE = /^(.*)\.(\d+)$/;

/** Groups rotated files of one connection (`BINANCE.ws.1.0`, `BINANCE.ws.1.1`) into one source, in rotation order. */
export function groupSources(paths: readonly string[]): string[][] {
  const groups = new Map<string, { path: string; n: number }[]>();
  for (const path of paths) {
    const m = ROTATED_RE.exec(basename(path));
    const key = m ? join(dirname(path), m[1]!) : path;
    const list = groups.get(key) ?? [];
    if (list.length === 0) groups.set(key, list);
    list.push({ path, n: m ? Number(m[2]) : 0 });
  }
  return [...groups.values()].map((list) => list.sort((a, b) => a.n - b.n).map((f) => f.path));
}

async function* sourceEvents(source: Source): AsyncGenerator<Head> {
  for (const file of source.files) {
    for await (const line of readLines(file)) {
      const parsed = parseCaptureLine(line.text, file, line.no);
      if (!parsed) continue;
      if (parsed.kind === 'config') {
        yield { event: parsed, key: source.lastAt };
        continue;
      }
      if (parsed.kind === 'open') source.url = parsed.url;
      source.lastAt = parsed.at;
      const event: CaptureEvent = parsed.kind === 'recv' ? { kind: 'recv', url: source.url, at: parsed.at, text: parsed.text } : parsed;
      yield { event, key: parsed.at };
    }
  }
}

/** All files merged in receipt-time order (stable for equal times), streaming. */
export async function* readCaptureFiles(paths: string[]): AsyncGenerator<CaptureEvent> {
  const iterators = groupSources(paths).map((files) => sourceEvents({ files, url: '', lastAt: -Infinity }));
  const heads: (Head | undefined)[] = [];
  try {
    for (const it of iterators) heads.push(await next(it));
    for (;;) {
      // k is the number of connections (a handful), so a linear scan beats a heap here.
      let best = -1;
      for (let i = 0; i < heads.length; i++) {
        const h = heads[i];
        if (h && (best === -1 || h.key < heads[best]!.key)) best = i;
      }
      if (best === -1) return;
      const event = heads[best]!.event;
      heads[best] = await next(iterators[best]!);
      yield event;
    }
  } finally {
    await Promise.all(iterators.map((it) => it.return(undefined)));
  }
}

async function next(it: AsyncGenerator<Head>): Promise<Head | undefined> {
  const r = await it.next();
  return r.done ? undefined : r.value;
}
