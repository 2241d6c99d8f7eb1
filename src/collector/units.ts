/**
 * Quantities in the base asset on every venue. A venue's raw figure is in base,
 * contracts (linear: base per contract; inverse: quote per contract) or quote (USD);
 * a rule turns it into base with exact decimal arithmetic (instruments/quantity.ts).
 * Linear conversions are exact; inverse ones (÷ price) are rounded half-even to 18
 * fractional digits.
 */
import { divideDecimal } from '../core/decimal-math.js';
import type { QuantityUnit } from '../core/model.js';
import { toBaseQuantity } from './instruments/quantity.js';
import type { InstrumentInfo } from './instruments/types.js';

export interface QuantityRule {
  readonly unit: QuantityUnit;
  /** The base quantity of `raw` at `price` (the level's or trade's own price). */
  toBase(raw: string, price: string): string;
}

export const BASE_UNITS: QuantityRule = { unit: 'base', toBase: (raw) => raw };

/** Deribit inverse contracts: amounts in USD. */
export const QUOTE_UNITS: QuantityRule = { unit: 'quote', toBase: (raw, price) => divideDecimal(raw, price) };

const RULES = new WeakMap<InstrumentInfo, QuantityRule>();

/** The rule an instrument's metadata implies, or undefined when its contract size is unknown. */
export function unitsFromInfo(info: InstrumentInfo | undefined): QuantityRule | undefined {
  if (!info) return undefined;
  if (info.quantity_unit === 'base') return BASE_UNITS;
  if (info.quantity_unit === 'contracts' && info.contract_size === undefined) return undefined;
  let rule = RULES.get(info);
  if (!rule) {
    rule = { unit: info.quantity_unit, toBase: (raw, price) => toBaseQuantity(raw, price, info) };
    RULES.set(info, rule);
  }
  return rule;
}
