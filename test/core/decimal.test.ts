import { describe, expect, it } from 'vitest';
import { compareDecimal, decimalProblem, toPlainDecimal } from '../../src/core/decimal.js';

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
});
