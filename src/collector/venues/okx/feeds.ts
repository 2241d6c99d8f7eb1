/**
 * OKX v5 public feeds: subscriptions are sent on open (in batches, as OKX counts
 * subscribe operations); the connection is kept alive with a text "ping" when idle
 * (OKX closes after 30 s of silence) and its "pong" is not passed on.
 */
import type { VenueConfig } from '../../config.js';
import { isDatedSymbol } from '../../symbols.js';
import { okxInstId } from './symbols.js';
import type { FeedSpec } from '../../feeds/feed.js';
import { shards } from '../../feeds/shard.js';

type Arg = { channel: string; instId?: string; instType?: string };

export function okxArgs(cfg: VenueConfig): Arg[] {
  const perp = cfg.name === 'okx_derivatives';
  const has = (t: string) => cfg.data_types.includes(t as never);
  const args: Arg[] = [];
  for (const symbol of cfg.symbols) {
    const instId = okxInstId(symbol, perp ? 'perpetual' : 'spot');
    if (has('orderbook')) args.push({ channel: 'books', instId });
    if (has('trade')) args.push({ channel: 'trades', instId });
    const dated = isDatedSymbol(symbol); // futures have no funding
    if (perp && !dated && has('funding_rate')) {
      // Funding records carry the swap's mark price and its underlying's index price.
      args.push({ channel: 'funding-rate', instId }, { channel: 'mark-price', instId }, { channel: 'index-tickers', instId: symbol });
    }
    if (perp && has('open_interest')) args.push({ channel: 'open-interest', instId });
  }
  // One channel for every swap: OKX has no per-instrument liquidation channel.
  if (perp && has('liquidation')) args.push({ channel: 'liquidation-orders', instType: 'SWAP' });
  return args;
}

export function okxFeeds(cfg: VenueConfig): FeedSpec[] {
  return shards(okxArgs(cfg), cfg.max_streams_per_connection).map((part, i) => ({
    name: `${cfg.name}/${i}`,
    url: cfg.ws_url,
    onOpen: () => shards(part, 20).map((args) => JSON.stringify({ op: 'subscribe', args })),
    sendSpacingMs: 100,
    swallow: (text) => text === 'pong',
    idlePing: { text: 'ping', afterMs: 20_000 },
    staleMs: Math.max(cfg.stale_after_ms, 35_000),
  }));
}
