/**
 * Frames → normalized records + synced books, ours against tardis-dev, same frames, same
 * process (issue 9). For the real Binance spot (2021) and OKX (2022, CRC32 checksum on
 * every `books` push, verified by our adapter) captures, one pass replays the capture's
 * received frames and the REST depth snapshots in receipt order:
 *
 * - ours: a fresh `VenueSession` (JSON parse, sync rule, exact book, trades,
 *   `publish_interval` 100 ms on capture time, 400-level records), as `replay` drives it;
 * - tardis-dev: `JSON.parse`, then its `normalizeBookChanges` / `normalizeTrades` mappers
 *   for `binance` / `okex` and one `OrderBook` per symbol, best bid and ask read after every
 *   book change (its Binance mapper takes the REST snapshot as a `depthSnapshot` message
 *   and applies its buffered diffs itself, as tardis-machine's realtime feed does);
 * - json: `JSON.parse` of the same texts and nothing else (the floor).
 *
 * Every side parses inside the timed part. The frames tardis-dev needs in its own shape
 * (the snapshot message, `aggTrade` as `trade`: its spot mapper reads only `@trade`) are
 * made once, outside it. Amplified by repetition: each round is `passes` passes of the
 * capture, the three sides interleaved round by round (order rotating), median and
 * spread over the rounds. After every pass both sides' best bid and ask of every book
 * must agree (prices and the venue's quantities), or the bench fails.
 */
import { join } from 'node:path';
import { normalizeBookChanges, normalizeTrades, OrderBook as TardisBook } from 'tardis-dev';
import { readCaptureFiles } from '../src/capture/format.js';
import type { OrderbookRecord } from '../src/core/model.js';
import { CapturedSnapshots } from '../src/collector/captured-snapshots.js';
import { catalogFromCapture } from '../src/collector/instruments/capture.js';
import type { InstrumentCatalog } from '../src/collector/instruments/catalog.js';
import { VenueSession } from '../src/collector/session.js';
import { protocolOf, type VenueKind } from '../src/collector/venues/registry.js';
import { capturesDir } from './captures.js';
import { fmt, load1, Stopwatch } from './measure.js';
import { byMode } from './mode.js';
import type { Bench, BenchResult } from './registry.js';

/** One message of a pass: a received frame or a snapshot body, at capture time (ms). */
interface Msg {
  at: number;
  /** The frame as the venue sent it (ours, and the JSON baseline). */
  text: string;
  /** The same message as tardis-dev's mapper takes it (undefined: tardis gets `text`). */
  tardis?: string;
  /** Set on snapshot bodies: the adapter's snapshot key. */
  snapshotKey?: string;
  /** A reconnect before this frame (ours drops what the connection fed). */
  conn: string;
}

export interface Capture {
  venue: VenueKind;
  exchange: 'binance' | 'okex';
  messages: Msg[];
  catalog: InstrumentCatalog | undefined;
}

/** Best bid / ask of one book: [price, venue quantity] as text, or undefined if the side is empty. */
export type Top = { bid: [string, string] | undefined; ask: [string, string] | undefined };

export const SESSIONS: [string, VenueKind, string[]][] = [
  ['binance_spot', 'binance-spot', ['BINANCE.0', 'BINANCE.http.0.0', 'BINANCE.ws.1.0']],
  ['okx', 'okx', ['OKX.0', 'OKX.ws.1.0']],
];

/** Reads a capture into the messages of one pass, with tardis-dev's form of each where it differs. */
export async function loadCapture(venue: VenueKind, files: string[]): Promise<Capture> {
  const catalog = protocolOf(venue).needsInstruments ? await catalogFromCapture(venue, files) : undefined;
  // A throwaway adapter only to tell snapshot URLs from other REST bodies.
  const probe = new VenueSession({
    venue,
    settings: settings(venue),
    env: { now: () => 0, requestSnapshot: () => undefined, send: () => undefined, instrument: () => undefined },
    events: { record: () => undefined },
  }).adapter;
  const messages: Msg[] = [];
  for await (const ev of readCaptureFiles(files)) {
    if (ev.kind === 'recv') {
      messages.push({ at: Math.round(ev.at * 1000), text: ev.text, tardis: venue === 'binance-spot' ? binanceForTardis(ev.text) : undefined, conn: ev.url });
    } else if (ev.kind === 'http') {
      const key = probe.snapshotKeyOf(ev.url);
      if (key === undefined) continue; // exchangeInfo and the like: not part of the stream
      messages.push({ at: Math.round(ev.at * 1000), text: ev.body, tardis: binanceSnapshotForTardis(ev.url, ev.body), snapshotKey: key, conn: ev.url });
    }
  }
  return { venue, exchange: venue === 'okx' ? 'okex' : 'binance', messages, catalog };
}

