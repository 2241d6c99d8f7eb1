/**
 * The peer of `marketprism-collector replay` for the `replay-process` benchmark: a plain
 * script that does the same work with tardis-dev, as one of its users would write it.
 *
 *   node build/bench/tardis-replay.js --exchange binance|okex --depth N FILE...
 *
 * Reads the capture files (the same reader as ours), gives every frame and REST depth
 * snapshot to tardis-dev's `normalizeBookChanges` / `normalizeTrades` mappers (new ones
 * on a reconnect, as tardis-dev's realtime streams do), keeps one `OrderBook` per symbol
 * and, after every book change, writes the top N levels a side as a `book_snapshot` in
 * tardis-dev's own shape, one JSON line each; every trade is written as a line too. Output
 * goes to stdout in 64 KiB writes (the same `LineWriter` as ours); a summary line to stderr.
 */
import { normalizeBookChanges, normalizeTrades, OrderBook } from 'tardis-dev';
import { readCaptureFiles } from '../src/capture/format.js';
import { binanceForTardis, binanceSnapshotForTardis } from './normalize.js';
import { LineWriter } from '../src/core/line-writer.js';

type Exchange = 'binance' | 'okex';

async function main(argv: string[]): Promise<number> {
  const args = [...argv];
  const take = (name: string) => {
    const i = args.indexOf(name);
    if (i < 0) return undefined;
    return args.splice(i, 2)[1];
  };
  const exchange = take('--exchange');
  const depth = Number(take('--depth') ?? 400);
  if ((exchange !== 'binance' && exchange !== 'okex') || !Number.isInteger(depth) || depth < 1 || args.length === 0) {
    process.stderr.write('usage: tardis-replay --exchange binance|okex --depth N FILE...\n');
    return 2;
  }
  const out = new LineWriter(process.stdout);
  const start = new Date();
  const mappers = () => [normalizeBookChanges(exchange as Exchange, start), normalizeTrades(exchange as Exchange, start)];
  let current = mappers();
  const books = new Map<string, OrderBook>();
  const opened = new Set<string>();
  let lines = 0;
  for await (const ev of readCaptureFiles(args)) {
    let text: string | undefined;
    if (ev.kind === 'open') {
      if (opened.has(ev.url)) current = mappers(); // a reconnect: fresh mappers, books re-synced from the next snapshot
      opened.add(ev.url);
      continue;
    }
    if (ev.kind === 'recv') text = exchange === 'binance' ? (binanceForTardis(ev.text) ?? ev.text) : ev.text;
    else if (ev.kind === 'http' && exchange === 'binance' && ev.url.includes('/api/v3/depth?')) text = binanceSnapshotForTardis(ev.url, ev.body);
    if (text === undefined || ev.kind === 'config') continue;
    const msg: unknown = JSON.parse(text);
    const local = new Date(Math.round(ev.at * 1000));
    for (const mapper of current) {
      if (!mapper.canHandle(msg)) continue;
      const records = mapper.map(msg, local);
      if (!records) continue;
      for (const r of records) {
        if (r.type !== 'book_change') {
          await out.write(JSON.stringify(r));
          lines++;
          continue;
        }
        let book = books.get(r.symbol);
        if (!book) books.set(r.symbol, (book = new OrderBook()));
        book.update(r);
        const snapshot = {
          type: 'book_snapshot',
          symbol: r.symbol,
          exchange: r.exchange,
          name: `book_snapshot_${depth}_0ms`,
          depth,
          interval: 0,
          bids: take_(book.bids(), depth),
          asks: take_(book.asks(), depth),
          timestamp: r.timestamp,
          localTimestamp: r.localTimestamp,
        };
        await out.write(JSON.stringify(snapshot));
        lines++;
      }
    }
  }
  await out.end();
  process.stderr.write(`${JSON.stringify({ tardis_replay: exchange, depth, lines })}\n`);
  return 0;
}

function take_<T>(it: Iterable<T>, n: number): T[] {
  const out: T[] = [];
  for (const x of it) {
    out.push(x);
    if (out.length === n) break;
  }
  return out;
}

main(process.argv.slice(2)).then(
  (code) => (process.exitCode = code),
  (err: Error) => {
    process.stderr.write(`tardis-replay: ${err.stack ?? err.message}\n`);
    process.exitCode = 1;
  },
);
