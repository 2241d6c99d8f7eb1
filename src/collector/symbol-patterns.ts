/**
 * Symbol lists that follow the venue: a configured symbol is either a symbol
 * (`BTC-USDT`, `BTC-USD-250627`) or a pattern resolved against the venue's instrument
 * list at start: `all`, or `*` standing for one name part (`*-USDT`: every USDT pair or
 * swap; `BTC-*`; `*-USD-*`: every dated USD future). Only active instruments of the
 * venue's market match, and at most `max_symbols` of them, in the venue's order.
 */
import type { MarketType } from '../core/model.js';
import type { InstrumentInfo } from './instruments/types.js';

export function isSymbolPattern(entry: string): boolean {
  return entry === 'all' || entry.includes('*');
}

/** The pattern as a regular expression over normalized symbols. */
function patternRe(pattern: string): RegExp {
  if (pattern === 'all') return /^.+$/;
  const parts = pattern.split('-').map((p) => (p === '*' ? '[A-Z0-9]+' : p.replace(/\*/g, '[A-Z0-9]*')));
  return new RegExp(`^${parts.join('-')}$`);
}

export interface Resolved {
  symbols: string[];
  /** Instruments that matched beyond max_symbols (not subscribed). */
  leftOut: number;
}

/**
 * Symbols for `entries`: plain symbols as given, patterns expanded over `instruments`
 * (active ones of `markets`), without duplicates, plain ones first.
 */
export function resolveSymbols(
  entries: readonly string[],
  instruments: readonly InstrumentInfo[],
  markets: ReadonlySet<MarketType>,
  maxSymbols: number,
): Resolved {
  const plain = entries.filter((e) => !isSymbolPattern(e));
  const res = entries.filter(isSymbolPattern).map(patternRe);
  const out = [...new Set(plain)];
  const seen = new Set(out);
  let leftOut = 0;
  for (const i of instruments) {
    if (!i.active || !markets.has(i.market_type) || seen.has(i.symbol) || !res.some((re) => re.test(i.symbol))) continue;
    seen.add(i.symbol);
    if (out.length >= maxSymbols) leftOut++;
    else out.push(i.symbol);
  }
  return { symbols: out, leftOut };
}
