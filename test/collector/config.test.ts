/** Collector config: the shipped file loads; mistakes are named by key and value. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadCollectorConfig } from '../../src/collector/config.js';
import { feedSpecs } from '../../src/collector/live.js';
import { pollTargets } from '../../src/collector/rest/pollers.js';

const write = (yaml: string) => {
  const file = join(mkdtempSync(join(tmpdir(), 'mp-cfg-')), 'collector.yaml');
  writeFileSync(file, yaml);
  return file;
};

describe('collector config', () => {
  it('loads the shipped config with all six venues', () => {
    const c = loadCollectorConfig('config/collector.yaml');
    expect(c.venues.map((v) => v.name)).toEqual(['binance_spot', 'binance_derivatives', 'binance_coinm', 'okx_spot', 'okx_derivatives', 'deribit_derivatives']);
    expect(c.orderbook).toEqual({ depth: 400, publish_interval_ms: 100 });
    expect(c.health.port).toBe(8087);
    expect(c.metrics.port).toBe(9093);
    expect(c.counts).toEqual({ interval_ms: 60_000 });
    expect(c.nats.buffer_max_bytes).toBe(256 * 1024 * 1024);
    expect(loadCollectorConfig(write('nats:\n  buffer_max_bytes: 1GiB\n')).nats.buffer_max_bytes).toBe(1024 ** 3);
    expect(c.venues[0]!.rotate_after_ms).toBe(23 * 3600_000);
    expect(c.venues.every((v) => v.rest_spacing_ms === 50)).toBe(true);
    expect(loadCollectorConfig(write('venues:\n  okx_spot:\n    rest_spacing: 1s\n')).venues[0]!.rest_spacing_ms).toBe(1000);
  });

  it.each([
    ['venues:\n  kraken: {}', /venues\.kraken: unknown venue/],
    ['venues:\n  binance_spot:\n    data_types: [funding_rate]', /venues\.binance_spot\.data_types: binance_spot does not deliver "funding_rate"/],
    ['venues:\n  okx_spot:\n    ws_url: https://x', /venues\.okx_spot\.ws_url: expected a ws: or wss: URL, got "https:\/\/x"/],
    ['venues:\n  binance_spot:\n    symbols: [btcusdt]', /symbols: expected symbols like BTC-USDT/],
    ['venues:\n  binance_derivatives:\n    snapshot_limit: 400', /snapshot_limit: Binance USDⓈ-M accepts/],
    ['orderbook:\n  depht: 10', /orderbook\.depht: unknown key/],
    ['venues:\n  okx_derivatives:\n    lsr_period: 3m', /lsr_period: expected one of/],
    ['venues:\n  okx_spot:\n    rest_spacing: 11s', /venues\.okx_spot\.rest_spacing: "11s" is longer than the limit of 10s/],
    ['counts:\n  interval: 1500ms', /counts\.interval: expected whole seconds, at least 1s \(60s: one message a UTC minute\), got 1500 ms/],
    ['counts:\n  interval: 2h', /counts\.interval: "2h" is longer than the limit/],
    ['nats:\n  buffer_max_bytes: 64KiB', /nats\.buffer_max_bytes: expected at least 1MiB, got 65536 bytes/],
    ['nats:\n  buffer_max_bytes: lots', /nats\.buffer_max_bytes: expected a size like 512MB or 2GiB, got "lots"/],
  ])('rejects %j', (yaml, message) => {
    expect(() => loadCollectorConfig(write(yaml))).toThrow(message);
  });

  it('routes Binance USDⓈ-M streams by path and polls the two different long/short endpoints', () => {
    const c = loadCollectorConfig('config/collector.yaml');
    const usdm = c.venues.find((v) => v.name === 'binance_derivatives')!;
    const urls = feedSpecs(usdm).map((f) => f.url);
    expect(urls).toEqual([
      'wss://fstream.binance.com/public/stream?streams=btcusdt@depth@100ms/ethusdt@depth@100ms',
      'wss://fstream.binance.com/market/stream?streams=btcusdt@aggTrade/btcusdt@markPrice@1s/btcusdt@forceOrder/ethusdt@aggTrade/ethusdt@markPrice@1s/ethusdt@forceOrder',
    ]);
    const polls = pollTargets(usdm).map((p) => new URL(p.url).pathname);
    expect(polls).toContain('/futures/data/topLongShortPositionRatio');
    expect(polls).toContain('/futures/data/globalLongShortAccountRatio');
    expect(polls).toContain('/fapi/v1/openInterest');
    const okx = pollTargets(c.venues.find((v) => v.name === 'okx_derivatives')!).map((p) => new URL(p.url).pathname);
    expect(okx).toEqual([
      '/api/v5/rubik/stat/contracts/long-short-position-ratio-contract-top-trader',
      '/api/v5/rubik/stat/contracts/long-short-account-ratio-contract',
      '/api/v5/rubik/stat/contracts/long-short-position-ratio-contract-top-trader',
      '/api/v5/rubik/stat/contracts/long-short-account-ratio-contract',
    ]);
  });

  it('subscribes OKX and Deribit channels from the config', () => {
    const c = loadCollectorConfig('config/collector.yaml');
    const okx = feedSpecs(c.venues.find((v) => v.name === 'okx_derivatives')!);
    const args = okx.flatMap((f) => f.onOpen().flatMap((t) => JSON.parse(t).args));
    expect(args).toContainEqual({ channel: 'books', instId: 'BTC-USDT-SWAP' });
    expect(args).toContainEqual({ channel: 'funding-rate', instId: 'ETH-USDT-SWAP' });
    // Funding records carry mark and index prices: both channels ride along.
    expect(args).toContainEqual({ channel: 'mark-price', instId: 'ETH-USDT-SWAP' });
    expect(args).toContainEqual({ channel: 'index-tickers', instId: 'ETH-USDT' });
    expect(args).toContainEqual({ channel: 'liquidation-orders', instType: 'SWAP' });
    const deribit = feedSpecs(c.venues.find((v) => v.name === 'deribit_derivatives')!);
    const frames = deribit[0]!.onOpen().map((t) => JSON.parse(t));
    expect(frames[0]).toMatchObject({ method: 'public/set_heartbeat' });
    // Perpetual funding and open interest are on by default (the ticker channel).
    expect(frames[1].params.channels).toEqual([
      'deribit_volatility_index.btc_usd',
      'ticker.BTC-PERPETUAL.100ms',
      'deribit_volatility_index.eth_usd',
      'ticker.ETH-PERPETUAL.100ms',
    ]);
    expect(deribit[0]!.reply!('{"method":"heartbeat","params":{"type":"test_request"}}')).toContain('public/test');
  });
});

describe('dated futures in the config', () => {
  it('subscribes an OKX future by its own name, without funding or long/short polls', () => {
    const c = loadCollectorConfig(write('venues:\n  okx_derivatives:\n    symbols: [BTC-USDT, BTC-USD-250627]\n'));
    const venue = c.venues[0]!;
    const args = feedSpecs(venue).flatMap((f) => f.onOpen().flatMap((t) => JSON.parse(t).args));
    expect(args).toContainEqual({ channel: 'books', instId: 'BTC-USD-250627' });
    expect(args).toContainEqual({ channel: 'trades', instId: 'BTC-USD-250627' });
    expect(args).toContainEqual({ channel: 'open-interest', instId: 'BTC-USD-250627' });
    expect(args.filter((a) => a.instId === 'BTC-USD-250627').map((a) => a.channel)).not.toContain('funding-rate');
    expect(pollTargets(venue).every((t) => !t.url.includes('250627'))).toBe(true);
  });

  it('refuses an expiry that is not six digits', () => {
    expect(() => loadCollectorConfig(write('venues:\n  okx_derivatives:\n    symbols: [BTC-USD-2506]\n'))).toThrow(/symbols: expected symbols like BTC-USDT/);
  });
});
