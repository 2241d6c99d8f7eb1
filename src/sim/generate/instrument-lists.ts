/**
 * What every venue's instrument-list body (src/collector/venues/<venue>/sim/instruments.ts)
 * needs of one generated instrument. The field sets follow the recorded bodies in the
 * cryptofeed captures (Binance spot 2021, OKX 2022) and the venues' documentation.
 */

/** What every list needs of one generated instrument. */
export interface ListedInstrument {
  base: string;
  quote: string;
  /** One price tick and one quantity step, as the instrument's messages print them. */
  tick: string;
  step: string;
}

/** When the simulator says its instruments were listed (2019-09-25). */
export const LISTED_AT = 1569398400000;
