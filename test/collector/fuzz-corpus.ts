/**
 * Real venue messages for the parser fuzz test (fuzz.test.ts), per protocol in the
 * venue registry: the cryptofeed captures (Binance spot, OKX) and the protocol samples.
 * Each corpus is a session in order: WebSocket frames, polled REST bodies, and the
 * REST book snapshots the adapter may ask for (answered by key, in order).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { InstrumentInfo } from '../../src/collector/instruments/types.js';
import type { VenueKind } from '../../src/collector/venues/registry.js';
import { capturePaths } from '../capture/captures.js';
import { SAMPLES, okxContract } from './context.js';

export type Step = { t: 'ws'; conn: string; text: string } | { t: 'rest'; url: string; body: string };

export interface Corpus {
  steps: Step[];
  /** REST book snapshot bodies by snapshot key, in the order they are handed out. */
  snapshots: Map<string, string[]>;
  /** Instrument metadata the adapter needs (contract sizes) beyond the test context's. */
  instruments: InstrumentInfo[];
}

const compact = (text: string) => JSON.stringify(JSON.parse(text));
/** A sample file, re-serialised on one line (Deribit's numbers survive: they are small and plain). */
const sampleText = (venue: string, file: string) => readFileSync(join(SAMPLES, venue, file), 'utf8').trim();
const samplesOf = (venue: string, prefix: string) =>
  readdirSync(join(SAMPLES, venue))
    .filter((f) => f.startsWith(prefix))
    .sort();

/** Received frames (`T: TEXT`) of a cryptofeed WebSocket capture. */
function captureFrames(name: string): string[] {
  return readFileSync(capturePaths(name)[0]!, 'utf8')
    .split('\n')
    .map((l) => /^\d+\.?\d*: (.*)$/.exec(l)?.[1])
    .filter((t): t is string => !!t);
}

/** REST bodies (`URL -> T: BODY`) of a cryptofeed capture. */
function captureBodies(name: string): { url: string; body: string }[] {
  return readFileSync(capturePaths(name)[0]!, 'utf8')
    .split('\n')
    .map((l) => /^(\S+) -> \d+\.?\d*: (.*)$/.exec(l))
    .filter((m): m is RegExpExecArray => !!m)
    .map((m) => ({ url: m[1]!, body: m[2]! }));
}

const ws = (conn: string) => (text: string) => ({ t: 'ws', conn, text }) as const;

function binanceSpot(): Corpus {
  const snapshots = new Map<string, string[]>();
  for (const { url, body } of captureBodies('BINANCE.http.0.0')) {
    const key = new URL(url).searchParams.get('symbol')!;
    snapshots.set(key, [...(snapshots.get(key) ?? []), body]);
  }
  snapshots.set('BTCUSDT', [compact(sampleText('binance-spot', 'rest-api-v3-depth.live-2024-08-08.BTCUSDT.limit1000.json'))]);
  const samples = samplesOf('binance-spot', 'ws-').map((f) => compact(sampleText('binance-spot', f)));
  return { steps: [...captureFrames('BINANCE.ws.1.0'), ...samples].map(ws('binance')), snapshots, instruments: [] };
}

/** USDⓈ-M samples; `coinm` turns them into BTCUSD_PERP frames (contracts of 100 USD). */
function binanceFutures(coinm: boolean): Corpus {
  const wire = coinm ? 'BTCUSD_PERP' : 'BTCUSDT';
  const fix = (t: string) => (coinm ? t.replaceAll('BTCUSDT', wire).replaceAll('btcusdt', 'btcusd_perp') : t);
  const frames = samplesOf('binance-usdm', 'ws-').map((f) => fix(compact(sampleText('binance-usdm', f))));
  const host = coinm ? 'https://dapi.binance.com/dapi/v1' : 'https://fapi.binance.com/fapi/v1';
  const rest: Step[] = [
    {
      t: 'rest',
      url: `${host}/openInterest?symbol=${wire}`,
      body: fix(compact(sampleText('binance-usdm', 'rest-fapi-v1-openInterest.live-2026-10-07.BTCUSDT.json'))),
    },
  ];
  if (!coinm) {
    for (const [path, file] of [
      ['topLongShortPositionRatio', 'rest-futures-data-topLongShortPositionRatio.docs.json'],
      ['globalLongShortAccountRatio', 'rest-futures-data-globalLongShortAccountRatio.docs.json'],
    ] as const) {
      rest.push({ t: 'rest', url: `https://fapi.binance.com/futures/data/${path}?symbol=BTCUSDT&period=5m`, body: compact(sampleText('binance-usdm', file)) });
    }
  }
  // markPrice first (COIN-M open interest needs a mark price), then the depth chain and the rest.
  const mark = frames.filter((f) => f.includes('markPriceUpdate'));
  const others = frames.filter((f) => !f.includes('markPriceUpdate'));
  const snapshot = (f: string) => fix(compact(sampleText('binance-usdm', f)));
  const instruments: InstrumentInfo[] = coinm
    ? [
        {
          exchange: 'binance',
          wire,
          symbol: 'BTC-USD',
          market_type: 'perpetual',
          base: 'BTC',
          quote: 'USD',
          settle: 'BTC',
          quantity_unit: 'contracts',
          contract_size: '100',
          linear: false,
          expiry: undefined,
          tick_size: undefined,
          lot_size: undefined,
          active: true,
        },
      ]
    : [];
  return {
    steps: [...mark.map(ws('binance')), ...others.map(ws('binance')), ...rest],
    snapshots: new Map([
      [wire, [snapshot('rest-fapi-v1-depth.live-2024-08-08.BTCUSDT.limit1000.json'), snapshot('rest-fapi-v1-depth.live-2026-10-07.BTCUSDT.limit5.json')]],
    ]),
    instruments,
  };
}

