/**
 * Checks an untrusted object (from the wire or from NATS) against the data model.
 * Every rejection names the field and the value, so a dead-lettered message says why.
 */
import { decimalProblem } from './decimal.js';
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
const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;
const UINT_RE = /^\d{1,20}$/;
/** 2000-01-01 .. 2200-01-01: catches seconds-vs-ms and garbage. */
const MIN_MS = 946_684_800_000;
const MAX_MS = 7_258_118_400_000;

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
    const problem = fieldProblem(kind, obj[field]);
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
      return typeof v === 'string' && UINT_RE.test(v) ? undefined : `expected an unsigned integer as text, got ${show(v)}`;
    case 'time':
    case 'time?':
      return Number.isInteger(v) && (v as number) >= MIN_MS && (v as number) <= MAX_MS
        ? undefined
        : `expected integer milliseconds since the epoch, got ${show(v)}`;
    case 'bool':
      return typeof v === 'boolean' ? undefined : `expected true or false, got ${show(v)}`;
    case 'side':
      return (SIDES as readonly unknown[]).includes(v) ? undefined : `expected "buy" or "sell", got ${show(v)}`;
    case 'date?':
      return typeof v === 'string' && DATE_RE.test(v) ? undefined : `expected YYYY-MM-DD, got ${show(v)}`;
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
    const level = v[i];
    if (!Array.isArray(level) || level.length !== 2) return `level ${i}: expected [price, quantity], got ${show(level)}`;
    const p = decimalProblem(level[0]) ?? decimalProblem(level[1]);
    if (p) return `level ${i}: ${p}`;
  }
  return undefined;
}
