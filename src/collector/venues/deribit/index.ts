/** Deribit JSON-RPC over WebSocket: DVOL, perpetual tickers (funding, open interest) and books. */
import type { ProtocolSpec, VenueSpec } from '../types.js';
import { deribitFeeds } from './feeds.js';
import { deribitInstruments } from './instruments.js';
import { createDeribitAdapter } from './mapper.js';

export const deribitProtocols = {
  deribit: {
    defaultRestUrl: 'https://www.deribit.com',
    captureName: 'DERIBIT',
    instruments: deribitInstruments,
    // Inverse contracts count USD, linear ones base: the instrument name says which.
    needsInstruments: false,
    createAdapter: (ctx, s) => createDeribitAdapter(ctx, { depth: s.depth, tickerIntervalMs: s.tickerIntervalMs }),
    sim: () => import('./sim/index.js').then((m) => m.deribitSim()),
  },
} satisfies Record<string, ProtocolSpec>;

export const deribitVenues = {
  deribit_derivatives: {
    kind: 'deribit',
    market: 'index',
    types: ['volatility_index', 'funding_rate', 'open_interest', 'orderbook'],
    defaults: {
      ws_url: 'wss://www.deribit.com/ws/api/v2',
      rest_url: 'https://www.deribit.com',
      symbols: ['BTC', 'ETH'],
      data_types: ['volatility_index', 'funding_rate', 'open_interest'],
      snapshot_limit: 0,
      rest_weight_per_minute: 600,
      max_streams_per_connection: 500,
      rotate_after: 0,
    },
    feeds: deribitFeeds,
    // Configured by currency (BTC): records name the inverse perpetual and DVOL BTC-USD.
    recordSymbol: (s) => (s.includes('-') ? s : `${s}-USD`),
    fromCryptofeed: (s) => (s.split('-')[2] === 'PERP' ? s.split('-')[0] : undefined),
  },
} satisfies Record<string, VenueSpec<keyof typeof deribitProtocols>>;
