/**
 * Long/short ratio aggregation periods: the normalized names (`5m`, `1h`, `1d`, as
 * Binance writes them) and each venue's spelling. Every period is UTC-aligned.
 */

/** Rows kept across missed polls: every bucket of the last 6 hours comes back (OKX answers 100 rows by default). */
const REFILL_WINDOW_MS = 6 * 3600_000;

/** Binance `limit` that covers REFILL_WINDOW_MS of `period` buckets (at most 500, the venue's maximum). */
export function binanceLsrLimit(period: string): number {
  return Math.min(500, Math.max(2, Math.ceil(REFILL_WINDOW_MS / periodMs(period)) + 1));
}

/**
 * OKX spells hours and days in capitals; bars of 6 hours and more open at Hong Kong
 * time unless the `utc` variant is asked for, which opens at UTC like Binance's.
 */
export function okxPeriod(period: string): string {
  const p = period.replace(/h$/, 'H').replace(/d$/, 'D');
  return periodMs(period) >= 6 * 3600_000 ? `${p}utc` : p;
}

/** The normalized period ("1d") of an OKX period parameter ("1Dutc", "1H"). */
export function normalPeriod(okx: string): string {
  return okx.replace(/utc$/, '').toLowerCase();
}

function periodMs(period: string): number {
  const m = /^(\d+)([mhd])$/.exec(period);
  if (!m) throw new RangeError(`not a period: ${period}`);
  return Number(m[1]) * { m: 60_000, h: 3600_000, d: 86_400_000 }[m[2] as 'm' | 'h' | 'd'];
}
