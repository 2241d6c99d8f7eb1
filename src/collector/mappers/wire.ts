/**
 * Reading untrusted venue JSON. Every reader throws MalformedFrameError naming the
 * field, which the adapter turns into one `malformed` count (never a crash).
 */
import { isDecimal, toPlainDecimal } from '../../core/decimal.js';
import type { Level } from '../../core/model.js';

export class MalformedFrameError extends Error {
  override name = 'MalformedFrameError';
}

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

/** An exact decimal from a string (or, from a number-preserving parse, number text). */
export function decimal(v: unknown, what: string): string {
  if (typeof v !== 'string') throw new MalformedFrameError(`${what}: expected decimal text, got ${typeof v}`);
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

/** An integer (ms time, sequence id) from a JSON number or its text; must be exact in a double. */
export function int(v: unknown, what: string): number {
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : NaN;
  if (!Number.isSafeInteger(n)) throw new MalformedFrameError(`${what}: expected an integer`);
  return n;
}

export function intField(o: Obj, key: string): number {
  return int(o[key], key);
}

export function optionalInt(o: Obj, key: string): number | undefined {
  const v = o[key];
  return v === undefined || v === null || v === '' ? undefined : int(v, key);
}

/** `[[price, qty, ...extra], ...]` -> exact [price, qty] pairs (extra columns ignored). */
export function levels(v: unknown, what: string): Level[] {
  return arr(v, what).map((l, i) => {
    const pair = arr(l, `${what}[${i}]`);
    return [decimal(pair[0], `${what}[${i}] price`), decimal(pair[1], `${what}[${i}] quantity`)] as const;
  });
}

export function side(v: unknown, what: string): 'buy' | 'sell' {
  const s = typeof v === 'string' ? v.toLowerCase() : '';
  if (s !== 'buy' && s !== 'sell') throw new MalformedFrameError(`${what}: expected buy or sell`);
  return s;
}
