/**
 * Instrument catalogs loaded through ccxt from the exchange simulator on a loopback
 * port: ccxt's REST hosts rebased on the simulator, sizes as exact text, units per
 * venue; a failed refresh keeps the previous catalog.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { InstrumentCatalog, toBaseQuantity, type InstrumentVenue } from '../../src/collector/instruments/index.js';
import { startExchangeSim, type ExchangeSim } from '../../src/sim/sim.js';
import type { SimVenue } from '../../src/sim/types.js';

const running: { sim: ExchangeSim; catalog: InstrumentCatalog }[] = [];
afterEach(async () => {
  for (const r of running.splice(0)) {
    r.catalog.stop();
    await r.sim.stop();
  }
});

async function loaded(simVenue: SimVenue, venue: InstrumentVenue, symbols: string[], opts: ConstructorParameters<typeof InstrumentCatalog>[1] = {}) {
  const sim = await startExchangeSim({ venue: simVenue, source: { generate: { seed: 7, symbols, ratePerSec: 1 } } });
  const catalog = new InstrumentCatalog(venue, { restUrl: sim.restUrl, timeoutMs: 5000, ...opts });
  running.push({ sim, catalog });
  await catalog.load();
  return { sim, catalog };
}

describe('instrument catalog through ccxt against the simulator', () => {
  it('okx: linear swaps 0.01 BTC / 0.1 ETH, inverse BTC-USD-SWAP 100 USD, spot in base', async () => {
    const { sim, catalog } = await loaded('okx', 'okx', ['BTC-USDT', 'ETH-USDT', 'BTC-USD']);
    expect(catalog.get('BTC-USDT-SWAP')).toEqual({
      exchange: 'okx',
      wire: 'BTC-USDT-SWAP',
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
      lot_size: '0.01',
      active: true,
    });
    expect(catalog.get('ETH-USDT-SWAP')).toMatchObject({ quantity_unit: 'contracts', contract_size: '0.1', linear: true, tick_size: '0.01' });
    expect(catalog.get('BTC-USD-SWAP')).toMatchObject({ symbol: 'BTC-USD', settle: 'BTC', quantity_unit: 'contracts', contract_size: '100', linear: false });
    expect(catalog.get('BTC-USDT')).toMatchObject({ market_type: 'spot', quantity_unit: 'base', contract_size: undefined, linear: true });
    expect(catalog.size).toBe(6);
    // ccxt asked for exactly the three types (SPOT, SWAP, FUTURES), nothing else.
    expect(sim.stats.restRequests).toBe(3);
    expect(toBaseQuantity('5', '30000', catalog.get('BTC-USD-SWAP')!)).toBe('0.016666666666666667');
  });

  it('binance spot and USDⓈ-M: base units, filters as exact text', async () => {
    const spot = await loaded('binance-spot', 'binance-spot', ['BTC-USDT']);
    expect(spot.catalog.get('BTCUSDT')).toEqual({
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
      tick_size: '0.01',
      lot_size: '0.00001',
      active: true,
    });
    const usdm = await loaded('binance-usdm', 'binance-usdm', ['BTC-USDT', 'ETH-USDT']);
    expect(usdm.catalog.get('BTCUSDT')).toMatchObject({
      symbol: 'BTC-USDT',
      market_type: 'perpetual',
      settle: 'USDT',
      quantity_unit: 'base',
      contract_size: undefined,
      linear: true,
      tick_size: '0.1',
      lot_size: '0.001',
    });
    expect(usdm.catalog.get('ETHUSDT')).toMatchObject({ tick_size: '0.01', lot_size: '0.001' });
  });

  it('binance COIN-M (dapi): contracts of contractSize USD, read from the JSON number as text', async () => {
    const { catalog } = await loaded('binance-coinm', 'binance-coinm', ['BTC-USD', 'ETH-USD']);
    expect(catalog.get('BTCUSD_PERP')).toEqual({
      exchange: 'binance',
      wire: 'BTCUSD_PERP',
      symbol: 'BTC-USD',
      market_type: 'perpetual',
      base: 'BTC',
      quote: 'USD',
      settle: 'BTC',
      quantity_unit: 'contracts',
      contract_size: '100',
      linear: false,
      expiry: undefined,
      tick_size: '0.1',
      lot_size: '1',
      active: true,
    });
    expect(catalog.get('ETHUSD_PERP')).toMatchObject({ contract_size: '10', linear: false });
    // 3 contracts of 10 USD at 2000 = 0.015 ETH
    expect(toBaseQuantity('3', '2000', catalog.get('ETHUSD_PERP')!)).toBe('0.015');
  });

  it('deribit: inverse perpetual and future in USD (quote), USDC perpetual in the coin', async () => {
    const { catalog } = await loaded('deribit', 'deribit', ['BTC-USD', 'ETH-USD']);
    expect(catalog.get('BTC-PERPETUAL')).toEqual({
      exchange: 'deribit',
      wire: 'BTC-PERPETUAL',
      symbol: 'BTC-USD',
      market_type: 'perpetual',
      base: 'BTC',
      quote: 'USD',
      settle: 'BTC',
      quantity_unit: 'quote',
      contract_size: undefined,
      linear: false,
      expiry: undefined,
      tick_size: '0.1',
      lot_size: '10',
      active: true,
    });
    expect(catalog.get('BTC_USDC-PERPETUAL')).toMatchObject({
      symbol: 'BTC-USDC',
      market_type: 'perpetual',
      settle: 'USDC',
      quantity_unit: 'base',
      linear: true,
      lot_size: '0.001',
    });
    expect(catalog.get('ETH_USDC-PERPETUAL')).toMatchObject({ lot_size: '0.01' });
    const future = catalog.instruments.find((i) => i.market_type === 'futures' && i.base === 'BTC')!;
    expect(future).toMatchObject({ quantity_unit: 'quote', linear: false, settle: 'BTC' });
    expect(future.wire).toMatch(/^BTC-\d{1,2}(MAR|JUN|SEP|DEC)\d\d$/);
    expect(new Date(future.expiry!).getUTCDay()).toBe(5); // a Friday
    expect(future.symbol).toMatch(/^BTC-USD-\d{6}$/);
    expect(catalog.size).toBe(6);
    expect(toBaseQuantity('10', '29999.5', catalog.get('BTC-PERPETUAL')!)).toBe('0.000333338888981483');
  });

  it('a failed refresh keeps the previous catalog, reports the error, never throws', async () => {
    const failures: Error[] = [];
    const { sim, catalog } = await loaded('okx', 'okx', ['BTC-USDT'], { onRefreshFailed: (e) => failures.push(e) });
    const before = catalog.instruments;
    const loadedAt = catalog.loadedAt;
    sim.inject({ kind: 'rest-error', status: 503, count: 3, path: '/api/v5/public/instruments' });
    expect(await catalog.refresh()).toBe(false);
    expect(catalog.instruments).toBe(before);
    expect(catalog.loadedAt).toBe(loadedAt);
    expect(catalog.get('BTC-USDT-SWAP')?.contract_size).toBe('0.01');
    expect(failures).toHaveLength(1);
    expect(catalog.lastError).toBe(failures[0]);
    // Once the venue answers again, the next refresh replaces it.
    sim.inject({ kind: 'clear' });
    expect(await catalog.refresh()).toBe(true);
    expect(catalog.lastError).toBeUndefined();
    expect(catalog.get('BTC-USDT-SWAP')?.contract_size).toBe('0.01');
  });

  it('a refresh against a venue that is gone keeps the catalog; the timer is unref-d and stop() clears it', async () => {
    const { sim, catalog } = await loaded('binance-spot', 'binance-spot', ['BTC-USDT']);
    await sim.stop();
    expect(await catalog.refresh()).toBe(false);
    expect(catalog.get('BTCUSDT')?.tick_size).toBe('0.01');
    catalog.startRefresh(60_000);
    catalog.stop();
    expect(() => catalog.startRefresh(10)).toThrow(/at least 1000 ms, got 10/);
  });
});
