/**
 * A record's natural key as one text, computed the same way from a JetStream message
 * (the record as published) and from a table row (SQL): the accounting compares the two sets.
 */
import { NATURAL_KEYS, fieldEntries } from '../../core/fields.js';
import type { DataType } from '../../core/model.js';

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
