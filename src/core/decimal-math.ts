/**
 * Exact arithmetic on decimal text (BigInt, never a float): the contract-to-base
 * conversions. Results are plain decimal text without trailing zeros.
 */
import { DECIMAL_SCALE } from './decimal.js';

interface Scaled {
  /** The digits as an integer: value = int / 10^scale. */
  int: bigint;
  scale: number;
}

function parse(text: string): Scaled {
  const neg = text.startsWith('-');
  const body = neg ? text.slice(1) : text;
  const dot = body.indexOf('.');
  const digits = dot < 0 ? body : body.slice(0, dot) + body.slice(dot + 1);
  const int = BigInt(digits);
  return { int: neg ? -int : int, scale: dot < 0 ? 0 : body.length - dot - 1 };
}

function format(int: bigint, scale: number): string {
  const neg = int < 0n;
  let s = (neg ? -int : int).toString();
  if (scale > 0) {
    s = s.padStart(scale + 1, '0');
    const frac = s.slice(-scale).replace(/0+$/, '');
    s = s.slice(0, -scale) + (frac ? '.' + frac : '');
  }
  return neg && s !== '0' ? '-' + s : s;
}

/** a × b, exact. */
export function multiplyDecimal(a: string, b: string): string {
  const x = parse(a);
  const y = parse(b);
  return format(x.int * y.int, x.scale + y.scale);
}

/** a ÷ b rounded half-even to `scale` fractional digits. */
export function divideDecimal(a: string, b: string, scale = DECIMAL_SCALE): string {
  const x = parse(a);
  const y = parse(b);
  if (y.int === 0n) throw new RangeError(`division by zero: ${a} / ${b}`);
  // a/b = (x.int / 10^xs) / (y.int / 10^ys) = x.int * 10^(ys - xs) / y.int; scaled by 10^scale.
  const shift = y.scale - x.scale + scale;
  let num = x.int;
  let den = y.int;
  if (shift >= 0) num *= 10n ** BigInt(shift);
  else den *= 10n ** BigInt(-shift);
  if (den < 0n) {
    num = -num;
    den = -den;
  }
  let q = num / den;
  const r = num - q * den;
  const twice = (r < 0n ? -r : r) * 2n;
  if (twice > den || (twice === den && q % 2n !== 0n)) q += r < 0n ? -1n : 1n;
  return format(q, scale);
}
