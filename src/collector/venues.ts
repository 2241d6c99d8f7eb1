/**
 * The venue registry: the four protocol kinds (`--venue` of record/replay), which
 * adapter each uses, and which REST bodies each can turn into records. Config venue
 * keys (binance_spot, ...) map onto these kinds in config.ts.
 */
import type { MarketRecord } from '../core/model.js';
import type { AdapterContext, VenueAdapter } from './adapter.js';
import { createBinanceAdapter, mapBinanceLongShort, mapBinanceOpenInterest } from './mappers/binance.js';
import { createDeribitAdapter } from './mappers/deribit.js';
import { createOkxAdapter, mapOkxLongShort, mapOkxOpenInterest } from './mappers/okx.js';

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

/**
 * Records from a polled REST body (open interest, long/short ratios), chosen by the
 * URL path; undefined when the URL is not one of those endpoints. Used by the live
 * pollers and by replay, so both map recorded bodies the same way.
 */
export function restRecords(kind: VenueKind, url: string, body: string, now: number): MarketRecord[] | undefined {
  const u = new URL(url);
  const period = (u.searchParams.get('period') ?? '5m').toLowerCase(); // OKX writes 1H, 1D
  const path = u.pathname;
  if (kind === 'binance-usdm') {
    if (path.endsWith('/fapi/v1/openInterest')) return mapBinanceOpenInterest(body, now);
    if (path.endsWith('/futures/data/topLongShortPositionRatio')) return mapBinanceLongShort('lsr_top_position', body, period, now);
    if (path.endsWith('/futures/data/globalLongShortAccountRatio')) return mapBinanceLongShort('lsr_all_account', body, period, now);
  }
  if (kind === 'okx') {
    const instId = u.searchParams.get('instId') ?? '';
    if (path.endsWith('/api/v5/public/open-interest')) return mapOkxOpenInterest(body, now);
    if (path.endsWith('/rubik/stat/contracts/long-short-position-ratio-contract-top-trader')) return mapOkxLongShort('lsr_top_position', instId, body, period, now);
    if (path.endsWith('/rubik/stat/contracts/long-short-account-ratio-contract')) return mapOkxLongShort('lsr_all_account', instId, body, period, now);
  }
  return undefined;
}
