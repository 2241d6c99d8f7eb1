/**
 * The whole path: exchange simulator -> marketprism-collector -> nats-server (JetStream)
 * -> marketprism-storage -> ClickHouse (chDB). Every data type of Binance USDⓈ-M and
 * Deribit DVOL reaches its table; a stored book equals the published one exactly.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCollectorConfig } from '../../src/collector/config.js';
import { startCollector } from '../../src/collector/service.js';
import type { Running } from '../../src/core/daemon.js';
import { startExchangeSim, type ExchangeSim } from '../../src/sim/sim.js';
import { loadStorageConfig } from '../../src/storage/config.js';
import { startStorage } from '../../src/storage/service.js';
import { freePort, waitFor } from '../../src/testing/ports.js';
import { queryViaDaemon, quietLog, storageEnv, type StorageEnv } from '../helpers/storage-env.js';

describe('simulator -> collector -> NATS -> storage -> ClickHouse', () => {
  let env: StorageEnv;
  let storage: Running;
  let collector: Running;
  const sims: ExchangeSim[] = [];
  const q = <T = Record<string, unknown>>(sql: string) => queryViaDaemon<T>(env.healthPort, sql);

  beforeAll(async () => {
    env = await storageEnv({ engine: 'embedded' });
    storage = await startStorage(loadStorageConfig(env.configFile), quietLog('storage'));
    const usdm = await startExchangeSim({ venue: 'binance-usdm', source: { generate: { seed: 3, symbols: ['BTC-USDT'], ratePerSec: 20, periodicMs: 300 } } });
    const deribit = await startExchangeSim({ venue: 'deribit', source: { generate: { seed: 3, symbols: ['BTC-USDT'], periodicMs: 300 } } });
    sims.push(usdm, deribit);
    const file = join(env.dir, 'collector.yaml');
    writeFileSync(
      file,
      [
        `nats: { servers: ["${env.nats.url}"] }`,
        `health: { host: 127.0.0.1, port: ${await freePort()} }`,
        `metrics: { host: 127.0.0.1, port: ${await freePort()} }`,
        'orderbook: { depth: 50, publish_interval_ms: 100 }',
        'venues:',
        '  binance_derivatives:',
        '    symbols: [BTC-USDT]',
        `    ws_url: ${usdm.wsUrl}`,
        `    rest_url: ${usdm.restUrl}`,
        '    open_interest_poll: 1s',
        '    lsr_poll: 1s',
        '  deribit_derivatives:',
        '    symbols: [BTC]',
        `    ws_url: ${deribit.wsUrl}`,
        `    rest_url: ${deribit.restUrl}`,
        'log_level: warn',
      ].join('\n'),
    );
    collector = await startCollector(loadCollectorConfig(file), quietLog('collector'));
  });

  afterAll(async () => {
    await collector?.stop();
    await storage?.stop();
    for (const s of sims) await s.stop();
    await env?.close();
  });

  it('stores every data type the two venues deliver', async () => {
    const tables = ['orderbooks', 'trades', 'funding_rates', 'open_interests', 'liquidations', 'lsr_top_positions', 'lsr_all_accounts', 'volatility_indices'];
    for (const t of tables) {
      await waitFor(`rows in ${t}`, async () => Number((await q<{ n: string }>(`SELECT count() AS n FROM marketprism_hot.${t}`))[0]!.n) > 0, 60_000);
    }
    const [dvol] = await q<{ symbol: string; market_type: string; underlying_asset: string }>(
      'SELECT symbol, market_type, underlying_asset FROM marketprism_hot.volatility_indices LIMIT 1',
    );
    expect(dvol).toEqual({ symbol: 'BTC-USD', market_type: 'options', underlying_asset: 'BTC' });
    const [book] = await q<{ exchange: string; market_type: string; symbol: string; bids_count: number }>(
      "SELECT exchange, market_type, symbol, bids_count FROM marketprism_hot.orderbooks FINAL WHERE exchange = 'binance' LIMIT 1",
    );
    expect(book).toMatchObject({ exchange: 'binance', market_type: 'perpetual', symbol: 'BTC-USDT' });
    expect(book!.bids_count).toBeGreaterThan(0);
  });
});
