import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { pointCollectorAtSims } from '../../src/sim/collector-config.js';
import type { CollectorVenue } from '../../src/sim/collector-venues.js';
import { main, venueOfCapture } from '../../src/sim/main.js';
import { capturePaths } from '../capture/captures.js';
import { connect } from './client.js';

type Urls = Record<string, CollectorVenue>;

async function run(argv: string[], whileRunning: (urls: Urls) => Promise<void>): Promise<{ code: number; err: string[] }> {
  const ac = new AbortController();
  const err: string[] = [];
  let printed!: (urls: Urls) => void;
  const urls = new Promise<Urls>((r) => (printed = r));
  const done = main(argv, { out: (l) => printed(JSON.parse(l) as Urls), err: (l) => err.push(l), signal: ac.signal });
  const first = await Promise.race([urls, done.then(() => undefined)]);
  if (first) {
    try {
      await whileRunning(first);
    } finally {
      ac.abort();
    }
  }
  return { code: await done, err };
}

describe('marketprism-sim CLI', () => {
  it('generate: prints the collector URLs per venue key on one line and serves them until stopped', async () => {
    const r = await run(['generate', '--venue', 'binance-usdm,okx', '--seed', '9', '--rate', '20'], async (urls) => {
      expect(Object.keys(urls).sort()).toEqual(['binance_derivatives', 'okx_derivatives', 'okx_spot']);
      expect(urls.okx_spot!.ws_url).toBe(urls.okx_derivatives!.ws_url);
      expect(urls.okx_spot!.ws_url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/ws\/v5\/public$/);
      const c = await connect(`${urls.binance_derivatives!.ws_url}/public/stream?streams=btcusdt@depth@100ms`);
      await c.until('a diff', (m) => m.length > 0);
      await c.close();
      const res = await fetch(`${urls.okx_spot!.rest_url}/api/v5/market/books?instId=BTC-USDT`);
      expect(((await res.json()) as { code: string }).code).toBe('0');
    });
    expect(r).toEqual({ code: 0, err: [] });
  });

  it('replay: tells the venue from cryptofeed file names', async () => {
    expect(venueOfCapture('/x/OKX.ws.1.0')).toBe('okx');
    expect(venueOfCapture('BINANCE_FUTURES.http.0.0')).toBe('binance-usdm');
    const r = await run(['replay', '--speed', 'max', ...capturePaths('BINANCE.0', 'BINANCE.ws.1.0')], async (urls) => {
      expect(urls.binance_spot!.venue).toBe('binance-spot');
      const c = await connect(`${urls.binance_spot!.ws_url}/stream?streams=nknusdt@depth@100ms`);
      await c.until('frames', (m) => m.length >= 150);
      await c.close();
    });
    expect(r.code).toBe(0);
  });

  it('--captures (as quickstart passes them): recorded symbols and data types per collector venue, applied to collector.yaml', async () => {
    const files = capturePaths('BINANCE.0', 'BINANCE.http.0.0', 'BINANCE.ws.1.0', 'OKX.0', 'OKX.ws.1.0');
    const r = await run(['--captures', ...files, '--port', '0'], async (urls) => {
      expect(Object.keys(urls).sort()).toEqual(['binance_spot', 'okx_derivatives', 'okx_spot']);
      expect(urls.binance_spot).toMatchObject({ venue: 'binance-spot', symbols: ['NKN-USDT', 'BLZ-ETH', 'LRC-BTC', 'RUNE-EUR'] });
      expect(urls.binance_spot!.data_types!.sort()).toEqual(['orderbook', 'trade']);
      expect(urls.okx_spot!.symbols).toEqual(['BTC-USDT']);
      expect(urls.okx_derivatives!.symbols).toEqual(['UNI-USD']); // UNI-USD-PERP; the dated future has no place
      const text = pointCollectorAtSims(readFileSync('config/collector.yaml', 'utf8'), urls);
      expect(text).toContain('# marketprism-collector'); // comments kept
      const venues = (parse(text) as { venues: Record<string, Record<string, unknown>> }).venues;
      expect(venues.binance_spot).toMatchObject({
        enabled: true,
        ws_url: urls.binance_spot!.ws_url,
        rest_url: urls.binance_spot!.rest_url,
        symbols: urls.binance_spot!.symbols,
      });
      expect(venues.okx_derivatives).toMatchObject({ enabled: true, symbols: ['UNI-USD'], data_types: urls.okx_derivatives!.data_types });
      expect(venues.binance_derivatives!.enabled).toBe(false);
      expect(venues.deribit_derivatives!.enabled).toBe(false);
    });
    expect(r.code).toBe(0);
  });

  it('rejects bad arguments with usage and exit code 2', async () => {
    for (const argv of [
      [],
      ['generate', '--venue', 'kraken'],
      ['generate', '--rate', 'fast'],
      ['replay'],
      ['replay', 'README.md'],
      ['generate', '--okx-mode', '2024'],
    ]) {
      const r = await run(argv, async () => {
        throw new Error(`should not have started: ${argv.join(' ')}`);
      });
      expect([1, 2]).toContain(r.code);
      expect(r.err.join('\n')).toMatch(/marketprism-sim: /);
    }
  });
});