function okx(): Corpus {
  const samples = samplesOf('okx', 'ws-').map((f) => compact(sampleText('okx', f)));
  const rest: Step[] = [
    {
      t: 'rest',
      url: 'https://www.okx.com/api/v5/public/open-interest?instType=SWAP',
      body: compact(sampleText('okx', 'rest-api-v5-public-open-interest.live-2024-10-12.BTC-USDT-SWAP.json')),
    },
    {
      t: 'rest',
      url: 'https://www.okx.com/api/v5/rubik/stat/contracts/long-short-position-ratio-contract-top-trader?instId=BTC-USDT-SWAP&period=5m',
      body: compact(sampleText('okx', 'rest-api-v5-rubik-stat-contracts-long-short-account-ratio-contract-top-trader.docs.json')),
    },
    {
      t: 'rest',
      url: 'https://www.okx.com/api/v5/rubik/stat/contracts/long-short-account-ratio-contract?instId=BTC-USDT-SWAP&period=1H',
      body: compact(sampleText('okx', 'rest-api-v5-rubik-stat-contracts-long-short-account-ratio-contract.docs.json')),
    },
  ];
  const books = compact(sampleText('okx', 'rest-api-v5-market-books.docs.json'));
  return {
    steps: [...captureFrames('OKX.ws.1.0').map(ws('okx')), ...samples.map(ws('okx')), ...rest],
    // Any instrument whose book falls back to REST gets the docs' snapshot (often older: asked again).
    snapshots: new Map(['BTC-USDT', 'NEAR-USDT', 'BTC-USD-220527', 'UNI-USD-SWAP'].map((k) => [k, [books, books]])),
    instruments: [okxContract('LTC-USD-190628', '10', false)],
  };
}

function deribit(): Corpus {
  const envelope = (channel: string, data: string) => `{"jsonrpc":"2.0","method":"subscription","params":{"channel":"${channel}","data":${data}}}`;
  const flat = (f: string) => JSON.stringify(JSON.parse(sampleText('deribit', f)));
  const steps = [
    sampleText('deribit', 'ws-book.BTC-31DEC21-34000-P.raw.1-snapshot.live-2021-07-22.json'),
    sampleText('deribit', 'ws-book.BTC-31DEC21-34000-P.raw.2-change.live-2021-07-22.json'),
    sampleText('deribit', 'ws-book.BTC-31DEC21-34000-P.raw.3-change.live-2021-07-22.json'),
    sampleText('deribit', 'ws-book.BTC-PERPETUAL.100ms.snapshot.live-2021-06-02.json'),
    sampleText('deribit', 'ws-book.BTC-PERPETUAL.100ms.change.live-2021-06-02.json'),
    envelope('book.BTC-PERPETUAL.100ms', flat('ws-book.BTC-PERPETUAL.100ms.snapshot.asyncapi-data.docs.json')),
    envelope('book.BTC-PERPETUAL.100ms', flat('ws-book.BTC-PERPETUAL.100ms.change.asyncapi-data.docs.json')),
    flat('ws-book.BTC-PERPETUAL.none.10.100ms.live-2026-01-24.json'),
    flat('ws-deribit_volatility_index.btc_usd.docs.json'),
    envelope('deribit_volatility_index.btc_usd', flat('ws-deribit_volatility_index.asyncapi-data.docs.json')),
    flat('ws-ticker.BTC-PERPETUAL.100ms.live-2025-12-12.json'),
  ];
  return { steps: steps.map(ws('deribit')), snapshots: new Map(), instruments: [] };
}

export function corpusOf(kind: VenueKind): Corpus {
  switch (kind) {
    case 'binance-spot':
      return binanceSpot();
    case 'binance-usdm':
      return binanceFutures(false);
    case 'binance-coinm':
      return binanceFutures(true);
    case 'okx':
      return okx();
    case 'deribit':
      return deribit();
  }
}
