/**
 * Binance WebSocket feeds. Spot and COIN-M: combined streams on `/stream?streams=...`.
 * USDⓈ-M routes by path: depth on `/public/stream`, aggTrade, markPrice and
 * forceOrder on `/market/stream` (a stream on the wrong path is silently empty).
 * Subscriptions ride in the URL, so nothing is sent on open; the server's pings
 * are answered by `ws` itself. Connections are rotated before the 24 h cut.
 */
import type { VenueConfig } from '../../config.js';
import type { FeedSpec } from '../../feeds/feed.js';
import { shards } from '../../feeds/shard.js';
import { binanceWire, type BinanceMarket } from './symbols.js';

/** The path each kind of stream goes on, per market. */
function route(market: BinanceMarket, kind: 'depth' | 'other'): string {
  if (market !== 'usdm') return '/stream';
  return kind === 'depth' ? '/public/stream' : '/market/stream';
}

export function binanceFeeds(market: BinanceMarket): (cfg: VenueConfig) => FeedSpec[] {
  return (cfg) => {
    const routes = new Map<string, string[]>(); // path -> streams
    const add = (kind: 'depth' | 'other', stream: string) => {
      const path = route(market, kind);
      routes.set(path, [...(routes.get(path) ?? []), stream]);
    };
    const has = (t: string) => cfg.data_types.includes(t as never);
    for (const symbol of cfg.symbols) {
      const s = binanceWire(symbol, market).toLowerCase();
      if (has('orderbook')) add('depth', `${s}@depth@100ms`);
      if (has('trade')) add('other', `${s}@aggTrade`);
      // The mark price also values open interest (open_interest_value; COIN-M: its base quantity).
      if (market !== 'spot' && (has('funding_rate') || has('open_interest'))) add('other', `${s}@markPrice@1s`);
      if (market !== 'spot' && has('liquidation')) add('other', `${s}@forceOrder`);
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
  };
}
