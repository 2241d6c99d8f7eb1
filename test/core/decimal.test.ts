import { describe, expect, it } from 'vitest';
import { compareDecimal, decimalProblem, decimalToDouble, toPlainDecimal } from '../../src/core/decimal.js';

describe('decimal', () => {
  it('accepts plain decimals within Decimal(38, 18)', () => {
    for (const ok of ['0', '-1.5', '27150.01', '0.000000000000000001', '12345678901234567890.123456789012345678', '1.50000000000000000000000'])
      expect(decimalProblem(ok), ok).toBeUndefined();
  });

  it('rejects what would lose digits or is not a decimal, naming the value', () => {
    expect(decimalProblem('0.0000000000000000001')).toMatch(/more than 18 fractional digits: 0.0000000000000000001/);
    expect(decimalProblem('123456789012345678901')).toMatch(/more than 20 integer digits/);
    expect(decimalProblem('1e-8')).toMatch(/not a plain decimal/);
    expect(decimalProblem(1.5)).toMatch(/expected a decimal string, got number/);
    expect(decimalProblem('NaN')).toBeDefined();
    expect(decimalProblem('')).toBeDefined();
  });

  it('expands exponents digit by digit', () => {
    expect(toPlainDecimal('1e-8')).toBe('0.00000001');
    expect(toPlainDecimal('2.5E+3')).toBe('2500');
    expect(toPlainDecimal('-1.23456789e-5')).toBe('-0.0000123456789');
    expect(toPlainDecimal('9.9e20')).toBe('990000000000000000000');
    expect(toPlainDecimal('60.04')).toBe('60.04');
    expect(() => toPlainDecimal('abc')).toThrow(/not a decimal number/);
  });

  it('compares without floats', () => {
    expect(compareDecimal('0.1', '0.10')).toBe(0);
    expect(compareDecimal('27150.01', '27150.1')).toBe(-1);
    expect(compareDecimal('100', '99.999999999999999999')).toBe(1);
    expect(compareDecimal('-1', '0.5')).toBe(-1);
    expect(compareDecimal('-2', '-1')).toBe(-1);
    // 2^53 + 1 vs 2^53: equal as floats, not as decimals
    expect(compareDecimal('9007199254740993', '9007199254740992')).toBe(1);
  });

  it('decimalToDouble gives the double Number() gives, for every text', () => {
    const edge = [
      '0',
      '-0',
      '0.0',
      '.5',
      '5.',
      '.',
      '-',
      '',
      ' 1',
      '1 ',
      '+1',
      '1e5',
      '1.2.3',
      '0x10',
      'abc',
      '007.50',
      '-12.5',
      '999999999999999',
      '9999999999999999',
      '123456789012345.6',
      '0.000000000000001',
      '0.1',
      '0.3',
      '30243.5',
      '0.35210000',
      '9007199254740993',
      '1234567.890123456789',
      '-0.000000000000001',
      'Infinity',
      '1_0',
    ];
    for (const t of edge) expect(Object.is(decimalToDouble(t), Number(t)), JSON.stringify(t)).toBe(true);
    // Random plain decimals of 1–17 characters: every split of the digits, leading zeros, signs.
    let seed = 7;
    const rnd = (n: number) => Math.floor(((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * n);
    for (let k = 0; k < 200_000; k++) {
      let digits = '';
      const len = 1 + rnd(16);
      for (let i = 0; i < len; i++) digits += String(rnd(10));
      const at = rnd(len + 1);
      let t = at === len ? digits : `${digits.slice(0, at)}.${digits.slice(at)}`;
      if (rnd(4) === 0) t = `-${t}`;
      expect(decimalToDouble(t), t).toBe(Number(t));
    }
  });
});