/** A Binance REST depth snapshot as the `depthSnapshot` message tardis-dev's Binance mapper takes. */
export function binanceSnapshotForTardis(url: string, body: string): string {
  const symbol = /[?&]symbol=([^&]+)/.exec(url)?.[1];
  if (!symbol) throw new Error(`no symbol in snapshot URL ${url}`);
  return `{"stream":"${symbol.toLowerCase()}@depthSnapshot","generated":true,"data":${body}}`;
}

/** `aggTrade` frames as the `trade` frames tardis-dev's spot mapper reads (`t` is the trade id); others unchanged. */
export function binanceForTardis(text: string): string | undefined {
  if (!text.includes('@aggTrade"')) return undefined;
  const m = JSON.parse(text) as { stream: string; data: Record<string, unknown> };
  return JSON.stringify({ stream: m.stream.replace('@aggTrade', '@trade'), data: { ...m.data, e: 'trade', t: m.data.a } });
}

function settings(venue: VenueKind) {
  return { depth: 400, restUrl: protocolOf(venue).defaultRestUrl, snapshotLimit: 1000, tickerIntervalMs: 0, publishIntervalMs: 100 };
}

/** Our side, one pass: the adapter as `replay` drives it. Returns the last record of each book and what it published. */
export function oursPass(c: Capture): { books: Map<string, OrderbookRecord>; records: number; problems: Record<string, number> } {
  let now = 0;
  let records = 0;
  const books = new Map<string, OrderbookRecord>();
  const snapshots = new CapturedSnapshots();
  const { adapter, emitter, problems } = new VenueSession({
    venue: c.venue,
    settings: settings(c.venue),
    env: {
      now: () => now,
      requestSnapshot: snapshots.request,
      send: () => undefined,
      instrument: (wire) => c.catalog?.get(wire),
    },
    events: {
      record: (r) => {
        records++;
        if (r.data_type === 'orderbook') books.set(tardisSymbolOf(r), r);
      },
    },
  });
  for (const m of c.messages) {
    now = m.at;
    emitter.tick(now);
    if (m.snapshotKey === undefined) adapter.onMessage(m.conn, m.text);
    else snapshots.received(m.snapshotKey, m.text);
    snapshots.deliver(adapter);
  }
  emitter.flush(now);
  return { books, records, problems: Object.fromEntries(problems.counts) };
}

/** tardis-dev's side, one pass. Returns its books by its symbol and how many records its mappers produced. */
export function tardisPass(c: Capture): { books: Map<string, TardisBook>; records: number; touch: number } {
  // A current date: the realtime mappers (OKX `books`, the Binance snapshot overlap check on).
  const start = new Date();
  const mappers = [normalizeBookChanges(c.exchange, start), normalizeTrades(c.exchange, start)];
  const books = new Map<string, TardisBook>();
  let records = 0;
  let touch = 0; // best bid/ask read after every change, summed so it cannot be optimised away
  for (const m of c.messages) {
    const msg: unknown = JSON.parse(m.tardis ?? m.text);
    const local = new Date(m.at);
    for (const mapper of mappers) {
      if (!mapper.canHandle(msg)) continue;
      const out = mapper.map(msg, local);
      if (!out) continue;
      for (const r of out) {
        records++;
        if (r.type !== 'book_change') continue;
        let book = books.get(r.symbol);
        if (!book) books.set(r.symbol, (book = new TardisBook()));
        book.update(r);
        touch += (book.bestBid()?.price ?? 0) + (book.bestAsk()?.price ?? 0);
      }
    }
  }
  return { books, records, touch };
}

/** The floor: `JSON.parse` of the same texts. */
export function jsonPass(c: Capture): number {
  let n = 0;
  for (const m of c.messages) if (JSON.parse(m.text) !== null) n++;
  return n;
}

/** Our record's top of book, with the venue's own quantities (OKX contracts are converted to base in `bids`). */
export function oursTop(r: OrderbookRecord): Top {
  const side = (levels: readonly (readonly [string, string])[], raw: readonly string[] | undefined): [string, string] | undefined =>
    levels[0] && [levels[0][0], raw?.[0] ?? levels[0][1]];
  return { bid: side(r.bids, r.bids_raw), ask: side(r.asks, r.asks_raw) };
}

/**
 * Problems where the two sides' tops disagree (empty when they agree): every book we
 * published (keyed by tardis-dev's symbol) must be a tardis book with the same best bid and ask. Prices and quantities
 * are compared as the doubles tardis-dev keeps (the same text gives the same double).
 */
export function compareTops(ours: Map<string, OrderbookRecord>, theirs: Map<string, TardisBook>): string[] {
  const bad: string[] = [];
  if (ours.size === 0) bad.push('we published no book');
  for (const [symbol, r] of ours) {
    const t = theirs.get(symbol);
    if (!t) {
      bad.push(`${symbol}: no tardis book`);
      continue;
    }
    const o = oursTop(r);
    const same = (a: [string, string] | undefined, b: { price: number; amount: number } | undefined) =>
      a === undefined ? b === undefined : b !== undefined && Number(a[0]) === b.price && Number(a[1]) === b.amount;
    if (!same(o.bid, t.bestBid()) || !same(o.ask, t.bestAsk()))
      bad.push(`${symbol}: ours ${JSON.stringify(o)} tardis ${JSON.stringify({ bid: t.bestBid(), ask: t.bestAsk() })}`);
  }
  return bad;
}

