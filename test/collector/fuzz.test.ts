/**
 * Fuzzing every venue parser with mutated real messages (fuzz-corpus.ts), through the
 * adapter and book code the daemon runs. Two modes per venue:
 *   - session: the whole corpus in order, each message mutated at random (truncated,
 *     types swapped, huge/negative/zero/exponent/NaN-ish numbers, empty arrays, unknown
 *     symbols, missing fields, old or repeated sequence ids, repeated, dropped or stale
 *     messages), snapshots answered (and mutated) as asked, the publish interval and
 *     the emitter's timer running. After every step: nothing escaped, every record is
 *     valid, no book (published or held) is crossed (except OKX's counted
 *     crossed_auction) or holds a non-positive price or quantity, no internal fault.
 *   - targeted: one message of an unmutated session gets one mutation the adapter must
 *     not take silently (a bad value in a field it reads): a problem is counted, or the
 *     records are exactly those of the unmutated message (the field is not read).
 * Deterministic: MARKETPRISM_FUZZ_SEED (default 1) and MARKETPRISM_FUZZ_ITERATIONS
 * (default 25 sessions and 150 targeted cases per venue; docs/testing.md). A failure
 * prints the venue, seed, iteration, mutation and message to reproduce it.
 */
import { describe, expect, it } from 'vitest';
import type { SyncedBook } from '../../src/collector/book/synced-book.js';
import type { VenueAdapter } from '../../src/collector/adapter.js';
import { MalformedFrameError } from '../../src/collector/mappers/wire.js';
import { protocolOf, VENUE_KINDS, type VenueKind } from '../../src/collector/venues/registry.js';
import { compareDecimal, isZero } from '../../src/core/decimal.js';
import type { MarketRecord } from '../../src/core/model.js';
import { validateRecord } from '../../src/core/validate.js';
import { TestContext } from './context.js';
import { corpusOf, type Corpus, type Step } from './fuzz-corpus.js';
import { Rng as SeededRng } from '../../src/sim/generate/rng.js';

const SESSIONS = Number(process.env.MARKETPRISM_FUZZ_ITERATIONS ?? 0) || 25;
const TARGETED = SESSIONS * 6;
/** A targeted case replays at most this many steps before the mutated one (the books it needs, mostly). */
const WINDOW = 50;
/** Larger runs take longer than vitest's default limit. */
const TIMEOUT_MS = Math.max(60_000, SESSIONS * 1500);
const SEED = Number(process.env.MARKETPRISM_FUZZ_SEED ?? 1);

// ---- seeded PRNG ----

/** mulberry32, the simulator's seeded PRNG, as a function. */
function mulberry32(seed: number): () => number {
  const r = new SeededRng(seed);
  return () => r.next();
}
const seedOf = (kind: string, mode: string, i: number) => {
  let h = SEED >>> 0;
  for (const c of `${kind}:${mode}:${i}`) h = Math.imul(h ^ c.charCodeAt(0), 16777619) >>> 0;
  return h;
};

class Rng {
  constructor(readonly next: () => number) {}
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
}

// ---- JSON that keeps number tokens as written ----

/** Number tokens become strings marked with NUM, so mutations can write any number text back. */
const NUM = '\u0001';
type Json = string | boolean | null | Json[] | { [k: string]: Json };

function parseMarked(text: string): Json {
  let out = '';
  let last = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '"') {
      for (i++; i < text.length && text[i] !== '"'; i++) if (text[i] === '\\') i++;
    } else if (c === '-' || (c >= '0' && c <= '9')) {
      let j = i + 1;
      while (j < text.length && /[0-9eE.+-]/.test(text[j]!)) j++;
      out += text.slice(last, i) + `"\\u0001${text.slice(i, j)}"`; // JSON escape of NUM
      last = j;
      i = j - 1;
    }
  }
  return JSON.parse(out + text.slice(last)) as Json;
}

