/**
 * A record's natural key as one text, computed the same way from a JetStream message
 * (the record as published) and from a table row (SQL). Storage asks it of a redelivered
 * message (was it stored before the crash?); the fault suite's accounting compares the two sets.
 */
import { NATURAL_KEYS, fieldEntries } from '../core/fields.js';
import type { DataType } from '../core/model.js';
import { sqlString } from './engines/engine.js';

function kindOf(type: DataType, field: string): string {
  return fieldEntries(type).find(([f]) => f === field)?.[1] ?? 'text';
}

/** Decimal text as ClickHouse prints a Decimal column: no trailing fractional zeros. */
export function normalizeDecimal(d: string): string {
  if (!d.includes('.')) return d;
  const t = d.replace(/0+$/, '').replace(/\.$/, '');
  return t === '-0' ? '0' : t;
}

export function keyOfRecord(type: DataType, r: Record<string, unknown>): string {
  return NATURAL_KEYS[type]
    .map((f) => {
      const v = r[f];
      return kindOf(type, f).startsWith('decimal') ? normalizeDecimal(String(v)) : String(v);
    })
    .join('|');
}

/** The SQL expression of the same key over a table's columns. */
export function keySql(type: DataType): string {
  const parts = NATURAL_KEYS[type].map((f) => {
    const kind = kindOf(type, f);
    if (kind.startsWith('time')) return `toString(toUnixTimestamp64Milli(${f}))`;
    return `toString(${f})`;
  });
  return `concat(${parts.join(", '|', ")})`;
}

/**
 * SQL returning, as `k`, the keys of `records` already in `table`: bounded by the
 * records' time range (partition pruning) and symbols (primary-key prefix) so it reads
 * a few granules, not the table. Used for redelivered messages only.
 */
export function storedKeysSql(type: DataType, table: string, records: readonly { timestamp: number; symbol: string }[]): string {
  let lo = Infinity;
  let hi = -Infinity;
  const symbols = new Set<string>();
  for (const r of records) {
    lo = Math.min(lo, r.timestamp);
    hi = Math.max(hi, r.timestamp);
    symbols.add(r.symbol);
  }
  const keys = records.map((r) => sqlString(keyOfRecord(type, r as unknown as Record<string, unknown>)));
  return (
    `SELECT ${keySql(type)} AS k FROM ${table} ` +
    `WHERE timestamp BETWEEN fromUnixTimestamp64Milli(toInt64(${lo})) AND fromUnixTimestamp64Milli(toInt64(${hi})) ` +
    `AND symbol IN (${[...symbols].map(sqlString).join(', ')}) AND k IN (${keys.join(', ')})`
  );
}
