/** toBaseQuantity and the decimal arithmetic under it, worked by hand. No float anywhere. */
import { describe, expect, it } from 'vitest';
import { divideDecimal, multiplyDecimal, normalizeDecimal, powerOfTenExponent, shiftDecimal } from '../../src/core/decimal-math.js';
import { toBaseQuantity, type InstrumentInfo } from '../../src/collector/instruments/index.js';

function instrument(over: Partial<InstrumentInfo>): InstrumentInfo {
  return {
    exchange: 'okx',
    wire: 'X',
    symbol: 'BTC-USDT',
    market_type: 'perpetual',
    base: 'BTC',
    quote: 'USDT',
    settle: 'USDT',
    quantity_unit: 'base',
    contract_size: undefined,
    linear: true,
    expiry: undefined,
    tick_size: undefined,
    lot_size: undefined,
    active: true,
    ...over,
  };
}

const OKX_BTC_USDT_SWAP = instrument({ wire: 'BTC-USDT-SWAP', quantity_unit: 'contracts', contract_size: '0.01' });
const OKX_BTC_USD_SWAP = instrument({
  wire: 'BTC-USD-SWAP',
  symbol: 'BTC-USD',
  quote: 'USD',
  settle: 'BTC',
  quantity_unit: 'contracts',
  contract_size: '100',
  linear: false,
});
const DERIBIT_BTC_PERPETUAL = instrument({
  exchange: 'deribit',
  wire: 'BTC-PERPETUAL',
  symbol: 'BTC-USD',
  quote: 'USD',
  settle: 'BTC',
  quantity_unit: 'quote',
  linear: false,
});
const BINANCE_BTCUSDT = instrument({ exchange: 'binance', wire: 'BTCUSDT' });

describe('toBaseQuantity', () => {
  it('OKX BTC-USDT-SWAP: 3 contracts of 0.01 BTC = 0.03 BTC', () => {
    expect(toBaseQuantity('3', '30000', OKX_BTC_USDT_SWAP)).toBe('0.03');
    expect(toBaseQuantity('0.5', '30000', OKX_BTC_USDT_SWAP)).toBe('0.005');
    expect(toBaseQuantity('1200', '1', OKX_BTC_USDT_SWAP)).toBe('12');
  });

  it('OKX BTC-USD-SWAP: 5 contracts of 100 USD at 30000 = 500/30000 BTC, half-even at 18 places', () => {
    // 500 / 30000 = 0.016666...; the 19th digit is 6, so the 18th rounds up.
    expect(toBaseQuantity('5', '30000', OKX_BTC_USD_SWAP)).toBe('0.016666666666666667');
    expect(toBaseQuantity('3', '30000', OKX_BTC_USD_SWAP)).toBe('0.01');
  });

  it('Deribit BTC-PERPETUAL: 10 USD at 29999.5', () => {
    // 10 / 29999.5 = 20 / 59999 = 0.000333338888981483|0247... → 18 places, the 19th digit 0 rounds down
    expect(toBaseQuantity('10', '29999.5', DERIBIT_BTC_PERPETUAL)).toBe('0.000333338888981483');
    // cross-check by hand with BigInt: 10 * 10^18 * 10 / 299995, half-even
    const n = 10n * 10n ** 18n * 10n;
    const d = 299995n;
    let q = n / d;
    const r2 = (n % d) * 2n;
    if (r2 > d || (r2 === d && q % 2n === 1n)) q++;
    expect(toBaseQuantity('10', '29999.5', DERIBIT_BTC_PERPETUAL)).toBe(normalizeDecimal(`0.${q.toString().padStart(18, '0')}`));
  });

  it('base units pass through untouched, trailing zeros and all', () => {
    expect(toBaseQuantity('0.50000000', '123', BINANCE_BTCUSDT)).toBe('0.50000000');
  });

  it('a contract size that is not a power of ten multiplies exactly', () => {
    const odd = instrument({ quantity_unit: 'contracts', contract_size: '0.0001234' });
    expect(toBaseQuantity('7', '1', odd)).toBe('0.0008638');
    const inverseOdd = instrument({ quantity_unit: 'contracts', contract_size: '25', linear: false });
    expect(toBaseQuantity('3', '7', inverseOdd)).toBe('10.714285714285714286');
  });

  it('refuses a division by a zero or negative price, naming the instrument and value', () => {
    expect(() => toBaseQuantity('5', '0', OKX_BTC_USD_SWAP)).toThrow(/BTC-USD-SWAP: price must be positive .* "0"/);
    expect(() => toBaseQuantity('5', '-1', DERIBIT_BTC_PERPETUAL)).toThrow(/price must be positive/);
    expect(() => toBaseQuantity('5', '30000', instrument({ quantity_unit: 'contracts' }))).toThrow(/contract_size is undefined/);
    expect(() => toBaseQuantity('5e3', '1', OKX_BTC_USDT_SWAP)).toThrow(/not a plain decimal: "5e3"/);
  });

  it('huge and tiny values stay exact', () => {
    expect(toBaseQuantity('99999999999999999999.999999999999999999', '1', OKX_BTC_USDT_SWAP)).toBe('999999999999999999.99999999999999999999');
    expect(toBaseQuantity('0.000000000000000001', '1', OKX_BTC_USDT_SWAP)).toBe('0.00000000000000000001');
    // 1e-18 USD at 1e20: far below 18 places → 0
    expect(toBaseQuantity('0.000000000000000001', '100000000000000000000', DERIBIT_BTC_PERPETUAL)).toBe('0');
    expect(toBaseQuantity('12345678901234567890', '0.000000000000000001', DERIBIT_BTC_PERPETUAL)).toBe('12345678901234567890000000000000000000');
  });
});