function serialize(v: Json): string {
  return JSON.stringify(v).replace(/"\\u0001([^"]*)"/g, '$1');
}

const isNum = (v: Json): v is string => typeof v === 'string' && v.startsWith(NUM);
const num = (text: string) => NUM + text;
/** A number's text, from a JSON number or a numeric string. */
const numText = (v: Json): string | undefined => (isNum(v) ? v.slice(1) : typeof v === 'string' && /^-?\d+(\.\d+)?$/.test(v) ? v : undefined);

type Path = (string | number)[];

function leaves(v: Json, path: Path = [], out: { path: Path; value: Json }[] = []): { path: Path; value: Json }[] {
  if (Array.isArray(v)) v.forEach((x, i) => leaves(x, [...path, i], out));
  else if (v !== null && typeof v === 'object') for (const [k, x] of Object.entries(v)) leaves(x, [...path, k], out);
  else out.push({ path, value: v });
  return out;
}
function containers(v: Json, path: Path = [], out: { path: Path; value: Json }[] = []): { path: Path; value: Json }[] {
  if (Array.isArray(v) || (v !== null && typeof v === 'object')) {
    out.push({ path, value: v });
    for (const [k, x] of Object.entries(v)) containers(x, [...path, Array.isArray(v) ? Number(k) : k], out);
  }
  return out;
}
function setAt(root: Json, path: Path, value: Json | undefined): Json {
  if (path.length === 0) return value ?? null;
  const copy = structuredClone(root);
  let o: any = copy;
  for (const k of path.slice(0, -1)) o = o[k];
  const last = path.at(-1)!;
  if (value === undefined) {
    if (Array.isArray(o)) o.splice(last as number, 1);
    else delete o[last];
  } else o[last] = value;
  return copy;
}

// ---- what a field is, by key (all venues) ----

const SYMBOL_KEYS = new Set(['s', 'symbol', 'instId', 'instrument_name', 'index_name', 'channel']);
const SEQ_KEYS = new Set(['U', 'u', 'pu', 'lastUpdateId', 'seqId', 'prevSeqId', 'change_id', 'prev_change_id', 'a', 't', 'tradeId']);
const TIME_KEYS = new Set(['E', 'T', 'ts', 'time', 'timestamp', 'fundingTime', 'nextFundingTime']);
/** Keys whose value must be positive (prices) or non-negative (quantities), where the adapter reads them. */
const PRICE_KEYS = new Set(['p', 'ap', 'px', 'bkPx', 'markPx', 'idxPx', 'mark_price', 'index_price', 'i', 'volatility']);
const QTY_KEYS = new Set(['q', 'z', 'sz', 'oi', 'oiCcy', 'oiUsd', 'openInterest', 'open_interest']);
const LEVEL_KEYS = new Set(['b', 'a', 'bids', 'asks']);

/** Where a leaf sits in a book level: 'price', 'qty' or undefined (Deribit levels are [action, price, amount]). */
function levelRole(path: Path, deribit: boolean): 'price' | 'qty' | undefined {
  const k = path.at(-3);
  const i = path.at(-1);
  if (typeof k !== 'string' || !LEVEL_KEYS.has(k) || typeof path.at(-2) !== 'number') return undefined;
  if (deribit) return i === 1 ? 'price' : i === 2 ? 'qty' : undefined;
  return i === 0 ? 'price' : i === 1 ? 'qty' : undefined;
}
const keyOf = (path: Path) => [...path].reverse().find((k): k is string => typeof k === 'string');

// ---- mutations ----

interface Mutation {
  what: string;
  text: string;
  /** The adapter must count a problem unless the mutated field is not read at all. */
  mustCount: boolean;
}

const BAD_TYPES: Json[] = [{}, [], true, 'abc', 'NaN', 'Infinity', ''];
const WEIRD_NUMBERS = [
  '0',
  '-0',
  '-1',
  '1e400',
  '-1e-400',
  '1e-30',
  '99999999999999999999999',
  '18446744073709551616',
  '1.5',
  '4.2e3',
  '0.000000000000000000001',
];

