/**
 * Binance: spot (`/api/v3`, `stream.binance.com`), USDⓈ-M futures (`/fapi`,
 * `fstream.binance.com`, depth on `/public`, the rest on `/market`) and COIN-M futures
 * (`/dapi`, `dstream.binance.com`: inverse perpetuals and quarterly deliveries whose
 * quantities count contracts of `contractSize` USD, from the instrument list).
 */
import type { ProtocolSpec, VenueSpec } from '../types.js';
import { binanceFeeds } from './feeds.js';
import { binanceCoinmInstruments, binanceSpotInstruments, binanceUsdmInstruments } from './instruments.js';
import { createBinanceAdapter } from './mapper.js';
import { binanceCoinmPolls, binanceUsdmPolls } from './pollers.js';

const DERIVATIVE_TYPES = ['orderbook', 'trade', 'funding_rate', 'open_interest', 'liquidation', 'lsr_top_position', 'lsr_all_account'] as const;
const COINM_TYPES = ['orderbook', 'trade', 'funding_rate', 'open_interest', 'liquidation'] as const;
/** The depths USDⓈ-M and COIN-M serve a snapshot at. */
const FUTURES_SNAPSHOT_LIMITS = [5, 10, 20, 50, 100, 500, 1000];
const futuresSnapshotLimit = (market: string) => (cfg: { snapshot_limit: number }, fail: (key: string, why: string) => void) => {
  if (!FUTURES_SNAPSHOT_LIMITS.includes(cfg.snapshot_limit))
    fail('snapshot_limit', `Binance ${market} accepts ${FUTURES_SNAPSHOT_LIMITS.join(', ')}, got ${cfg.snapshot_limit}`);
};

export const binanceProtocols = {
  'binance-spot': {
    defaultRestUrl: 'https://api.binance.com',
    captureName: 'BINANCE',
    instruments: binanceSpotInstruments,
    needsInstruments: false,
    createAdapter: (ctx, s) => createBinanceAdapter(ctx, { market: 'spot', depth: s.depth, restUrl: s.restUrl, snapshotLimit: s.snapshotLimit }),
    sim: () => import('./sim/index.js').then((m) => m.binanceSpotSim()),
  },
  'binance-usdm': {
    defaultRestUrl: 'https://fapi.binance.com',
    captureName: 'BINANCE_FUTURES',
    captureAliases: ['BINANCEFUTURES'],
    instruments: binanceUsdmInstruments,
    needsInstruments: false,
    createAdapter: (ctx, s) => createBinanceAdapter(ctx, { market: 'usdm', depth: s.depth, restUrl: s.restUrl, snapshotLimit: s.snapshotLimit }),
    sim: () => import('./sim/index.js').then((m) => m.binanceUsdmSim()),
  },
  'binance-coinm': {
    defaultRestUrl: 'https://dapi.binance.com',
    captureName: 'BINANCE_DELIVERY',
    instruments: binanceCoinmInstruments,
    needsInstruments: true,
    createAdapter: (ctx, s) => createBinanceAdapter(ctx, { market: 'coinm', depth: s.depth, restUrl: s.restUrl, snapshotLimit: s.snapshotLimit }),
    sim: () => import('./sim/index.js').then((m) => m.binanceCoinmSim()),
  },
} satisfies Record<string, ProtocolSpec>;

/** cryptofeed names perpetuals BTC-USDT-PERP, spot pairs BTC-USDT. */
const cryptofeedPerp = (s: string) => (/^[A-Z0-9]+-[A-Z0-9]+-PERP$/.test(s) ? s.slice(0, -'-PERP'.length) : undefined);

export const binanceVenues = {
  binance_spot: {
    kind: 'binance-spot',
    market: 'spot',
    types: ['orderbook', 'trade'],
    defaults: {
      ws_url: 'wss://stream.binance.com:9443',
      rest_url: 'https://api.binance.com',
      symbols: ['BTC-USDT', 'ETH-USDT'],
      data_types: ['orderbook', 'trade'],
      snapshot_limit: 1000,
      rest_weight_per_minute: 3000,
      max_streams_per_connection: 200,
      rotate_after: '23h',
    },
    feeds: binanceFeeds('spot'),
    checkConfig: (cfg, fail) => {
      if (cfg.snapshot_limit > 5000) fail('snapshot_limit', 'Binance spot serves at most 5000 levels');
    },
    fromCryptofeed: (s) => (/^[A-Z0-9]+-[A-Z0-9]+$/.test(s) ? s : undefined),
  },
  binance_derivatives: {
    kind: 'binance-usdm',
    market: 'perpetual',
    types: DERIVATIVE_TYPES,
    defaults: {
      ws_url: 'wss://fstream.binance.com',
      rest_url: 'https://fapi.binance.com',
      symbols: ['BTC-USDT', 'ETH-USDT'],
      data_types: [...DERIVATIVE_TYPES],
      snapshot_limit: 1000,
      rest_weight_per_minute: 1200,
      max_streams_per_connection: 200,
      rotate_after: '23h',
    },
    feeds: binanceFeeds('usdm'),
    polls: binanceUsdmPolls,
    checkConfig: futuresSnapshotLimit('USDⓈ-M'),
    fromCryptofeed: cryptofeedPerp,
  },
  binance_coinm: {
    kind: 'binance-coinm',
    market: 'perpetual',
    types: COINM_TYPES,
    defaults: {
      ws_url: 'wss://dstream.binance.com',
      rest_url: 'https://dapi.binance.com',
      symbols: ['BTC-USD', 'ETH-USD'],
      data_types: [...COINM_TYPES],
      snapshot_limit: 1000,
      rest_weight_per_minute: 1200,
      max_streams_per_connection: 200,
      rotate_after: '23h',
    },
    feeds: binanceFeeds('coinm'),
    polls: binanceCoinmPolls,
    checkConfig: futuresSnapshotLimit('COIN-M'),
    // cryptofeed names COIN-M perpetuals BTC-USD-PERP.
    fromCryptofeed: (s) => (/^[A-Z0-9]+-USD-PERP$/.test(s) ? s.slice(0, -'-PERP'.length) : undefined),
  },
} satisfies Record<string, VenueSpec<keyof typeof binanceProtocols>>;
