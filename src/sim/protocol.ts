/** What each venue's WebSocket/REST dialect must provide to the simulator. */
import type { SimConnection } from './connection.js';
import type { Feed, Frame, RestReply, RestRequest, SimVenue } from './types.js';

export interface SimLimits {
  /** Binance: client messages per second per connection before the server disconnects (spot 5, USDⓈ-M 10). */
  binanceMessagesPerSec?: number;
  /** Binance: the server cuts every connection after this long (24 h). */
  maxConnectionMs?: number;
  /** Binance: server ping interval and how long it waits for a pong. */
  pingIntervalMs?: number;
  pongTimeoutMs?: number;
  /** OKX: close a connection after this long without traffic either way (30 s). */
  okxIdleTimeoutMs?: number;
  /** Deribit: smallest accepted `public/set_heartbeat` interval in seconds (10). */
  deribitMinHeartbeatSec?: number;
  /** Binance REST request weight per minute before 429 (spot 6000, USDⓈ-M 2400). */
  restWeightPerMin?: number;
}

export interface ProtocolContext {
  readonly feed: Feed;
  readonly limits: SimLimits;
  /** Adds the subscription and lets the feed send its initial snapshot. */
  subscribe(conn: SimConnection, topic: string): void;
  unsubscribe(conn: SimConnection, topic: string): void;
  /** A REST call made over the socket (Deribit JSON-RPC methods). */
  rest(req: RestRequest): Promise<RestReply>;
}

/** A recorded REST endpoint a replay serves once per recorded body, in step with the stream. */
export interface SnapshotEndpoint {
  /** Identifies the instrument's snapshots (path + instrument). */
  key: string;
  /** True for the book topics this snapshot belongs to. */
  isBookTopic(topic: string): boolean;
}

export interface VenueProtocol {
  readonly venue: SimVenue;
  /** The `ws_url` a collector is configured with, given `ws://host:port`. */
  wsUrl(base: string): string;
  accepts(url: URL): boolean;
  open(conn: SimConnection, ctx: ProtocolContext): void;
  message(conn: SimConnection, text: string, ctx: ProtocolContext): void;
  /** The text of `frame` for this connection, or undefined when the connection does not get it. */
  render(conn: SimConnection, frame: Frame): string | undefined;
  /** Topic and kind of a recorded frame; undefined for replies and acks (the simulator makes its own). */
  classify(text: string): Pick<Frame, 'topic' | 'kind'> | undefined;
  /** The venue's body for an error status (429, 418, ...). */
  errorBody(status: number): string;
  /** Book-snapshot endpoints (replay hands each recorded body out once, in order). */
  snapshotEndpoint(req: RestRequest): SnapshotEndpoint | undefined;
}