function mutate(text: string, rng: Rng, deribit: boolean, targeted: boolean): Mutation | undefined {
  const trimmed = text.trim();
  let tree: Json;
  try {
    tree = parseMarked(trimmed);
  } catch {
    return undefined; // not JSON (OKX "pong"): nothing to mutate
  }
  const all = leaves(tree);
  if (targeted) return targetedMutation(tree, trimmed, all, rng, deribit);
  const roll = rng.int(11);
  if (roll === 0) return { what: 'truncated', text: trimmed.slice(0, 1 + rng.int(trimmed.length - 1)), mustCount: true };
  if (all.length === 0) return undefined;
  const leaf = rng.pick(all);
  const at = leaf.path.join('.');
  const n = numText(leaf.value);
  const write = (v: Json | undefined, what: string) => ({ what: `${at} ${what}`, text: serialize(setAt(tree, leaf.path, v)), mustCount: false });
  switch (roll) {
    case 1:
      return write(rng.pick(BAD_TYPES), 'type swapped');
    case 2: {
      const w = rng.pick(WEIRD_NUMBERS);
      return write(rng.chance(0.5) ? num(w) : w, `= ${w}`);
    }
    case 3:
      return write(undefined, 'removed');
    case 4:
      return n !== undefined ? write(isNum(leaf.value) ? num(neg(n)) : neg(n), 'negated') : write(null, '= null');
    case 5:
      return n !== undefined ? write(isNum(leaf.value) ? num(`${n}e25`) : `${n}e25`, 'times 1e25') : write(num('0'), '= 0');
    case 6: {
      const c = rng.pick(containers(tree).filter((x) => x.path.length > 0));
      return c ? { what: `${c.path.join('.')} emptied`, text: serialize(setAt(tree, c.path, Array.isArray(c.value) ? [] : {})), mustCount: false } : undefined;
    }
    case 7: {
      const sym = all.filter((l) => SYMBOL_KEYS.has(keyOf(l.path) ?? '') && typeof l.value === 'string');
      if (sym.length === 0) return write(num('-1'), '= -1');
      const s = rng.pick(sym);
      const v = rng.pick(['ZZZUNKNOWN', 'NOPE-NOPE-SWAP', 'btc-usdt', 'BTC-PERPETUALX', 'book.NOPE.100ms', '']);
      return { what: `${s.path.join('.')} = ${v}`, text: serialize(setAt(tree, s.path, v)), mustCount: false };
    }
    case 8: {
      // Old, repeated or skipped sequence ids.
      const seq = all.filter((l) => SEQ_KEYS.has(keyOf(l.path) ?? '') && numText(l.value) !== undefined);
      if (seq.length === 0) return write(undefined, 'removed');
      const s = rng.pick(seq);
      const v = BigInt(numText(s.value)!.split('.')[0]!) + BigInt(rng.pick([-1000, -2, -1, 0, 1, 2, 1000]));
      const out = isNum(s.value) ? num(String(v)) : String(v);
      return { what: `${s.path.join('.')} = ${v}`, text: serialize(setAt(tree, s.path, out)), mustCount: false };
    }
    case 9: {
      const t = all.filter((l) => TIME_KEYS.has(keyOf(l.path) ?? ''));
      if (t.length === 0) return write(num('5'), '= 5');
      const s = rng.pick(t);
      const v = rng.pick(['5', '-1', '1e15', '99999999999999', '1633998512.068']);
      return { what: `${s.path.join('.')} = ${v}`, text: serialize(setAt(tree, s.path, isNum(s.value) ? num(v) : v)), mustCount: false };
    }
    default:
      return write(num(rng.pick(['1e-8', '2.5E+3', '-0.0', '00012'])), 'exponent/odd number');
  }
}

const neg = (n: string) => (n.startsWith('-') ? n.slice(1) : `-${n}`);

