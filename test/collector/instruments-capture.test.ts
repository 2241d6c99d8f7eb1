/**
 * Instrument catalogs from the real recorded REST bodies (OKX 2022-05-13
 * /api/v5/public/instruments SPOT|SWAP|FUTURES, Binance 2021-10-12 /api/v3/exchangeInfo),
 * through the same ccxt fetchMarkets a live load runs.
 */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { catalogFromCapture } from '../../src/collector/instruments/index.js';
import { toBaseQuantity } from '../../src/collector/instruments/quantity.js';
import { multiplyDecimal } from '../../src/core/decimal-math.js';
import { CAPTURES_DIR, capturePaths } from '../capture/captures.js';

const OKX = capturePaths('OKX.0')[0]!;
const BINANCE = capturePaths('BINANCE.0')[0]!;
const present = existsSync(OKX) && existsSync(BINANCE);
if (!present) console.warn(`instruments-capture: skipped, no captures in ${CAPTURES_DIR} (set MARKETPRISM_CAPTURES)`);

describe.skipIf(!present)('instrument catalog from the cryptofeed captures', () => {
  it('OKX: swaps and futures in contracts with exact ctVal × ctMult, spot in base', async () => {
    const okx = await catalogFromCapture('okx', [OKX]);
    expect(okx.size).toBeGreaterThan(300);
    expect(okx.get('BTC-USDT-SWAP')).toMatchObject({
      exchange: 'okx',
      symbol: 'BTC-USDT',
      market_type: 'perpetual',
      base: 'BTC',
      quote: 'USDT',
      settle: 'USDT',
      quantity_unit: 'contracts',
      contract_size: '0.01',
      linear: true,
      expiry: undefined,
      tick_size: '0.1',
      active: true,
    });
    expect(okx.get('BTC-USD-SWAP')).toMatchObject({
      symbol: 'BTC-USD',
      market_type: 'perpetual',
      settle: 'BTC',
      quantity_unit: 'contracts',
      contract_size: '100',
      linear: false,
      lot_size: '1',
    });
    expect(okx.get('BTC-USD-220527')).toEqual({
      exchange: 'okx',
      wire: 'BTC-USD-220527',
      symbol: 'BTC-USD-220527',
      market_type: 'futures',
      base: 'BTC',
      quote: 'USD',
      settle: 'BTC',
      quantity_unit: 'contracts',
      contract_size: '100',
      linear: false,
      expiry: 1653638400000, // 2022-05-27T08:00:00Z, the recorded expTime
      tick_size: '0.1',
      lot_size: '1',
      active: true,
    });
    expect(okx.get('BTC-USDT')).toMatchObject({
      market_type: 'spot',
      quantity_unit: 'base',
      contract_size: undefined,
      linear: true,
      settle: undefined,
      tick_size: '0.1',
      lot_size: '0.00000001',
    });
    // No options (not requested) and nothing without a name the collector uses.
    expect(okx.instruments.every((i) => i.market_type !== 'options')).toBe(true);
    // 3 contracts of 0.01 BTC.
    expect(toBaseQuantity('3', '30000', okx.get('BTC-USDT-SWAP')!)).toBe('0.03');
  });

  it('OKX: every contract size is ctVal × ctMult of its recorded row, as text', async () => {
    const okx = await catalogFromCapture('okx', [OKX]);
    // The last recorded SWAP and FUTURES bodies, read straight from the file.
    const last = new Map<string, string>();
    for (const line of readFileSync(OKX, 'utf8').split('\n')) {
      const m = /^(https:\/\/www\.okx\.com\/api\/v5\/public\/instruments\?instType=(?:SWAP|FUTURES)) -> [\d.]+: (.*)$/.exec(line);
      if (m) last.set(m[1]!, m[2]!);
    }
    const rows = [...last.values()].flatMap((b) => (JSON.parse(b) as { data: { instId: string; ctVal: string; ctMult: string; ctType: string }[] }).data);
    expect(rows.length).toBeGreaterThan(100);
    for (const r of rows) {
      const i = okx.get(r.instId);
      expect(i, r.instId).toBeDefined();
      expect(i!.contract_size, r.instId).toBe(multiplyDecimal(r.ctVal, r.ctMult));
      expect(i!.linear, r.instId).toBe(r.ctType === 'linear');
      expect(i!.quantity_unit).toBe('contracts');
    }
    expect(okx.instruments.filter((i) => i.quantity_unit === 'contracts')).toHaveLength(rows.length);
  });

  it('Binance spot: base units, filters as exact text', async () => {
    const binance = await catalogFromCapture('binance-spot', [BINANCE]);
    expect(binance.size).toBeGreaterThan(1000);
    expect(binance.get('BTCUSDT')).toEqual({
      exchange: 'binance',
      wire: 'BTCUSDT',
      symbol: 'BTC-USDT',
      market_type: 'spot',
      base: 'BTC',
      quote: 'USDT',
      settle: undefined,
      quantity_unit: 'base',
      contract_size: undefined,
      linear: true,
      expiry: undefined,
      tick_size: '0.01', // "0.01000000" on the wire
      lot_size: '0.00001', // "0.00001000"
      active: true,
    });
    expect(binance.get('ETHBTC')).toMatchObject({ symbol: 'ETH-BTC', tick_size: '0.000001', lot_size: '0.0001' });
  });
});
