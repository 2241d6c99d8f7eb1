/**
 * What a venue is to the collector, declared once per venue in its folder
 * (venues/<venue>/index.ts) and gathered in venues/registry.ts, which config, live,
 * record, replay and the simulator read. Two levels:
 *   - a protocol (`VenueKind`, the `--venue` of record/replay/sim): one wire dialect,
 *     its adapter, its simulator side;
 *   - a configured venue (`venues.<name>` in collector.yaml): a protocol with the
 *     market it serves, its data types, defaults, feeds and polls.
 */
import type { DataType } from '../../core/model.js';
import type { SimVenueParts } from '../../sim/venue-registry.js';
import type { AdapterContext, VenueAdapter } from '../adapter.js';
import type { VenueConfig } from '../config.js';
import type { FeedSpec } from '../feeds/feed.js';
import type { InstrumentSource } from '../instruments/types.js';
import type { PollTarget } from '../rest/pollers.js';

export interface AdapterSettings {
  /** Levels per side in each orderbook record. */
  depth: number;
  restUrl: string;
  /** Levels asked of REST book snapshots. */
  snapshotLimit: number;
  /** Deribit: spacing of ticker-derived records. */
  tickerIntervalMs: number;
}

export interface ProtocolSpec {
  /** The venue's REST base URL (replay asks snapshots by it). */
  defaultRestUrl: string;
  /** File-name prefix of a capture, as cryptofeed names them (BINANCE, OKX, ...). */
  captureName: string;
  /** Other prefixes cryptofeed has used for this feed (OKEX). */
  captureAliases?: readonly string[];
  /** Where its instrument list comes from (ccxt) and how its rows read. */
  instruments: InstrumentSource;
  /** Its derivatives' quantities need the instrument list (contract sizes): it is loaded before their feeds start. */
  needsInstruments: boolean;
  createAdapter(ctx: AdapterContext, settings: AdapterSettings): VenueAdapter;
  /** The simulator side (loaded only by the simulator, which is not shipped in the packages). */
  sim(): Promise<SimVenueParts>;
}

export interface VenueDefaults {
  ws_url: string;
  rest_url: string;
  symbols: string[];
  data_types: DataType[];
  snapshot_limit: number;
  rest_weight_per_minute: number;
  max_streams_per_connection: number;
  rotate_after: string | number;
}

export interface VenueSpec<K extends string = string> {
  kind: K;
  /** What its records are: spot; perpetual (and dated futures); index (Deribit's mix). */
  market: 'spot' | 'perpetual' | 'index';
  /** The data types it can deliver. */
  types: readonly DataType[];
  defaults: VenueDefaults;
  feeds(cfg: VenueConfig): FeedSpec[];
  polls?(cfg: VenueConfig): PollTarget[];
  /** Venue rules beyond the shared ones (e.g. the snapshot depths a venue serves). */
  checkConfig?(cfg: VenueConfig, fail: (key: string, why: string) => void): void;
  /** The symbol records carry for a configured symbol (Deribit `BTC` -> `BTC-USD`); the same by default. */
  recordSymbol?(symbol: string): string;
  /** A cryptofeed recording's symbol as this venue's config symbol, or undefined when it is not this venue's. */
  fromCryptofeed(symbol: string): string | undefined;
}
