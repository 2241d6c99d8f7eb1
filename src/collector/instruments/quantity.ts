/**
 * Venue quantities → base-asset quantities, exact (decimal text, BigInt; no float).
 * Runs per book level at publish time, so the common cases are cheap: base units pass
 * through untouched, and a contract size that is a power of ten (0.01, 1, 100) is a
 * shift of the decimal point instead of a multiplication.
 */
import { divideDecimal, multiplyDecimal, normalizeDecimal, powerOfTenExponent, shiftDecimal } from '../../core/decimal-math.js';
import type { InstrumentInfo } from './types.js';

/** contract_size → exponent when it is 10^n, null when not (cached: a catalog has few distinct sizes). */
const shiftOf = new Map<string, number | null>();

function contractShift(size: string): number | null {
  let n = shiftOf.get(size);
  if (n === undefined) {
    n = powerOfTenExponent(size) ?? null;
    if (shiftOf.size < 10_000) shiftOf.set(size, n);
  }
  return n;
}

function timesContractSize(raw: string, size: string): string {
  const n = contractShift(size);
  if (n === 0) return normalizeDecimal(raw);
  return n === null ? multiplyDecimal(raw, size) : shiftDecimal(raw, n);
}

/**
 * `raw` (as the venue counts it, see InstrumentInfo.quantity_unit) in base units:
 * - base: `raw` unchanged;
 * - contracts, linear: raw × contract_size (exact);
 * - contracts, inverse: raw × contract_size ÷ price;
 * - quote: raw ÷ price.
 * Divisions round half-even to 18 fractional digits. `price` is only read when
 * dividing; it must then be a positive decimal. Throws RangeError naming the value.
 */
export function toBaseQuantity(raw: string, price: string, info: InstrumentInfo): string {
  switch (info.quantity_unit) {
    case 'base':
      return raw;
    case 'contracts': {
      const size = info.contract_size;
      if (size === undefined) throw new RangeError(`${info.exchange} ${info.wire}: quantity_unit is contracts but contract_size is undefined`);
      const quoteOrBase = timesContractSize(raw, size);
      return info.linear ? quoteOrBase : divideByPrice(quoteOrBase, price, info);
    }
    case 'quote':
      return divideByPrice(raw, price, info);
  }
}

function divideByPrice(amount: string, price: string, info: InstrumentInfo): string {
  if (price.startsWith('-') || !/[1-9]/.test(price))
    throw new RangeError(
      `${info.exchange} ${info.wire}: price must be positive to convert ${amount} ${info.quote} to ${info.base}, got ${JSON.stringify(price)}`,
    );
  return divideDecimal(amount, price);
}
