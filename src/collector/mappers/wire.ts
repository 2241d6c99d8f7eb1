/**
 * Reading untrusted venue JSON. Every reader throws MalformedFrameError naming the
 * field, which the adapter turns into one `malformed` count (never a crash). A value
 * of the right type that the data model cannot hold (a price that is not positive, a
 * negative quantity, an id beyond what is exact, an impossible time) throws
 * BadValueError, counted by its own problem: such a value never reaches a book or a
 * record.
 */
import { DECIMAL_SCALE, isDecimal, toPlainDecimal } from '../../core/decimal.js';
import { liftedOr, type Lifted } from './lifted-levels.js';
import type { Level } from '../../core/model.js';
import { MAX_MS, MIN_MS, UINT64_MAX } from '../../core/validate.js';

export class MalformedFrameError extends Error {
  override name = 'MalformedFrameError';
}

/** The problems a BadValueError counts as (a closed set: metric labels). */
export type BadValue = 'bad_price' | 'bad_quantity' | 'bad_id' | 'bad_time';

export class BadValueError extends MalformedFrameError {
  override name = 'BadValueError';
  constructor(
    readonly problem: BadValue,
    message: string,
  ) {
    super(message);
  }
}

const cut = (v: unknown) => String(v).slice(0, 30);
const negative = (d: string) => d.charCodeAt(0) === 45; /* - */

export type Obj = Record<string, unknown>;

export function obj(v: unknown, what: string): Obj {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new MalformedFrameError(`${what}: expected an object`);
  return v as Obj;
}

export function arr(v: unknown, what: string): unknown[] {
  if (!Array.isArray(v)) throw new MalformedFrameError(`${what}: expected an array`);
  return v;
}

export function text(o: Obj, key: string): string {
  const v = o[key];
  if (typeof v !== 'string' || v === '') throw new MalformedFrameError(`${key}: expected a non-empty string`);
  return v;
}

/**
 * Whether `v` is plain decimal text `-?\d+(\.\d+)?` (what DECIMAL_RE in core/decimal.ts
 * accepts), by one scan of its characters: the per-level check of every book message,
 * without a regular expression.
 */
