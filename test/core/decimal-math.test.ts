/** Exact decimal arithmetic: the scanning parser accepts exactly what the plain-decimal pattern does, and results are exact. */
import { describe, expect, it } from 'vitest';
import { divideDecimal, multiplyDecimal, normalizeDecimal } from '../../src/core/decimal-math.js';
import { Rng } from '../../src/sim/generate/rng.js';

const PLAIN = /^-?\d+(?:\.\d+)?$/;

/** An independent oracle for a ÷ b, half-even to `scale` places: BigInt only. */
function oracleDivide(a: string, b: string, scale = 18): string {
  const parse = (t: string) => {
    const [, sign, int, frac = ''] = /^(-?)(\d+)(?:\.(\d+))?$/.exec(t)!;
    return { u: BigInt(int! + frac) * (sign ? -1n : 1n), s: frac.length };
  };
  const x = parse(a);
  const y = parse(b);
  let num = x.u < 0n ? -x.u : x.u;
  let den = y.u < 0n ? -y.u : y.u;
  const e = scale + y.s - x.s;
  if (e >= 0) num *= 10n ** BigInt(e);
  else den *= 10n ** BigInt(-e);
  let q = num / den;
  const twice = (num - q * den) * 2n;
  if (twice > den || (twice === den && q % 2n === 1n)) q += 1n;
  if (q === 0n) return '0';
  let digits = q.toString().padStart(scale + 1, '0');
  let text = scale > 0 ? `${digits.slice(0, -scale)}.${digits.slice(-scale)}` : digits;
  if (text.includes('.')) text = text.replace(/0+$/, '').replace(/\.$/, '');
  digits = text;
  return x.u < 0n !== y.u < 0n ? `-${digits}` : digits;
}

describe('decimal-math', () => {
  it('accepts exactly the plain decimals (scan agrees with the pattern on random texts)', () => {
    const rng = new Rng(42);
    const alphabet = '0123456789.-e+ ';
    const fixed = ['', '-', '.', '-.', '1.', '.5', '1..2', '1.2.3', '--1', '-0', '0.0', '007.50', '1e5', ' 1', '12a'];
    const texts = [...fixed];
    for (let i = 0; i < 5000; i++) {
      const n = 1 + Math.floor(rng.next() * 8);
      let t = '';
      for (let j = 0; j < n; j++) t += alphabet[Math.floor(rng.next() * alphabet.length)];
      texts.push(t);
    }
    for (const t of texts) {
      if (PLAIN.test(t)) expect(() => normalizeDecimal(t), t).not.toThrow();
      else expect(() => normalizeDecimal(t), t).toThrow(/not a plain decimal/);
    }
  });

  it('divides exactly like a BigInt oracle, on the fast path (small operands) and the BigInt one', () => {
    const rng = new Rng(7);
    const num = (maxDigits: number, maxScale: number) => {
      const digits = 1 + Math.floor(rng.next() * maxDigits);
      let t = String(1 + Math.floor(rng.next() * 9));
      for (let i = 1; i < digits; i++) t += String(Math.floor(rng.next() * 10));
      const scale = Math.min(digits - 1, Math.floor(rng.next() * (maxScale + 1)));
      const body = scale > 0 ? `${t.slice(0, -scale)}.${t.slice(-scale)}` : t;
      return rng.next() < 0.1 ? `-${body}` : body;
    };
    const cases: [string, string, number?][] = [
      ['1', '3'],
      ['2', '3'],
      ['1', '8', 2],
      ['3', '8', 2],
      ['5', '10', 0],
      ['15', '10', 0],
      ['25', '10', 0],
      ['0.999999999999999999995', '1'],
      ['99999999999999999995', '100', 18],
      ['1999999999999999', '2', 0],
      ['12300', '29000.5'],
      ['0', '7'],
      ['-0.5', '3'],
      ['123456789012345678901234', '0.0003'],
    ];
    for (let i = 0; i < 20_000; i++)
      cases.push([num(i % 3 === 0 ? 30 : 12, 10), num(i % 5 === 0 ? 25 : 9, 8), rng.next() < 0.2 ? Math.floor(rng.next() * 20) : 18]);
    for (const [a, b, scale] of cases) {
      if (/^-?0*\.?0*$/.test(b)) continue;
      expect(divideDecimal(a, b, scale), `${a} / ${b} at ${scale ?? 18}`).toBe(oracleDivide(a, b, scale));
    }
  });

  it('multiplies and divides exactly, half-even to 18 places', () => {
    expect(normalizeDecimal('-007.500')).toBe('-7.5');
    expect(normalizeDecimal('-0.0')).toBe('0');
    expect(multiplyDecimal('0.1', '0.2')).toBe('0.02');
    expect(multiplyDecimal('-12.5', '8')).toBe('-100');
    expect(divideDecimal('1', '3')).toBe('0.333333333333333333');
    expect(divideDecimal('2', '3')).toBe('0.666666666666666667');
    expect(divideDecimal('100', '27150.5')).toBe('0.003683173422220585');
    expect(divideDecimal('1', '8', 2)).toBe('0.12'); // 0.125 → half-even
    expect(divideDecimal('3', '8', 2)).toBe('0.38'); // 0.375 → half-even
  });
});
