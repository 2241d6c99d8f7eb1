/**
 * Exact decimals as text. The storage columns are Decimal(38, 18): 20 integer and
 * 18 fractional digits, which holds every price, size and notional the venues list.
 * A value outside that is rejected, never rounded.
 */

export const DECIMAL_SCALE = 18;
export const DECIMAL_INTEGER_DIGITS = 20;

const DECIMAL_RE = /^-?(\d+)(?:\.(\d+))?$/;
const EXPONENT_RE = /^(-?)(\d+)(?:\.(\d+))?[eE]([+-]?\d+)$/;

/** Why `text` is not a storable decimal, or undefined when it is. */
export function decimalProblem(text: unknown): string | undefined {
  if (typeof text !== 'string') return `expected a decimal string, got ${typeof text}`;
  const m = DECIMAL_RE.exec(text);
  if (!m) return `not a plain decimal: ${JSON.stringify(text.slice(0, 40))}`;
  // Fast path: short values (nearly all prices and sizes) cannot overflow either part.
  if (text.length <= DECIMAL_SCALE + 1) return undefined;
  const intDigits = m[1]!.replace(/^0+(?=\d)/, '').length;
  if (intDigits > DECIMAL_INTEGER_DIGITS) return `more than ${DECIMAL_INTEGER_DIGITS} integer digits: ${text}`;
  const frac = (m[2] ?? '').replace(/0+$/, '');
  if (frac.length > DECIMAL_SCALE) return `more than ${DECIMAL_SCALE} fractional digits: ${text}`;
  return undefined;
}

export function isDecimal(text: unknown): text is string {
  return decimalProblem(text) === undefined;
}

/**
 * Plain decimal text from a venue's number text, which may use an exponent
 * ("1e-8", "2.5E+3"). Works on the digits, so nothing is rounded.
 */
export function toPlainDecimal(text: string): string {
  if (DECIMAL_RE.test(text)) return text;
  const m = EXPONENT_RE.exec(text);
  if (!m) throw new RangeError(`not a decimal number: ${JSON.stringify(text.slice(0, 40))}`);
  const [, sign, intPart, fracPart = '', expText] = m;
  const exp = Number(expText);
  let digits = intPart! + fracPart;
  let point = intPart!.length + exp;
  if (point <= 0) {
    digits = '0'.repeat(1 - point) + digits;
    point = 1;
  } else if (point > digits.length) {
    digits = digits + '0'.repeat(point - digits.length);
  }
  const whole = digits.slice(0, point).replace(/^0+(?=\d)/, '');
  const frac = digits.slice(point).replace(/0+$/, '');
  return `${sign}${whole}${frac ? '.' + frac : ''}`;
}

/** Compare two decimal strings numerically (-1, 0, 1) without floats. */
export function compareDecimal(a: string, b: string): number {
  const na = a.startsWith('-');
  const nb = b.startsWith('-');
  if (na !== nb) return isZero(a) && isZero(b) ? 0 : na ? -1 : 1;
  const c = compareAbs(na ? a.slice(1) : a, nb ? b.slice(1) : b);
  return na ? -c : c;
}

/** 10^0 … 10^22: every one an exact double (the fast paths of decimalToDouble and decimal-math's division). */
export const EXACT_POW10: number[] = Array.from({ length: 23 }, (_, k) => 10 ** k);

/**
 * `Number(text)`, the same double, without the runtime's string-to-number conversion for
 * short plain decimal text (a book orders its levels by it: one call per level of every
 * snapshot and diff). With at most 15 digits the digits are an exact integer below 2^53
 * and 10^scale an exact double, so one IEEE division rounds the decimal correctly: the
 * double Number() gives. Anything else (signs other than "-", exponents, blanks, longer
 * text) is Number()'s. test/core/decimal.test.ts holds the two equal.
 */
export function decimalToDouble(text: string): number {
  const n = text.length;
  if (n === 0 || n > 17) return Number(text);
  const neg = text.charCodeAt(0) === 45; // '-'
  let units = 0;
  let point = -1;
  let digits = 0;
  for (let i = neg ? 1 : 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      units = units * 10 + (c - 48);
      digits++;
    } else if (c === 46 && point < 0) point = i;
    else return Number(text);
  }
  if (digits === 0 || digits > 15) return Number(text);
  const v = point < 0 ? units : units / EXACT_POW10[n - point - 1]!;
  return neg ? -v : v;
}

export function isZero(a: string): boolean {
  // /^-?0*(?:\.0*)?$/ as a scan: it runs per book level.
  let i = a.charCodeAt(0) === 45 ? 1 : 0; // '-'
  let dot = false;
  for (; i < a.length; i++) {
    const c = a.charCodeAt(i);
    if (c === 48) continue; // '0'
    if (c !== 46 || dot) return false; // '.'
    dot = true;
  }
  return true;
}

function compareAbs(a: string, b: string): number {
  const [ai = '', af = ''] = a.split('.');
  const [bi = '', bf = ''] = b.split('.');
  const aInt = ai.replace(/^0+/, '');
  const bInt = bi.replace(/^0+/, '');
  if (aInt.length !== bInt.length) return aInt.length < bInt.length ? -1 : 1;
  if (aInt !== bInt) return aInt < bInt ? -1 : 1;
  const len = Math.max(af.length, bf.length);
  const aFrac = af.padEnd(len, '0');
  const bFrac = bf.padEnd(len, '0');
  if (aFrac === bFrac) return 0;
  return aFrac < bFrac ? -1 : 1;
}