/** One mutation the adapter may not take silently. */
function targetedMutation(tree: Json, text: string, all: { path: Path; value: Json }[], rng: Rng, deribit: boolean): Mutation | undefined {
  const candidates: Mutation[] = [];
  const write = (path: Path, v: Json, what: string) =>
    candidates.push({ what: `${path.join('.')} ${what}`, text: serialize(setAt(tree, path, v)), mustCount: true });
  for (const { path, value } of all) {
    const key = keyOf(path) ?? '';
    const n = numText(value);
    if (n === undefined) continue;
    const asNum = isNum(value);
    const same = (t: string) => (asNum ? num(t) : t);
    const role = levelRole(path, deribit);
    // A number (or numeric text) replaced by another type.
    const bad = rng.pick([{}, [], true, 'abc']);
    write(path, bad, `= ${JSON.stringify(bad)}`);
    if (role === 'price' || (role === undefined && PRICE_KEYS.has(key))) {
      if (!isZero(n) && !n.startsWith('-')) write(path, same(neg(n)), 'negated');
      write(path, same('0'), '= 0');
    }
    if (role === 'qty' || (role === undefined && QTY_KEYS.has(key))) {
      if (!isZero(n) && !n.startsWith('-')) write(path, same(neg(n)), 'negated');
    }
    if (role === undefined && SEQ_KEYS.has(key) && key !== 'prevSeqId') write(path, same('99999999999999999999999'), 'beyond UInt64');
    if (role === undefined && TIME_KEYS.has(key)) write(path, same(rng.pick(['5', '99999999999999', '-1'])), 'impossible time');
  }
  candidates.push({ what: 'truncated', text: text.slice(0, 1 + rng.int(text.length - 1)), mustCount: true });
  return rng.pick(candidates);
}

// ---- the harness ----

interface Run {
  ctx: TestContext;
  adapter: VenueAdapter;
  snapshots: Map<string, string[]>;
  answered: number;
}

function start(kind: VenueKind, corpus: Corpus, publishIntervalMs: number): Run {
  const ctx = new TestContext(publishIntervalMs);
  for (const i of corpus.instruments) ctx.instruments.set(i.wire, i);
  const p = protocolOf(kind);
  const adapter = p.createAdapter(ctx, { depth: 25, restUrl: p.defaultRestUrl, snapshotLimit: 1000, tickerIntervalMs: 0 });
  const snapshots = new Map([...corpus.snapshots].map(([k, v]) => [k, [...v]]));
  return { ctx, adapter, snapshots, answered: 0 };
}

/** Feeds one step; REST book snapshots asked for meanwhile are answered (mutated by `mut`). */
function feed(run: Run, step: Step, text: string, mut?: (body: string) => string): MarketRecord[] {
  const { ctx, adapter } = run;
  const before = ctx.records.length;
  if (step.t === 'ws') adapter.onMessage(step.conn, text);
  else {
    try {
      for (const r of adapter.restRecords(step.url, text) ?? []) ctx.records.push(r);
    } catch (err) {
      // A polled body that does not map is the poller's to count: only a bad frame may throw.
      if (!(err instanceof MalformedFrameError || err instanceof SyntaxError)) throw err;
      ctx.problems.push({ kind: 'malformed', message: (err as Error).message });
    }
  }
  for (let n = 0; run.answered < ctx.snapshots.length && n < 8; n++) {
    const req = ctx.snapshots[run.answered++]!;
    const body = run.snapshots.get(req.key)?.shift();
    if (body === undefined) adapter.onSnapshotFailed(req.key, new Error('no snapshot left in the corpus'));
    else adapter.onSnapshot(req.key, mut ? mut(body) : body);
  }
  return ctx.records.slice(before);
}

