/**
 * Binance WebSocket feeds. Spot: combined streams on `/stream?streams=...`.
 * USDⓈ-M routes by path: depth on `/public/stream`, aggTrade, markPrice and
 * forceOrder on `/market/stream` (a stream on the wrong path is silently empty).
 * Subscriptions ride in the URL, so nothing is sent on open; the server's pings
 * are answered by `ws` itself. Connections are rotated before the 24 h cut.
 */
import type { VenueConfig } from '../../config.js';
import { binanceWire } from './symbols.js';
import type { FeedSpec } from '../../feeds/feed.js';
import { shards } from '../../feeds/shard.js';

export function binanceFeeds(cfg: VenueConfig): FeedSpec[] {
  const usdm = cfg.name === 'binance_derivatives';
  const routes = new Map<string, string[]>(); // path -> streams
  const add = (path: string, stream: string) => routes.set(path, [...(routes.get(path) ?? []), stream]);
  for (const symbol of cfg.symbols) {
    const s = binanceWire(symbol).toLowerCase();
    const has = (t: string) => cfg.data_types.includes(t as never);
    if (has('orderbook')) add(usdm ? '/public/stream' : '/stream', `${s}@depth@100ms`);
    if (has('trade')) add(usdm ? '/market/stream' : '/stream', `${s}@aggTrade`);
    // The mark price also values open interest (open_interest_value).
    if (has('funding_rate') || has('open_interest')) add('/market/stream', `${s}@markPrice@1s`);
    if (has('liquidation')) add('/market/stream', `${s}@forceOrder`);
  }
  const specs: FeedSpec[] = [];
  for (const [path, streams] of routes) {
    for (const part of shards(streams, cfg.max_streams_per_connection)) {
      specs.push({
        name: `${cfg.name}${path.replace('/stream', '') || ''}/${specs.length}`,
        url: `${cfg.ws_url}${path}?streams=${part.join('/')}`,
        onOpen: () => [],
        staleMs: cfg.stale_after_ms,
        rotateAfterMs: cfg.rotate_after_ms || undefined,
        sendSpacingMs: 250,
      });
    }
  }
  return specs;
}
