/** OKX v5 public API: spot pairs, perpetual swaps and dated futures on one protocol. */
import type { ProtocolSpec, VenueSpec } from '../types.js';
import { okxFeeds } from './feeds.js';
import { okxInstruments } from './instruments.js';
import { createOkxAdapter } from './mapper.js';
import { okxDerivativesPolls } from './pollers.js';

const DERIVATIVE_TYPES = ['orderbook', 'trade', 'funding_rate', 'open_interest', 'liquidation', 'lsr_top_position', 'lsr_all_account'] as const;
const OKX_DEFAULTS = {
  ws_url: 'wss://ws.okx.com:8443/ws/v5/public',
  rest_url: 'https://www.okx.com',
  symbols: ['BTC-USDT', 'ETH-USDT'],
  snapshot_limit: 400,
  rest_weight_per_minute: 300,
  max_streams_per_connection: 100,
  rotate_after: 0,
};

export const okxProtocols = {
  okx: {
    defaultRestUrl: 'https://www.okx.com',
    captureName: 'OKX',
    captureAliases: ['OKEX'],
    instruments: okxInstruments,
    needsInstruments: true,
    createAdapter: (ctx, s) => createOkxAdapter(ctx, { depth: s.depth, restUrl: s.restUrl, snapshotLimit: Math.min(s.snapshotLimit, 400) }),
    sim: () => import('./sim/index.js').then((m) => m.okxSim()),
  },
} satisfies Record<string, ProtocolSpec>;

const checkConfig = (cfg: { snapshot_limit: number }, fail: (key: string, why: string) => void) => {
  if (cfg.snapshot_limit > 400) fail('snapshot_limit', `OKX serves at most 400 levels, got ${cfg.snapshot_limit}`);
};

export const okxVenues = {
  okx_spot: {
    kind: 'okx',
    market: 'spot',
    types: ['orderbook', 'trade'],
    defaults: { ...OKX_DEFAULTS, data_types: ['orderbook', 'trade'] },
    feeds: okxFeeds,
    checkConfig,
    fromCryptofeed: (s) => (/^[A-Z0-9]+-[A-Z0-9]+$/.test(s) ? s : undefined),
  },
  okx_derivatives: {
    kind: 'okx',
    market: 'perpetual',
    types: DERIVATIVE_TYPES,
    defaults: { ...OKX_DEFAULTS, data_types: [...DERIVATIVE_TYPES] },
    feeds: okxFeeds,
    polls: okxDerivativesPolls,
    checkConfig,
    fromCryptofeed: (s) => (/^[A-Z0-9]+-[A-Z0-9]+-PERP$/.test(s) ? s.slice(0, -'-PERP'.length) : undefined),
  },
} satisfies Record<string, VenueSpec<keyof typeof okxProtocols>>;
