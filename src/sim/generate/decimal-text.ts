/**
 * Integer units to decimal text without floats: price ticks and quantity lots are
 * integers in the synthetic market, so every price and size is exact.
 */

/** `units` scaled by 10^-decimals, always with `decimals` digits ("61837.63000000"). */
export function fixed(units: number, decimals: number): string {
  const neg = units < 0;
  const digits = String(Math.abs(units)).padStart(decimals + 1, '0');
  const text = decimals === 0 ? digits : `${digits.slice(0, -decimals)}.${digits.slice(-decimals)}`;
  return neg ? `-${text}` : text;
}

/** Like fixed() but without trailing zeros ("8477", "0.6"), as OKX prints sizes and prices. */
export function trimmed(units: number, decimals: number): string {
  const text = fixed(units, decimals);
  return text.includes('.') ? text.replace(/\.?0+$/, '') : text;
}

/** As a JSON number (Deribit sends numbers); exact enough for the values the simulator makes. */
export function numeric(units: number, decimals: number): number {
  return Number(fixed(units, decimals));
}
