/**
 * Quantities in the base asset on every venue. A venue's raw figure is in base,
 * contracts (linear: base per contract; inverse: quote per contract) or quote (USD);
 * a rule turns it into base with exact decimal arithmetic. Linear conversions are
 * exact; inverse ones (÷ price) are rounded half-even to 18 fractional digits.
 */
import { divideDecimal, multiplyDecimal } from '../core/decimal-math.js';
import type { QuantityUnit } from '../core/model.js';

export interface QuantityRule {
  readonly unit: QuantityUnit;
  /** The base quantity of `raw` at `price` (the level's or trade's own price). */
  toBase(raw: string, price: string): string;
}

export const BASE_UNITS: QuantityRule = { unit: 'base', toBase: (raw) => raw };

/** Deribit inverse contracts: amounts in USD. */
export const QUOTE_UNITS: QuantityRule = { unit: 'quote', toBase: (raw, price) => divideDecimal(raw, price) };

/** Contracts of `size` base units (linear) or `size` quote units (inverse) each. */
export function contractUnits(size: string, linear: boolean): QuantityRule {
  if (linear) {
    if (size === '1') return { unit: 'contracts', toBase: (raw) => raw };
    return { unit: 'contracts', toBase: (raw) => multiplyDecimal(raw, size) };
  }
  return { unit: 'contracts', toBase: (raw, price) => divideDecimal(multiplyDecimal(raw, size), price) };
}
