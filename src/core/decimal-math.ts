/**
 * Exact arithmetic on decimal text, with BigInt: no value ever passes through a
 * double. Products are exact; quotients are rounded half-even to `scale` fractional
 * digits (default 18, the storage scale). Results are plain decimal text without
 * trailing zeros ("0.5", "3", "-0.016666666666666667"); zero is "0", never "-0".
 *
 * `shiftDecimal` moves the decimal point (× 10^n) on the digits alone: the cheap path
 * for contract sizes that are powers of ten (0.01, 1, 100), which is most of them.
 */
import { DECIMAL_SCALE, EXACT_POW10 } from './decimal.js';

/** A decimal as an integer and a power of ten: value = units × 10^-scale. */
interface Scaled {
  units: bigint;
  scale: number;
}

/**
 * `/^-?\d+(?:\.\d+)?$/` as a scan from `start` (after the sign; this runs per converted
 * book level): the index of the point, -1 without one, or -2 when the text is not plain.
 */
function pointOf(text: string, start: number): number {
  let point = -1;
  const n = text.length;
  if (start >= n) return -2;
  for (let i = start; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 46) {
      if (point >= 0 || i === start || i === n - 1) return -2;
      point = i;
    } else if (c < 48 || c > 57) return -2;
  }
  return point;
}

function parse(text: string, what: string): Scaled {
  const neg = text.charCodeAt(0) === 45; // '-'
  const start = neg ? 1 : 0;
  const point = pointOf(text, start);
  if (point === -2) throw new RangeError(`${what}: not a plain decimal: ${JSON.stringify(text.slice(0, 60))}`);
  const digits = point < 0 ? text.slice(start) : text.slice(start, point) + text.slice(point + 1);
  const units = BigInt(digits);
  return { units: neg ? -units : units, scale: point < 0 ? 0 : text.length - point - 1 };
}