describe('decimal-math', () => {
  it('multiplyDecimal is exact and trims trailing zeros', () => {
    expect(multiplyDecimal('0.1', '0.2')).toBe('0.02'); // a double says 0.020000000000000004
    expect(multiplyDecimal('1.50', '2')).toBe('3');
    expect(multiplyDecimal('-0.5', '0.5')).toBe('-0.25');
    expect(multiplyDecimal('-0.5', '0')).toBe('0');
    expect(multiplyDecimal('123456789012345678901234567890', '0.000000000000000000000000000001')).toBe('0.12345678901234567890123456789');
  });

  it('divideDecimal rounds half-even at the scale', () => {
    expect(divideDecimal('1', '8', 2)).toBe('0.12'); // 0.125 → even 0.12
    expect(divideDecimal('3', '8', 2)).toBe('0.38'); // 0.375 → even 0.38
    expect(divideDecimal('5', '2', 0)).toBe('2'); // 2.5 → 2
    expect(divideDecimal('7', '2', 0)).toBe('4'); // 3.5 → 4
    expect(divideDecimal('-5', '2', 0)).toBe('-2');
    expect(divideDecimal('-7', '2', 0)).toBe('-4');
    expect(divideDecimal('1', '3')).toBe('0.333333333333333333');
    expect(divideDecimal('2', '3')).toBe('0.666666666666666667');
    // a tie at the 18th place: 5e-19 → 0 (even), 1.5e-18 → 2e-18
    expect(divideDecimal('0.000000000000000001', '2')).toBe('0');
    expect(divideDecimal('0.000000000000000003', '2')).toBe('0.000000000000000002');
    expect(divideDecimal('1', '0.5')).toBe('2');
    expect(divideDecimal('0.5', '1')).toBe('0.5');
    expect(divideDecimal('-1', '-4')).toBe('0.25');
    expect(divideDecimal('0', '7')).toBe('0');
    expect(() => divideDecimal('1', '0.000')).toThrow(/division by zero/);
  });

  it('shiftDecimal and powerOfTenExponent', () => {
    expect(shiftDecimal('3', -2)).toBe('0.03');
    expect(shiftDecimal('0.03', 2)).toBe('3');
    expect(shiftDecimal('1.25', 3)).toBe('1250');
    expect(shiftDecimal('-0.5', 1)).toBe('-5');
    expect(shiftDecimal('0', 5)).toBe('0');
    expect(shiftDecimal('12.5', -5)).toBe('0.000125');
    expect(shiftDecimal('007.50', 0)).toBe('7.5');
    expect(shiftDecimal('-0.0', 2)).toBe('0');
    expect(shiftDecimal('99999999999999999999.999999999999999999', -2)).toBe('999999999999999999.99999999999999999999');
    for (const bad of ['', '-', '.5', '5.', '1e3', '1.2.3', ' 1', '+1']) expect(() => shiftDecimal(bad, 1), bad).toThrow(/not a plain decimal/);
    // the shift agrees with the multiplication it replaces
    for (const raw of ['3', '0.5', '123.456', '0.0001', '-7.25'])
      for (const size of ['0.01', '1', '100', '0.1']) expect(shiftDecimal(raw, powerOfTenExponent(size)!)).toBe(multiplyDecimal(raw, size));
    expect(powerOfTenExponent('100')).toBe(2);
    expect(powerOfTenExponent('1')).toBe(0);
    expect(powerOfTenExponent('1.000')).toBe(0);
    expect(powerOfTenExponent('0.01')).toBe(-2);
    expect(powerOfTenExponent('0.1')).toBe(-1);
    expect(powerOfTenExponent('0.0100')).toBe(-2);
    expect(powerOfTenExponent('10.5')).toBeUndefined();
    expect(powerOfTenExponent('0.02')).toBeUndefined();
    expect(powerOfTenExponent('0')).toBeUndefined();
  });

  it('normalizeDecimal', () => {
    expect(normalizeDecimal('0.01000000')).toBe('0.01');
    expect(normalizeDecimal('100')).toBe('100');
    expect(normalizeDecimal('-0.0')).toBe('0');
    expect(normalizeDecimal('007.50')).toBe('7.5');
  });
});