function plain(v: string): boolean {
  const n = v.length;
  let i = n > 0 && v.charCodeAt(0) === 45 ? 1 : 0;
  const intStart = i;
  for (; i < n; i++) {
    const c = v.charCodeAt(i);
    if (c < 48 || c > 57) break;
  }
  if (i === intStart) return false;
  if (i === n) return true;
  if (v.charCodeAt(i) !== 46) return false;
  const fracStart = ++i;
  for (; i < n; i++) {
    const c = v.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return i > fracStart;
}

const NOT_PLAIN = 0;
const ZERO = 1;
const NON_ZERO = 2;

/**
 * Short unsigned plain decimal text (`\d+(\.\d+)?`, at most DECIMAL_SCALE + 1 characters,
 * so storable as it is), and whether it is zero, in one scan; NOT_PLAIN for anything else
 * (signs, exponents, long texts: the full checks decide those).
 */
function unsignedPlain(v: string): number {
  const n = v.length;
  if (n === 0 || n > DECIMAL_SCALE + 1) return NOT_PLAIN;
  let point = -1;
  let nonZeroDigit = false;
  for (let i = 0; i < n; i++) {
    const c = v.charCodeAt(i);
    if (c === 46) {
      if (point >= 0 || i === 0 || i === n - 1) return NOT_PLAIN;
      point = i;
    } else if (c < 48 || c > 57) return NOT_PLAIN;
    else if (c !== 48) nonZeroDigit = true;
  }
  return nonZeroDigit ? NON_ZERO : ZERO;
}

/** For decimal text already checked: a digit other than 0 makes it non-zero (a scan, no regex). */
function nonZero(d: string): boolean {
  for (let i = 0; i < d.length; i++) {
    const c = d.charCodeAt(i);
    if (c > 48 && c <= 57) return true;
  }
  return false;
}

/** An exact decimal from a string (or, from a number-preserving parse, number text). */
export function decimal(v: unknown, what: string): string {
  if (typeof v !== 'string') throw new MalformedFrameError(`${what}: expected decimal text, got ${typeof v}`);
  // Fast path: short plain text is storable as it is (decimalProblem's own short cut:
  // 19 characters cannot overflow 20 integer or 18 fractional digits).
  if (v.length <= DECIMAL_SCALE + 1 && plain(v)) return v;
  let d: string;
  try {
    d = toPlainDecimal(v);
  } catch {
    throw new MalformedFrameError(`${what}: not a decimal: ${v.slice(0, 30)}`);
  }
  if (!isDecimal(d)) throw new MalformedFrameError(`${what}: not a storable decimal: ${v.slice(0, 30)}`);
  return d;
}

export function decimalField(o: Obj, key: string): string {
  return decimal(o[key], key);
}

/** A decimal field that may be absent or empty (OKX sends "" for "not known"). */
export function optionalDecimal(o: Obj, key: string): string | undefined {
  const v = o[key];
  return v === undefined || v === null || v === '' ? undefined : decimal(v, key);
}

/** A price (or a price-like index value): positive. */
export function price(v: unknown, what: string): string {
  const d = decimal(v, what);
  if (negative(d) || !nonZero(d)) throw new BadValueError('bad_price', `${what}: price must be positive, got ${cut(v)}`);
  return d;
}

export function priceField(o: Obj, key: string): string {
  return price(o[key], key);
}

export function optionalPrice(o: Obj, key: string): string | undefined {
  const v = o[key];
  return v === undefined || v === null || v === '' ? undefined : price(v, key);
}

/** A quantity (size, open interest, notional): not negative; `positive`: zero means nothing here either. */
export function quantity(v: unknown, what: string, positive = false): string {
  const d = decimal(v, what);
  if (!negative(d) && (!positive || nonZero(d))) return d;
  if (!nonZero(d) && !positive) return d.slice(1); // "-0" is 0
  throw new BadValueError('bad_quantity', `${what}: quantity must be ${positive ? 'positive' : 'non-negative'}, got ${cut(v)}`);
}

export function quantityField(o: Obj, key: string, positive = false): string {
  return quantity(o[key], key, positive);
}

export function optionalQuantity(o: Obj, key: string): string | undefined {
  const v = o[key];
  return v === undefined || v === null || v === '' ? undefined : quantity(v, key);
}

/** A ratio (long/short shares): not negative. */
export function ratio(v: unknown, what: string): string {
  const d = decimal(v, what);
  if (!negative(d)) return d;
  if (!nonZero(d)) return d.slice(1);
  throw new MalformedFrameError(`${what}: a ratio cannot be negative, got ${cut(v)}`);
}

export function ratioField(o: Obj, key: string): string {
  return ratio(o[key], key);
}

/** An integer from a JSON number or its text; must be exact in a double (checksums, counts). */
export function int(v: unknown, what: string): number {
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : NaN;
  if (!Number.isSafeInteger(n)) {
    const integral = (typeof v === 'string' && /^-?\d+$/.test(v)) || (typeof v === 'number' && Number.isInteger(v));
    if (integral) throw new BadValueError('bad_id', `${what}: ${cut(v)} is beyond what is exact (2^53)`);
    throw new MalformedFrameError(`${what}: expected an integer`);
  }
  return n;
}

export function intField(o: Obj, key: string): number {
  return int(o[key], key);
}

export function optionalInt(o: Obj, key: string): number | undefined {
  const v = o[key];
  return v === undefined || v === null || v === '' ? undefined : int(v, key);
}

/**
 * A sequence or trade id: a non-negative integer exact in a double (ids are compared).
 * `previous`: an id that names the one before (Binance pu, OKX prevSeqId, Deribit
 * prev_change_id), where the venue writes -1 for "none".
 */
export function id(v: unknown, what: string, previous = false): number {
  const n = int(v, what);
  if (n < (previous ? -1 : 0)) throw new BadValueError('bad_id', `${what}: expected a non-negative id, got ${cut(v)}`);
  return n;
}

export function idField(o: Obj, key: string, previous = false): number {
  return id(o[key], key, previous);
}

export function optionalId(o: Obj, key: string, previous = false): number | undefined {
  const v = o[key];
  return v === undefined || v === null || v === '' ? undefined : id(v, key, previous);
}

/** An id the venue sends as text (OKX tradeId): an unsigned integer within UInt64, as text. */
export function idText(o: Obj, key: string): string {
  const v = text(o, key);
  if (!/^\d{1,20}$/.test(v) || BigInt(v) > UINT64_MAX) throw new BadValueError('bad_id', `${key}: expected an unsigned 64-bit integer, got ${cut(v)}`);
  return v;
}

/** Milliseconds since the epoch within what the tables hold (2000-01-01 .. 2106-02-07). */
export function time(v: unknown, what: string): number {
  let n: number;
  try {
    n = int(v, what);
  } catch (err) {
    if (err instanceof BadValueError) throw new BadValueError('bad_time', err.message);
    throw err;
  }
  if (n < MIN_MS || n > MAX_MS) throw new BadValueError('bad_time', `${what}: ${cut(v)} is not a time in ms between 2000 and 2106`);
  return n;
}

export function timeField(o: Obj, key: string): number {
  return time(o[key], key);
}

export function optionalTime(o: Obj, key: string): number | undefined {
  const v = o[key];
  return v === undefined || v === null || v === '' ? undefined : time(v, key);
}

/**
 * `[[price, qty, ...extra], ...]` -> exact [price, qty] pairs (extra columns ignored).
 * Prices are positive and quantities not negative (0 removes a level in a diff).
 * `lifted`: the lists `parseLifting` read from the same frame (`v` may be the marker of one).
 */
export function levels(v: unknown, what: string, lifted?: Lifted): Level[] {
  const list = arr(liftedOr(v, lifted), what);
  const out: Level[] = new Array<Level>(list.length);
  for (let i = 0; i < list.length; i++) {
    const l = list[i];
    if (!Array.isArray(l)) throw new MalformedFrameError(`${what}[${i}]: expected an array`);
    // Fast path, one scan per text: a positive price and a quantity, both short unsigned plain text.
    const p: unknown = l[0];
    const q: unknown = l[1];
    if (typeof p === 'string' && typeof q === 'string' && unsignedPlain(p) === NON_ZERO && unsignedPlain(q) !== NOT_PLAIN) {
      // A parsed [price, qty] pair is the level as it is (never mutated: Level is read-only).
      out[i] = l.length === 2 ? (l as unknown as Level) : ([p, q] as const);
      continue;
    }
    // Labels are built only for an error: this runs for every level of every diff.
    try {
      out[i] = [price(l[0], 'price'), quantity(l[1], 'quantity')] as const;
    } catch (err) {
      const message = `${what}[${i}] ${(err as Error).message}`;
      throw err instanceof BadValueError ? new BadValueError(err.problem, message) : new MalformedFrameError(message);
    }
  }
  return out;
}

export function bool(o: Obj, key: string): boolean {
  const v = o[key];
  if (typeof v !== 'boolean') throw new MalformedFrameError(`${key}: expected true or false`);
  return v;
}

export function side(v: unknown, what: string): 'buy' | 'sell' {
  const s = typeof v === 'string' ? v.toLowerCase() : '';
  if (s !== 'buy' && s !== 'sell') throw new MalformedFrameError(`${what}: expected buy or sell`);
  return s;
}
