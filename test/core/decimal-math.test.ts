/** Exact decimal arithmetic: the scanning parser accepts exactly what the plain-decimal pattern does, and results are exact. */
import { describe, expect, it } from 'vitest';
import { divideDecimal, multiplyDecimal, normalizeDecimal } from '../../src/core/decimal-math.js';
import { Rng } from '../../src/sim/generate/rng.js';

const PLAIN = /^-?\d+(?:\.\d+)?$/;

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