/** What must hold after every step. Returns why not, or undefined. */
function violation(run: Run, fresh: MarketRecord[], problemsBefore: number): string | undefined {
  const newProblems = run.ctx.problems.slice(problemsBefore);
  const internal = newProblems.find((p) => p.message.startsWith('internal:'));
  if (internal) return `internal fault counted: ${internal.message}`;
  for (const r of fresh) {
    try {
      validateRecord(r);
    } catch (err) {
      return `invalid ${r.data_type} record emitted: ${(err as Error).message}`;
    }
    if (r.data_type !== 'orderbook') continue;
    for (let i = 1; i < r.bids.length; i++) if (compareDecimal(r.bids[i - 1]![0], r.bids[i]![0]) <= 0) return `bids out of order in ${r.symbol}`;
    for (let i = 1; i < r.asks.length; i++) if (compareDecimal(r.asks[i - 1]![0], r.asks[i]![0]) >= 0) return `asks out of order in ${r.symbol}`;
    const [bid, ask] = [r.bids[0], r.asks[0]];
    if (bid && ask && compareDecimal(bid[0], ask[0]) >= 0 && !newProblems.some((p) => p.kind === 'crossed_auction' && p.symbol === r.symbol)) {
      return `crossed book published for ${r.symbol}: ${bid[0]} >= ${ask[0]}`;
    }
  }
  const books = (run.adapter as unknown as { books: Map<string, SyncedBook<unknown>> }).books;
  for (const b of books.values()) {
    if (b.state !== 'synced') continue;
    for (const side of ['bids', 'asks'] as const) {
      for (const [p, q] of b.book[side].top(Infinity)) {
        if (p.startsWith('-') || isZero(p)) return `held book ${b.symbol} has price ${p}`;
        if (q.startsWith('-') || isZero(q)) return `held book ${b.symbol} has quantity ${q}`;
      }
    }
  }
  return undefined;
}

function fail(kind: string, mode: string, i: number, step: number, what: string, text: string, why: string): never {
  throw new Error(
    `fuzz ${kind} ${mode} failed: ${why}\n  reproduce: MARKETPRISM_FUZZ_SEED=${SEED} (iteration ${i}, seed ${seedOf(kind, mode, i)}, step ${step})\n  mutation: ${what}\n  message: ${text.slice(0, 2000)}`,
  );
}

function session(kind: VenueKind, corpus: Corpus, i: number): { mutations: number; problems: number } {
  const rng = new Rng(mulberry32(seedOf(kind, 'session', i)));
  const interval = rng.pick([0, 0, 100]);
  const run = start(kind, corpus, interval);
  const deribit = kind === 'deribit';
  const rate = rng.pick([0.02, 0.1, 0.3]);
  let mutations = 0;
  const history: Step[] = [];
  const mutSnapshot = (body: string) => (rng.chance(rate) ? (mutate(body, rng, false, false)?.text ?? body) : body);
  for (let s = 0; s < corpus.steps.length; s++) {
    const step = corpus.steps[s]!;
    const events: { step: Step; text: string; what: string }[] = [];
    const text = step.t === 'ws' ? step.text : step.body;
    if (rng.chance(rate)) {
      const r = rng.int(10);
      if (r === 0) continue; // dropped
      if (r === 1) events.push({ step, text, what: 'repeated' }, { step, text, what: 'repeated' });
      else if (r === 2 && history.length > 0) {
        const old = rng.pick(history);
        events.push({ step: old, text: old.t === 'ws' ? old.text : old.body, what: 'stale message re-sent' }, { step, text, what: 'as is' });
      } else if (r === 3 && step.t === 'ws') {
        run.adapter.connectionLost(step.conn);
        events.push({ step, text, what: 'after a reconnect' });
      } else {
        const m = mutate(text, rng, deribit, false);
        events.push({ step, text: m?.text ?? text, what: m?.what ?? 'as is' });
      }
      mutations++;
    } else events.push({ step, text, what: 'as is' });
    history.push(step);
    for (const e of events) {
      const problemsBefore = run.ctx.problems.length;
      let fresh: MarketRecord[];
      try {
        fresh = feed(run, e.step, e.text, mutSnapshot);
        run.ctx.time += 1 + rng.int(60);
        const n = run.ctx.records.length;
        run.ctx.tick(); // the publish interval's timer (a throw here would escape in the daemon)
        fresh.push(...run.ctx.records.slice(n));
      } catch (err) {
        fail(kind, 'session', i, s, e.what, e.text, `exception escaped: ${(err as Error).stack}`);
      }
      const why = violation(run, fresh, problemsBefore);
      if (why) fail(kind, 'session', i, s, e.what, e.text, why);
    }
  }
  return { mutations, problems: run.ctx.problems.length };
}

