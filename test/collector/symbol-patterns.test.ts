/** Symbol patterns resolved against a venue's instrument list: what matches, in what order, up to the limit. */
import { describe, expect, it } from 'vitest';
import { isSymbolPattern, resolveSymbols } from '../../src/collector/symbol-patterns.js';
import type { InstrumentInfo } from '../../src/collector/instruments/types.js';
import type { MarketType } from '../../src/core/model.js';
import { loadCollectorConfig } from '../../src/collector/config.js';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const inst = (symbol: string, market_type: MarketType, active = true): InstrumentInfo => {
  const [base = '', quote = ''] = symbol.split('-');
  return {
    exchange: 'okx',
    wire: symbol,
    symbol,
    market_type,
    base,
    quote,
    settle: undefined,
    quantity_unit: 'base',
    contract_size: undefined,
    linear: true,
    expiry: undefined,
    tick_size: undefined,
    lot_size: undefined,
    active,
  };
};
const LIST = [
  inst('BTC-USDT', 'perpetual'),
  inst('ETH-USDT', 'perpetual'),
  inst('BTC-USD', 'perpetual'),
  inst('BTC-USD-250627', 'futures'),
  inst('DOGE-USDT', 'perpetual', false),
  inst('SOL-USDT', 'spot'),
];
const DERIVATIVES = new Set<MarketType>(['perpetual', 'futures']);

describe('symbol patterns', () => {
  it('tells patterns from symbols', () => {
    expect(['all', '*-USDT', 'BTC-*', 'BTC-USDT'].map(isSymbolPattern)).toEqual([true, true, true, false]);
  });

  it('expands * over one name part, active instruments of the market only, plain symbols first', () => {
    expect(resolveSymbols(['*-USDT'], LIST, DERIVATIVES, 100)).toEqual({ symbols: ['BTC-USDT', 'ETH-USDT'], leftOut: 0 });
    expect(resolveSymbols(['BTC-*'], LIST, DERIVATIVES, 100).symbols).toEqual(['BTC-USDT', 'BTC-USD']);
    expect(resolveSymbols(['*-USD-*'], LIST, DERIVATIVES, 100).symbols).toEqual(['BTC-USD-250627']);
    expect(resolveSymbols(['ETH-USDT', 'all'], LIST, DERIVATIVES, 100).symbols).toEqual(['ETH-USDT', 'BTC-USDT', 'BTC-USD', 'BTC-USD-250627']);
    expect(resolveSymbols(['*-USDT'], LIST, new Set<MarketType>(['spot']), 100).symbols).toEqual(['SOL-USDT']);
  });

  it('stops at max_symbols and says how many it left out', () => {
    expect(resolveSymbols(['all'], LIST, DERIVATIVES, 2)).toEqual({ symbols: ['BTC-USDT', 'ETH-USDT'], leftOut: 2 });
  });

  it('is accepted in the config, and refused where a venue takes currencies', () => {
    const write = (yaml: string) => {
      const file = join(mkdtempSync(join(tmpdir(), 'mp-pat-')), 'collector.yaml');
      writeFileSync(file, yaml);
      return file;
    };
    const c = loadCollectorConfig(write('venues:\n  okx_derivatives:\n    symbols: ["*-USDT", BTC-USD-250627]\n    max_symbols: 50\n'));
    expect(c.venues[0]).toMatchObject({ symbols: ['*-USDT', 'BTC-USD-250627'], max_symbols: 50 });
    expect(() => loadCollectorConfig(write('venues:\n  deribit_derivatives:\n    symbols: ["*"]\n'))).toThrow(/takes currencies \(BTC, ETH\), not patterns/);
    expect(() => loadCollectorConfig(write('venues:\n  okx_spot:\n    symbols: ["*_USDT"]\n'))).toThrow(/expected a pattern like \*-USDT/);
  });
});