function format(units: bigint, scale: number): string {
  if (units === 0n) return '0';
  const neg = units < 0n;
  let digits = (neg ? -units : units).toString();
  // Drop trailing zeros of the fraction before placing the point.
  while (scale > 0 && digits.endsWith('0')) {
    digits = digits.slice(0, -1);
    scale--;
  }
  let text: string;
  if (scale <= 0) text = digits + '0'.repeat(-scale);
  else if (digits.length > scale) text = `${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
  else text = `0.${'0'.repeat(scale - digits.length)}${digits}`;
  return neg ? `-${text}` : text;
}

const POW10: bigint[] = [1n];
function pow10(n: number): bigint {
  for (let i = POW10.length; i <= n; i++) POW10.push(POW10[i - 1]! * 10n);
  return POW10[n]!;
}

/** `text` as plain decimal text without trailing zeros ("1.500" → "1.5", "-0.0" → "0"). */
export function normalizeDecimal(text: string): string {
  const { units, scale } = parse(text, 'decimal');
  return format(units, scale);
}

/** a × b, exact. */
export function multiplyDecimal(a: string, b: string): string {
  const x = parse(a, 'multiplicand');
  const y = parse(b, 'multiplier');
  return format(x.units * y.units, x.scale + y.scale);
}

/** a ÷ b, rounded half-even to `scale` fractional digits. Throws RangeError when b is zero. */
export function divideDecimal(a: string, b: string, scale: number = DECIMAL_SCALE): string {
  if (!Number.isInteger(scale) || scale < 0) throw new RangeError(`divideDecimal: scale must be a whole number >= 0, got ${scale}`);
  const small = divideSmall(a, b, scale);
  if (small !== undefined) return small;
  const x = parse(a, 'dividend');
  const y = parse(b, 'divisor');
  if (y.units === 0n) throw new RangeError(`divideDecimal: division by zero (${a} / ${b})`);
  // a/b = (xu / yu) × 10^(ys - xs); scaled by 10^scale: xu × 10^(scale + ys - xs) / yu.
  const exp = scale + y.scale - x.scale;
  let num = x.units < 0n ? -x.units : x.units;
  let den = y.units < 0n ? -y.units : y.units;
  if (exp >= 0) num *= pow10(exp);
  else den *= pow10(-exp);
  let q = num / den;
  const twiceRest = (num - q * den) * 2n;
  if (twiceRest > den || (twiceRest === den && (q & 1n) === 1n)) q += 1n;
  const neg = x.units < 0n !== y.units < 0n;
  return format(neg ? -q : q, scale);
}

/** Below this, integer arithmetic on doubles is exact with room for one product (2^52). */
const SAFE = 2 ** 52;

/** Scratch of `parseSmall` (one call at a time, nothing kept): the text's scale and sign. */
let smallScale = 0;
let smallNeg = false;

/**
 * Plain decimal text as integer units below SAFE, its scale and sign left in `smallScale` /
 * `smallNeg`, by one scan without allocating; -1 when larger or not plain.
 */
function parseSmall(text: string): number {
  const n = text.length;
  const neg = text.charCodeAt(0) === 45;
  let i = neg ? 1 : 0;
  if (i >= n || n - i > 16) return -1;
  let units = 0;
  let point = -1;
  for (; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 46) {
      if (point >= 0) return -1;
      point = i;
    } else if (c >= 48 && c <= 57) units = units * 10 + (c - 48);
    else return -1;
  }
  if (point === n - 1 || point === (neg ? 1 : 0) || units >= SAFE) return -1;
  smallScale = point < 0 ? 0 : n - point - 1;
  smallNeg = neg;
  return units;
}

/** ⌊n / d⌋ for integers below 2^53: the double quotient, corrected by one where it rounded across an integer. */
function floorDiv(n: number, d: number): number {
  const q = Math.floor(n / d);
  const r = n - q * d;
  return r < 0 ? q - 1 : r >= d ? q + 1 : q;
}

/** The fraction's digit chunks and their sizes (scratch of `divideSmall`: at most `scale` chunks). */
const chunks = new Float64Array(64);
const sizes = new Uint8Array(64);

/**
 * divideDecimal by long division on doubles, for the common sizes (a book level's
 * quantity over its price): every intermediate is an integer below 2^53, so exact; the
 * same digits and the same half-even rounding as the BigInt path (test/core/decimal-math
 * compares the two). Undefined when the operands are too large (or not plain: the BigInt
 * path names the problem). Runs per converted book level: no allocation but the result.
 */
function divideSmall(a: string, b: string, scale: number): string | undefined {
  let n = parseSmall(a);
  if (n < 0) return undefined;
  const xScale = smallScale;
  const xNeg = smallNeg;
  let d = parseSmall(b);
  if (d <= 0 || scale > 64) return undefined;
  // a/b = (n / d) × 10^(ys - xs): bring both to one scale first.
  const e = smallScale - xScale;
  const neg = xNeg !== smallNeg;
  if (e > 15 || e < -15) return undefined;
  if (e > 0) n *= EXACT_POW10[e]!;
  else if (e < 0) d *= EXACT_POW10[-e]!;
  if (n >= SAFE || d >= SAFE / 10) return undefined;
  let int = floorDiv(n, d);
  let r = n - int * d;
  // The fraction's `scale` digits in chunks of `k`, each r × 10^k / d below 2^53 (r < d).
  let k = 0;
  while (k < 15 && d * EXACT_POW10[k + 2]! <= SAFE * 2) k++;
  if (k < 1) return undefined;
  let count = 0;
  for (let left = scale; left > 0; left -= k) {
    const size = Math.min(k, left);
    r *= EXACT_POW10[size]!;
    const q = floorDiv(r, d);
    chunks[count] = q;
    sizes[count++] = size;
    r -= q * d;
  }
  // Half-even on what is left: r / d against one half, the last digit's parity deciding a tie.
  const last = count > 0 ? chunks[count - 1]! : int;
  if (2 * r > d || (2 * r === d && last % 2 === 1)) {
    let i = count - 1;
    while (i >= 0 && ++chunks[i]! === EXACT_POW10[sizes[i]!]!) chunks[i--] = 0;
    if (i < 0) int++;
  }
  if (int >= SAFE) return undefined;
  // Trailing zero chunks are left out whole; the last one kept loses its trailing zeros.
  while (count > 0 && chunks[count - 1] === 0) count--;
  let text = String(int);
  if (count > 0) {
    let frac = '';
    for (let i = 0; i < count - 1; i++) frac += String(chunks[i]).padStart(sizes[i]!, '0');
    let tail = String(chunks[count - 1]).padStart(sizes[count - 1]!, '0');
    let end = tail.length;
    while (tail.charCodeAt(end - 1) === 48) end--;
    tail = tail.slice(0, end);
    text = `${text}.${frac}${tail}`;
  }
  return neg && text !== '0' ? `-${text}` : text;
}

/** a × 10^n on the digits (n may be negative), exact: string work only, no regex or BigInt (the per-level hot path). */
export function shiftDecimal(a: string, n: number): string {
  const neg = a.charCodeAt(0) === 45; /* - */
  const body = neg ? a.slice(1) : a;
  const dot = body.indexOf('.');
  if (!plainDigits(body, dot)) throw new RangeError(`decimal: not a plain decimal: ${JSON.stringify(a.slice(0, 60))}`);
  const int = dot < 0 ? body : body.slice(0, dot);
  let digits = dot < 0 ? body : int + body.slice(dot + 1);
  let point = int.length + n;
  if (point <= 0) {
    digits = '0'.repeat(1 - point) + digits;
    point = 1;
  } else if (point > digits.length) {
    digits += '0'.repeat(point - digits.length);
  }
  let start = 0;
  while (start < point - 1 && digits.charCodeAt(start) === 48) start++;
  let end = digits.length;
  while (end > point && digits.charCodeAt(end - 1) === 48) end--;
  const text = end > point ? `${digits.slice(start, point)}.${digits.slice(point, end)}` : digits.slice(start, point);
  return neg && text !== '0' ? `-${text}` : text;
}

/** Digits only, with at most the one point at `dot` (neither first nor last). */
function plainDigits(body: string, dot: number): boolean {
  const len = body.length;
  if (len === 0 || dot === 0 || dot === len - 1) return false;
  for (let i = 0; i < len; i++) {
    const c = body.charCodeAt(i);
    if ((c < 48 || c > 57) && i !== dot) return false;
  }
  return true;
}

/**
 * The n with `text` = 10^n ("100" → 2, "1" → 0, "0.01" → -2), or undefined when it is
 * not a power of ten. Lets a hot path replace a multiplication by a shift.
 */
export function powerOfTenExponent(text: string): number | undefined {
  const m = /^0*1(0*)(?:\.0*)?$/.exec(text);
  if (m) return m[1]!.length;
  const f = /^0*\.(0*)10*$/.exec(text);
  return f ? -(f[1]!.length + 1) : undefined;
}