/** One must-count mutation at a random step of an otherwise unmutated session. */
function targeted(kind: VenueKind, corpus: Corpus, i: number): boolean {
  const rng = new Rng(mulberry32(seedOf(kind, 'targeted', i)));
  const at = rng.int(corpus.steps.length);
  const step = corpus.steps[at]!;
  const text = step.t === 'ws' ? step.text : step.body;
  const m = mutate(text, rng, kind === 'deribit', true);
  if (!m) return false;
  const ref = start(kind, corpus, 0);
  const fuzzed = start(kind, corpus, 0);
  for (const s of corpus.steps.slice(Math.max(0, at - WINDOW), at)) {
    const t = s.t === 'ws' ? s.text : s.body;
    feed(ref, s, t);
    feed(fuzzed, s, t);
  }
  const before = fuzzed.ctx.problems.length;
  const expected = feed(ref, step, text);
  let got: MarketRecord[];
  try {
    got = feed(fuzzed, step, m.text);
  } catch (err) {
    fail(kind, 'targeted', i, at, m.what, m.text, `exception escaped: ${(err as Error).stack}`);
  }
  const why = violation(fuzzed, got, before);
  if (why) fail(kind, 'targeted', i, at, m.what, m.text, why);
  const counted = fuzzed.ctx.problems.length > before;
  if (!counted && JSON.stringify(got) !== JSON.stringify(expected)) {
    fail(
      kind,
      'targeted',
      i,
      at,
      m.what,
      m.text,
      `a bad value changed the output without a problem counted:\n  expected ${JSON.stringify(expected).slice(0, 600)}\n  got ${JSON.stringify(got).slice(0, 600)}`,
    );
  }
  return counted;
}

describe('venue parser fuzzing', () => {
  for (const kind of VENUE_KINDS) {
    describe(kind, () => {
      const corpus = corpusOf(kind);

      it('an unmutated session yields records and no problem but what the corpus itself holds', () => {
        const run = start(kind, corpus, 0);
        for (const s of corpus.steps) {
          const before = run.ctx.problems.length;
          const fresh = feed(run, s, s.t === 'ws' ? s.text : s.body);
          expect(violation(run, fresh, before)).toBeUndefined();
        }
        expect(run.ctx.records.length).toBeGreaterThan(0);
        expect(run.ctx.problems.filter((p) => p.message.startsWith('internal:'))).toEqual([]);
      });

      it(
        `${SESSIONS} mutated sessions: nothing escapes, records valid, books sane`,
        () => {
          let mutations = 0;
          let problems = 0;
          for (let i = 0; i < SESSIONS; i++) {
            const r = session(kind, corpus, i);
            mutations += r.mutations;
            problems += r.problems;
          }
          expect(mutations).toBeGreaterThan(SESSIONS); // the sessions were really mutated
          expect(problems).toBeGreaterThan(0);
        },
        TIMEOUT_MS,
      );

      it(
        `${TARGETED} bad values in fields the adapter reads: each one counted`,
        () => {
          let counted = 0;
          for (let i = 0; i < TARGETED; i++) if (targeted(kind, corpus, i)) counted++;
          expect(counted).toBeGreaterThan(TARGETED / 4);
        },
        TIMEOUT_MS,
      );
    });
  }
});
