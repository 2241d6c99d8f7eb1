/**
 * Deribit JSON-RPC feed: on open, ask for heartbeats and subscribe; every
 * `test_request` is answered with `public/test` at once (or Deribit closes the
 * connection).
 */
import type { VenueConfig } from '../../config.js';
import { deribitPerpetual } from './symbols.js';
import type { FeedSpec } from '../../feeds/feed.js';
import { shards } from '../../feeds/shard.js';

const HEARTBEAT_S = 15;

export function deribitChannels(cfg: VenueConfig): string[] {
  const has = (t: string) => cfg.data_types.includes(t as never);
  const channels: string[] = [];
  for (const symbol of cfg.symbols) {
    const base = symbol.split('-')[0]!;
    const perp = deribitPerpetual(symbol);
    if (has('volatility_index')) channels.push(`deribit_volatility_index.${base.toLowerCase()}_usd`);
    if (has('funding_rate') || has('open_interest')) channels.push(`ticker.${perp}.100ms`);
    if (has('orderbook')) channels.push(`book.${perp}.100ms`);
  }
  return channels;
}

let rpcId = 0;
const rpc = (method: string, params: object) => JSON.stringify({ jsonrpc: '2.0', id: ++rpcId, method, params });

export function deribitFeeds(cfg: VenueConfig): FeedSpec[] {
  return shards(deribitChannels(cfg), cfg.max_streams_per_connection).map((channels, i) => ({
    name: `${cfg.name}/${i}`,
    url: cfg.ws_url,
    onOpen: () => [rpc('public/set_heartbeat', { interval: HEARTBEAT_S }), rpc('public/subscribe', { channels })],
    reply: (text) => (text.includes('"test_request"') ? rpc('public/test', {}) : undefined),
    staleMs: Math.max(cfg.stale_after_ms, HEARTBEAT_S * 3000),
  }));
}
