/**
 * The contract between a venue adapter (pure normalization and book sync, no I/O)
 * and what drives it: the live feeds, `record`, and `replay`. The same adapter code
 * runs in all three; only the environment (how snapshots are fetched, what "now" is)
 * and the sink (where records and events go) differ.
 */
import type { MarketRecord, OrderbookRecord } from '../core/model.js';
import type { InstrumentInfo } from './instruments/types.js';

/** Closed set of things that can go wrong with venue data; each is a metric label. */
export const PROBLEMS = [
  'gap', // a sequence break: the book is dropped and resynced
  'crossed', // best bid >= best ask after an update: resynced
  'crossed_auction', // a crossed OKX book whose sequence is intact (pre-open call auction): published, not resynced
  'checksum', // OKX CRC32 mismatch: resynced
  'malformed', // a frame or body that does not parse or lacks fields
  'venue_error', // an error frame from the venue
  'unsupported', // an instrument outside the data model (e.g. an OKX option)
  'snapshot_failed', // the REST snapshot could not be fetched
  'unknown_instrument', // no instrument metadata (contract size) yet: nothing published rather than a wrong quantity
  // A value the data model cannot hold; the level, trade or record is dropped, a book it was for is resynced:
  'bad_price', // a price (or mark/index price, index value) that is zero or negative
  'bad_quantity', // a negative quantity, a zero one where it does not mean "level removed", or one too large once in base
  'bad_id', // a sequence or trade id that is negative or beyond what is exact (2^53, UInt64 for text ids)
  'bad_time', // a timestamp outside 2000-01-01 .. 2106-02-07 (seconds for ms, garbage)
] as const;
export type Problem = (typeof PROBLEMS)[number];

export interface SnapshotRequest {
  /** What the snapshot is for, e.g. "BTCUSDT"; answers come back under this key. */
  key: string;
  url: string;
  /** The venue's request weight for this call (rate limiting). */
  weight: number;
}

/** What a problem report says besides its kind. */
export interface ProblemDetail {
  symbol?: string;
  message: string;
}

/** Why a book was dropped and is being rebuilt. */
export type ResyncReason = Problem | 'reconnect';

/**
 * Everything that flows out of a venue: its records and the events the daemon counts.
 * The one sink between an adapter and the publisher: the daemon (metrics, publisher),
 * `record` and `replay` each give one to the venue, and each layer on the way replaces
 * only what it adds and hands the rest on as it is (VenueSession: the problem log and
 * resync lines; LiveVenue: the symbol filter and fleet routing of records).
 *
 * A plain object of functions: they are passed on detached, never called through `this`.
 */
export interface VenueEvents {
  /** A finished record (a book as publish_interval lets it out, a trade, funding, ...). */
  record(r: MarketRecord): void;
  /** Something wrong with venue data; the session has counted and (rate-limited) logged it. */
  problem?(kind: Problem, detail: ProblemDetail): void;
  /** A book was dropped and is being rebuilt (after a gap, crossing, checksum or reconnect). */
  resync?(symbol: string, reason: ResyncReason): void;
  /** Live: a frame (`ws`) or REST body (`rest`) came in. */
  messageIn?(source: 'ws' | 'rest'): void;
  /** Live: the feed `feed` is reconnecting. */
  reconnect?(feed: string): void;
  /** Live: the venue answered a REST call with this status to slow down (418, 429). */
  throttled?(status: number): void;
}

/**
 * The environment a venue runs in, kept apart from the sink: what "now" is, and the
 * venue's side of the conversation (snapshots, frames sent, instrument metadata).
 * A plain object of functions, as VenueEvents.
 */
export interface VenueEnv {
  /** Local receipt time of what is being handled, ms (capture time in replay). */
  now(): number;
  /** Fetch a REST snapshot; the answer comes back through VenueAdapter.onSnapshot (or onSnapshotFailed). */
  requestSnapshot(req: SnapshotRequest): void;
  /** Send a frame on a connection (e.g. Deribit resubscribe after a gap). */
  send(conn: string, text: string): void;
  /** Metadata of a venue instrument (by its wire name), or undefined while unknown. */
  instrument(wire: string): InstrumentInfo | undefined;
}

/** What an adapter calls: its environment, the sink's venue-data part, and book changes (publish_interval). */
export interface AdapterContext extends VenueEnv, Required<Pick<VenueEvents, 'record' | 'problem' | 'resync'>> {
  /**
   * The book behind `key` changed at a message boundary. `build` is called now or
   * later (publish_interval) and returns the current state, or undefined if the book
   * is no longer in sync.
   */
  bookChanged(key: string, build: () => OrderbookRecord | undefined): void;
}

export interface VenueAdapter {
  /** One text frame received on connection `conn`. Never throws. */
  onMessage(conn: string, text: string): void;
  onSnapshot(key: string, body: string): void;
  onSnapshotFailed(key: string, err: Error): void;
  /** The connection dropped unexpectedly: books it fed can no longer be trusted. */
  connectionLost(conn: string): void;
  /**
   * Records from a polled REST body (open interest, long/short ratios), chosen by the
   * URL; undefined when the URL is not one this venue polls. Throws on a malformed body;
   * a body holding a value the model cannot hold (bad_price, ...) is counted and gives none.
   * Live pollers and replay both use it, so recorded bodies map as live ones do.
   */
  restRecords(url: string, body: string): MarketRecord[] | undefined;
  /** The snapshot key a REST URL answers (for replay), or undefined if it is not a book snapshot. */
  snapshotKeyOf(url: string): string | undefined;
}