/** Our record's instrument as tardis-dev names it: Binance `NKN-USDT` → `NKNUSDT`; OKX's instId (perpetual `UNI-USD` → `UNI-USD-SWAP`, dated futures keep the date). */
export function tardisSymbolOf(r: OrderbookRecord): string {
  if (r.exchange !== 'okx') return r.symbol.replaceAll('-', '');
  return r.market_type === 'perpetual' ? `${r.symbol}-SWAP` : r.symbol;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

type Side = 'ours' | 'tardis' | 'json_parse';

export const normalizeBench: Bench = {
  name: 'normalize',
  async run(_smoke, mode) {
    const { dir, tried } = capturesDir();
    if (!dir) {
      const note = `skipped: the cryptofeed captures are not on this machine (looked in ${tried.join(', ')}; set MARKETPRISM_CAPTURES)`;
      process.stderr.write(`normalize ${note}\n`);
      return { summary: note, skipped: 1 };
    }
    const rounds = byMode(mode, { smoke: 3, quick: 9, full: 15 });
    const passes = byMode(mode, { smoke: 2, quick: 30, full: 60 });
    const out: BenchResult = { summary: '', captures: dir, rounds, passes_per_round: passes, load1_start: load1() };
    const parts: string[] = [];
    for (const [name, venue, names] of SESSIONS) {
      const c = await loadCapture(
        venue,
        names.map((f) => join(dir, f)),
      );
      // Untimed warm-up and the correctness check on a first pass.
      for (let i = 0; i < 3; i++) check(name, c);
      const rates: Record<Side, number[]> = { ours: [], tardis: [], json_parse: [] };
      const order: Side[] = ['ours', 'tardis', 'json_parse'];
      for (let r = 0; r < rounds; r++) {
        for (let k = 0; k < order.length; k++) {
          const side = order[(r + k) % order.length]!;
          const clock = new Stopwatch();
          for (let p = 0; p < passes; p++) {
            if (side === 'ours') {
              const o = clock.time(() => oursPass(c));
              if (p === passes - 1) verify(name, o, tardisPass(c));
            } else if (side === 'tardis') clock.time(() => tardisPass(c));
            else clock.time(() => jsonPass(c));
          }
          rates[side].push((c.messages.length * passes) / (clock.ms / 1000));
        }
      }
      const med = (s: Side) => Math.round(median(rates[s]));
      const spread = (s: Side) => `${fmt(Math.min(...rates[s]))}–${fmt(Math.max(...rates[s]))}`;
      const ratios = rates.ours.map((x, i) => x / rates.tardis[i]!);
      const ratio = Math.round((med('ours') / med('tardis')) * 100) / 100;
      Object.assign(out, {
        [`${name}_messages_per_pass`]: c.messages.length,
        [`${name}_ours_msgs_per_s`]: med('ours'),
        [`${name}_tardis_msgs_per_s`]: med('tardis'),
        [`${name}_json_parse_msgs_per_s`]: med('json_parse'),
        [`${name}_ratio_vs_tardis`]: ratio,
        [`${name}_ours_spread`]: spread('ours'),
        [`${name}_tardis_spread`]: spread('tardis'),
        [`${name}_json_parse_spread`]: spread('json_parse'),
        [`${name}_ratio_per_round_min`]: Math.round(Math.min(...ratios) * 100) / 100,
        [`${name}_ratio_per_round_max`]: Math.round(Math.max(...ratios) * 100) / 100,
      });
      parts.push(
        `${name} ours ${fmt(med('ours'))} msgs/s (${spread('ours')}), tardis-dev ${fmt(med('tardis'))} (${spread('tardis')}), JSON.parse ${fmt(med('json_parse'))}: ${ratio}x`,
      );
    }
    out.load1_end = load1();
    out.summary = `${parts.join('; ')}; median of ${rounds} rounds × ${passes} passes, tops agree`;
    return out;
  },
};

function check(name: string, c: Capture): void {
  verify(name, oursPass(c), tardisPass(c));
}

function verify(name: string, o: ReturnType<typeof oursPass>, t: ReturnType<typeof tardisPass>): void {
  const bad = compareTops(o.books, t.books);
  const problems = Object.entries(o.problems).filter(([k]) => k !== 'unsupported');
  if (problems.length) bad.push(`our book problems: ${JSON.stringify(Object.fromEntries(problems))}`);
  if (bad.length) throw new Error(`normalize ${name}: ours and tardis-dev disagree: ${bad.join('; ')}`);
}
