/**
 * What turning a ccxt market row into InstrumentInfo takes on every venue: ccxt's
 * unified fields decide the kind (type, linear/inverse, expiry, base/quote/settle);
 * every size is read as exact text from `info`, the venue's raw row (numbers kept as
 * text by ccxt-markets.ts). Each venue's own rule is in its folder
 * (venues/<venue>/instruments.ts).
 */
import type { MarketInterface as Market } from 'ccxt';
import type { MarketType } from '../../core/model.js';
import { normalizeDecimal } from '../../core/decimal-math.js';
import { toPlainDecimal } from '../../core/decimal.js';
import { InstrumentFieldError, type InstrumentVenue } from './types.js';

export type Row = Record<string, unknown>;

export function marketType(m: Market): MarketType | undefined {
  switch (m.type) {
    case 'spot':
      return 'spot';
    case 'swap':
      return 'perpetual';
    case 'future':
      return 'futures';
    case 'option':
      return 'options';
    default:
      return undefined;
  }
}

/** "220527" from an expiry in ms (UTC), as OKX and Binance write dated contracts. */
export function yymmdd(expiry: number | undefined): string {
  if (expiry === undefined) return 'undated';
  const d = new Date(expiry);
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${p(d.getUTCFullYear() % 100)}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}`;
}

export function text(venue: InstrumentVenue, wire: string, row: Row, field: string): string | undefined {
  const v = row[field];
  if (typeof v !== 'string' || v === '') throw new InstrumentFieldError(venue, wire, field, v, 'expected a non-empty string');
  return v;
}

/**
 * A size field as exact plain decimal text. Numbers reach here as their JSON text
 * (ccxt-markets.ts); a JS number would mean the text was lost, so it is refused.
 * Optional fields may be absent or "" (undefined); required ones throw naming the field.
 */
export function decimal(venue: InstrumentVenue, wire: string, row: Row, field: string, required: boolean, label = field): string | undefined {
  const v = row[field];
  if ((v === undefined || v === null || v === '') && !required) return undefined;
  if (typeof v !== 'string')
    throw new InstrumentFieldError(
      venue,
      wire,
      label,
      v,
      typeof v === 'number' ? 'a JSON number parsed as a double: its exact text is lost' : 'expected a decimal',
    );
  let plain: string;
  try {
    plain = normalizeDecimal(toPlainDecimal(v));
  } catch {
    throw new InstrumentFieldError(venue, wire, label, v, 'not a decimal');
  }
  if (required && !/[1-9]/.test(plain)) throw new InstrumentFieldError(venue, wire, label, v, 'must be positive');
  if (plain.startsWith('-')) throw new InstrumentFieldError(venue, wire, label, v, 'must not be negative');
  return plain;
}
