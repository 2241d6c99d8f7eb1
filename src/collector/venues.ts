/**
 * The venue registry: the four protocol kinds (`--venue` of record/replay), which
 * adapter each uses. Config venue
 * keys (binance_spot, ...) map onto these kinds in config.ts.
 */
import type { AdapterContext, VenueAdapter } from './adapter.js';
import { createBinanceAdapter } from './mappers/binance.js';
import { createDeribitAdapter } from './mappers/deribit.js';
import { createOkxAdapter } from './mappers/okx.js';

export const VENUE_KINDS = ['binance-spot', 'binance-usdm', 'okx', 'deribit'] as const;
export type VenueKind = (typeof VENUE_KINDS)[number];

export function isVenueKind(v: string): v is VenueKind {
  return (VENUE_KINDS as readonly string[]).includes(v);
}

export interface AdapterSettings {
  /** Levels per side in each orderbook record. */
  depth: number;
  restUrl: string;
  /** Levels asked of REST book snapshots. */
  snapshotLimit: number;
  /** Deribit: spacing of ticker-derived records. */
  tickerIntervalMs: number;
}

export const DEFAULT_REST_URL: Record<VenueKind, string> = {
  'binance-spot': 'https://api.binance.com',
  'binance-usdm': 'https://fapi.binance.com',
  okx: 'https://www.okx.com',
  deribit: 'https://www.deribit.com',
};

export function createAdapter(kind: VenueKind, ctx: AdapterContext, s: AdapterSettings): VenueAdapter {
  switch (kind) {
    case 'binance-spot':
    case 'binance-usdm':
      return createBinanceAdapter(ctx, { market: kind === 'binance-spot' ? 'spot' : 'usdm', depth: s.depth, restUrl: s.restUrl, snapshotLimit: s.snapshotLimit });
    case 'okx':
      return createOkxAdapter(ctx, { depth: s.depth, restUrl: s.restUrl, snapshotLimit: Math.min(s.snapshotLimit, 400) });
    case 'deribit':
      return createDeribitAdapter(ctx, { depth: s.depth, tickerIntervalMs: s.tickerIntervalMs });
  }
}
