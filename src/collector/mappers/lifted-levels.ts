/**
 * A frame's level lists read straight from its text, the rest left to `JSON.parse`.
 *
 * `JSON.parse` of a depth diff costs about 250 ns a level (an array and its strings, for
 * every level of every diff; measured on Binance-shaped diffs of 10–60 levels) and was the
 * largest single cost of a busy collector (docs/benchmarks.md). A level list as venues send
 * it is a plain shape, `[["price","qty"(,"..")*](,[..])*]`, which a scanner reads in about a
 * third of that. So, for the keys a venue's lists sit under (Binance `b`/`a`, OKX
 * `asks`/`bids`, their REST snapshots' `bids`/`asks`):
 *
 * - a `"key":[` in the text (the first after the list cut before it) is read as a level list by
 *   a strict scanner: strings only, no whitespace, at least two per level (extra ones are
 *   skipped, as `levels` ignores them);
 * - the list's text is replaced by a marker string and the rest is parsed by `JSON.parse`;
 *   `liftedOr` gives a value that is a marker back as its list.
 *
 * Equivalence with `JSON.parse` of the whole text: a list is only cut where it cannot be
 * inside a string (the frame has no backslash at all, and the key's quote follows `{` or
 * `,`), the rest must parse, and the list's grammar is checked character by character (any
 * other shape, whitespace included, is not cut: `JSON.parse` reads it as before). Which
 * occurrence of a key is cut does not matter: its marker stands exactly where it was. The
 * strings are exact copies of the text between their quotes, as `JSON.parse` gives them
 * when there is no escape. What the mapper then checks of each level (`levels`) is unchanged;
 * it is also what refuses a control character in a price or quantity (one in a skipped
 * string is refused here), where `JSON.parse` would have refused the frame.
 *
 * Memory: a substring of 13 characters or more is, in V8, a view that keeps the whole frame
 * alive (a "sliced string"; shorter ones are copied). A book keeps levels for a long time, so
 * a long text is made of pieces of at most 12 characters, each a copy (`copyText`): the frame
 * can be collected as soon as it is handled (tested in test/collector/lifted-levels.test.ts).
 */
import type { Level } from '../../core/model.js';

/** The lists cut out of one frame, by the index of their key in the needles. */
export type Lifted = readonly (Level[] | undefined)[];

/** The needles for keys: `"b":[` for `b`. Made once per venue. */
export function liftKeys(...keys: string[]): readonly string[] {
  if (keys.length > 10) throw new Error('liftKeys: at most 10 keys (a marker holds one digit)');
  return keys.map((k) => `"${k}":[`);
}

/** The marker of list `i` in the rest, as JSON text and as the string `JSON.parse` gives for it. */
const markerJson = (i: number) => `"\\u0000${i}"`;
const NUL = 0;

const QUOTE = 34;
const COMMA = 44;
const OPEN = 91; // [
const CLOSE = 93; // ]
const BRACE = 123; // {
const BACKSLASH = '\\';

/** Longest substring V8 copies rather than slicing (SlicedString::kMinLength is 13). */
const COPY_MAX = 12;

/** text[a, b) as a string that holds no reference to `text`. */
export function copyText(text: string, a: number, b: number): string {
  if (b - a <= COPY_MAX) return text.slice(a, b);
  let s = text.slice(a, a + COPY_MAX);
  for (let i = a + COPY_MAX; i < b; i += COPY_MAX) s += text.slice(i, Math.min(b, i + COPY_MAX));
  return s;
}

/**
 * Reads the level list whose `[` is at `start`: the index after its `]` and its levels in
 * `out`, or -1 when the text there is not a list of that plain shape.
 */
function scanList(t: string, start: number, out: Level[]): number {
  let i = start + 1;
  if (t.charCodeAt(i) === CLOSE) return i + 1;
  for (;;) {
    if (t.charCodeAt(i) !== OPEN || t.charCodeAt(i + 1) !== QUOTE) return -1;
    const p0 = i + 2;
    const p1 = t.indexOf('"', p0);
    if (p1 < 0 || t.charCodeAt(p1 + 1) !== COMMA || t.charCodeAt(p1 + 2) !== QUOTE) return -1;
    const q0 = p1 + 3;
    const q1 = t.indexOf('"', q0);
    if (q1 < 0) return -1;
    i = q1 + 1;
    // Extra strings of a level (OKX: liquidated orders, order count): skipped, once checked to be JSON strings.
    while (t.charCodeAt(i) === COMMA) {
      if (t.charCodeAt(i + 1) !== QUOTE) return -1;
      const e = t.indexOf('"', i + 2);
      if (e < 0 || hasControl(t, i + 2, e)) return -1;
      i = e + 1;
    }
    if (t.charCodeAt(i) !== CLOSE) return -1;
    out.push([copyText(t, p0, p1), copyText(t, q0, q1)]);
    const c = t.charCodeAt(i + 1);
    if (c === CLOSE) return i + 2;
    if (c !== COMMA) return -1;
    i += 2;
  }
}

/** A character JSON does not allow raw in a string, in t[a, b). */
function hasControl(t: string, a: number, b: number): boolean {
  for (let i = a; i < b; i++) if (t.charCodeAt(i) < 32) return true;
  return false;
}

/**
 * `JSON.parse(text)`, with the first list under each of `needles` (liftKeys) cut out and
 * read by the scanner: `lifted[i]` is the list of needle i (undefined when it was not cut;
 * then the parsed value holds it as usual). Throws what `JSON.parse` throws.
 */
export function parseLifting(text: string, needles: readonly string[]): { value: unknown; lifted: Lifted | undefined } {
  let cuts: { at: number; end: number; i: number }[] | undefined;
  let lifted: (Level[] | undefined)[] | undefined;
  let plain: boolean | undefined; // no backslash anywhere: no list can hide in a string
  let from = 0; // venues write their lists in one order: each key is looked for after the last cut first
  for (let i = 0; i < needles.length; i++) {
    const needle = needles[i]!;
    let at = text.indexOf(needle, from);
    if (at < 0 && from > 0) at = text.indexOf(needle);
    if (at <= 0) continue;
    const before = text.charCodeAt(at - 1);
    if (before !== BRACE && before !== COMMA) continue;
    plain ??= !text.includes(BACKSLASH);
    if (!plain) break;
    const open = at + needle.length - 1;
    const list: Level[] = [];
    const end = scanList(text, open, list);
    if (end < 0) continue;
    (cuts ??= []).push({ at: open, end, i });
    (lifted ??= new Array<Level[] | undefined>(needles.length))[i] = list;
    from = end;
  }
  if (!cuts) return { value: JSON.parse(text), lifted: undefined };
  cuts.sort((a, b) => a.at - b.at);
  let rest = '';
  let done = 0;
  for (const c of cuts) {
    if (c.at < done) return { value: JSON.parse(text), lifted: undefined }; // overlapping (a list inside a list): not this shape
    rest += text.slice(done, c.at) + markerJson(c.i);
    done = c.end;
  }
  rest += text.slice(done);
  return { value: JSON.parse(rest), lifted };
}

/** `v`, or the list it marks when it is a marker of a list cut from the same frame. */
export function liftedOr(v: unknown, lifted: Lifted | undefined): unknown {
  if (lifted === undefined || typeof v !== 'string' || v.length !== 2 || v.charCodeAt(0) !== NUL) return v;
  return lifted[v.charCodeAt(1) - 48] ?? v;
}
