/**
 * Checks an untrusted object (from the wire or from NATS) against the data model.
 * Every rejection names the field and the value, so a dead-lettered message says why.
 */
import { decimalProblem, isZero } from './decimal.js';
import { fieldEntries, type FieldKind } from './fields.js';
import { EXCHANGES, MARKET_TYPES, QUANTITY_UNITS, SIDES, isDataType, type MarketRecord } from './model.js';
import { show } from './show.js';

export class InvalidRecordError extends Error {
  override name = 'InvalidRecordError';
  constructor(
    readonly field: string,
    readonly problem: string,
  ) {
    super(`field "${field}": ${problem}`);
  }
}

const SYMBOL_RE = /^[A-Z0-9]+(?:-[A-Z0-9]+)*$/;
const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;
const UINT_RE = /^\d{1,20}$/;
export const UINT64_MAX = 18446744073709551615n;
/**
 * 2000-01-01 .. 2106-02-07 06:28:15 UTC: catches seconds-vs-ms and garbage, and stays
 * inside DateTime (what the tables' TTL and `toDateTime(timestamp)` compute), which
 * ClickHouse would wrap silently; DateTime64(3) itself holds 1900..2299.
 */
export const MIN_MS = 946_684_800_000;
export const MAX_MS = 4_294_967_295_000;
/** The Date column's range (`maturity_date`); ClickHouse clamps a date outside it. */
const MIN_DATE = '1970-01-01';
const MAX_DATE = '2149-06-06';

/**
 * Sign rules by field name, where the model knows one: prices (and book level prices)
 * are positive, quantities and notionals never negative. A book level's quantity, and
 * a venue's raw level quantity, is positive: a level of quantity 0 is a removal and
 * never part of a book.
 */
const POSITIVE = new Set(['price', 'mark_price', 'index_price', 'index_value']);
const NON_NEGATIVE = new Set(['quantity', 'quantity_raw', 'open_interest', 'open_interest_raw', 'open_interest_value']);
const POSITIVE_ELEMENTS = new Set(['bids_raw', 'asks_raw']);

export function validateRecord(value: unknown): MarketRecord {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidRecordError('(record)', 'expected a JSON object');
  }
  const obj = value as Record<string, unknown>;
  if (!isDataType(obj.data_type)) throw new InvalidRecordError('data_type', `unknown data type ${show(obj.data_type)}`);
  if (typeof obj.symbol !== 'string' || !SYMBOL_RE.test(obj.symbol)) {
    throw new InvalidRecordError('symbol', `expected an upper-case symbol like BTC-USDT, got ${show(obj.symbol)}`);
  }
  for (const [field, kind] of fieldEntries(obj.data_type)) {
    const v = obj[field];
    const problem = fieldProblem(kind, v) ?? signProblem(field, v);
    if (problem) throw new InvalidRecordError(field, problem);
  }
  return obj as unknown as MarketRecord;
}

function fieldProblem(kind: FieldKind, v: unknown): string | undefined {
  const optional = kind.endsWith('?');
  if (optional && (v === undefined || v === null)) return undefined;
  if (v === undefined) return 'missing';
  switch (kind) {
    case 'exchange':
      return oneOf(EXCHANGES, v, 'exchange');
    case 'market_type':
      return oneOf(MARKET_TYPES, v, 'market type');
    case 'unit':
      return oneOf(QUANTITY_UNITS, v, 'quantity unit');
    case 'decimals?':
      return decimalsProblem(v);
    case 'decimal':
    case 'decimal?':
      return decimalProblem(v);
    case 'text':
      return typeof v === 'string' && v.length > 0 ? undefined : `expected a non-empty string, got ${show(v)}`;
    case 'uint':
      if (typeof v !== 'string' || !UINT_RE.test(v)) return `expected an unsigned integer as text, got ${show(v)}`;
      return BigInt(v) > UINT64_MAX ? `exceeds UInt64 (${UINT64_MAX}), got ${show(v)}` : undefined;
    case 'time':
    case 'time?':
      return Number.isInteger(v) && (v as number) >= MIN_MS && (v as number) <= MAX_MS
        ? undefined
        : `expected integer milliseconds since the epoch between 2000-01-01 and 2106-02-07, got ${show(v)}`;
    case 'bool':
      return typeof v === 'boolean' ? undefined : `expected true or false, got ${show(v)}`;
    case 'side':
      return (SIDES as readonly unknown[]).includes(v) ? undefined : `expected "buy" or "sell", got ${show(v)}`;
    case 'date?':
      return dateProblem(v);
    case 'levels':
      return levelsProblem(v);
  }
}

function oneOf(values: readonly string[], v: unknown, what: string): string | undefined {
  return (values as readonly unknown[]).includes(v) ? undefined : `unknown ${what} ${show(v)}; expected one of ${values.join(', ')}`;
}

function decimalsProblem(v: unknown): string | undefined {
  if (!Array.isArray(v)) return `expected an array of decimal strings, got ${show(v)}`;
  for (let i = 0; i < v.length; i++) {
    const p = decimalProblem(v[i]);
    if (p) return `element ${i}: ${p}`;
  }
  return undefined;
}

function levelsProblem(v: unknown): string | undefined {
  if (!Array.isArray(v)) return `expected an array of [price, quantity], got ${show(v)}`;
  for (let i = 0; i < v.length; i++) {
    const level: unknown = v[i];
    if (!Array.isArray(level) || level.length !== 2) return `level ${i}: expected [price, quantity], got ${show(level)}`;
    const p = decimalProblem(level[0]) ?? decimalProblem(level[1]);
    if (p) return `level ${i}: ${p}`;
    if (!isPositive(level[0] as string)) return `level ${i}: price must be positive, got ${show(level[0])}`;
    if (!isPositive(level[1] as string)) return `level ${i}: quantity must be positive, got ${show(level[1])}`;
  }
  return undefined;
}

const isNegative = (d: string) => d.startsWith('-') && !isZero(d);
const isPositive = (d: string) => !d.startsWith('-') && !isZero(d);

/** Runs after the kind check passed, so decimals here are valid decimal text. */
function signProblem(field: string, v: unknown): string | undefined {
  if (typeof v === 'string') {
    if (POSITIVE.has(field) && !isPositive(v)) return `must be positive, got ${show(v)}`;
    if (NON_NEGATIVE.has(field) && isNegative(v)) return `must not be negative, got ${show(v)}`;
  } else if (Array.isArray(v) && POSITIVE_ELEMENTS.has(field)) {
    const i = v.findIndex((d) => !isPositive(d as string));
    if (i >= 0) return `element ${i}: must be positive, got ${show(v[i])}`;
  }
  return undefined;
}

function dateProblem(v: unknown): string | undefined {
  const m = typeof v === 'string' ? DATE_RE.exec(v) : null;
  if (!m) return `expected YYYY-MM-DD, got ${show(v)}`;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(Date.UTC(y, mo - 1, d));
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d) {
    return `not a calendar date, got ${show(v)}`;
  }
  const text = v as string;
  if (text < MIN_DATE || text > MAX_DATE) return `outside the Date column's range ${MIN_DATE}..${MAX_DATE}, got ${show(v)}`;
  return undefined;
}
