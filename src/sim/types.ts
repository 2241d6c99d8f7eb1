/** Shared vocabulary of the exchange simulator. */
import { isVenueKind, VENUE_KINDS, type VenueKind } from '../collector/venues/registry.js';
import type { SimConnection } from './connection.js';

/** The simulator serves every protocol of the venue registry. */
export const SIM_VENUES = VENUE_KINDS;
export type SimVenue = VenueKind;

export function isSimVenue(value: unknown): value is SimVenue {
  return typeof value === 'string' && isVenueKind(value);
}

/** A market-data message for the subscribers of one topic. */
export interface Frame {
  /** Binance stream name, OKX `channel/instId`, Deribit channel. */
  topic: string;
  /** The venue's wire text (Binance: the combined-stream form `{"stream":..,"data":..}`). */
  text: string;
  /** `book-diff` frames are what a drop-diff injection removes (heartbeat pushes are `other`). */
  kind: 'book-diff' | 'other';
}

export interface RestRequest {
  path: string;
  params: URLSearchParams;
}

export interface RestReply {
  status: number;
  body: string;
  headers?: Record<string, string>;
}

export function jsonReply(value: unknown, status = 200, headers?: Record<string, string>): RestReply {
  return { status, body: JSON.stringify(value), ...(headers ? { headers } : {}) };
}

/** Where market data comes from: a generated market or a recorded session. */
export interface Feed {
  /** Whether a subscription to this topic will ever carry data (unknown instruments get the venue's error). */
  knows(topic: string): boolean;
  /**
   * A connection is about to join a topic. The feed may flush pending pushes to the
   * current subscribers and send this one its initial snapshot (OKX 2025, Deribit),
   * so the snapshot's id is exactly where the next push starts.
   */
  subscribing(conn: SimConnection, topic: string): void;
  rest(req: RestRequest): RestReply | Promise<RestReply>;
  stop(): void;
}

/** Sends frames to the connections subscribed to their topic. */
export interface FramePublisher {
  publish(frame: Frame): void;
  /** Whether anyone subscribes to the topic (producers skip formatting frames nobody gets). */
  wants(topic: string): boolean;
  /** Largest send buffer among connections: producers wait while it is high. */
  maxBufferedBytes(): number;
}

export interface SimStats {
  connectionsOpen: number;
  connectionsTotal: number;
  subscriptions: number;
  framesSent: number;
  /** Book diffs removed by drop-diff injections. */
  framesDropped: number;
  /** Frames not sent because their connection is stalled. */
  framesStalled: number;
  restRequests: number;
  /** REST answers forced by injections (429, 418, ...) or by the request-weight limit. */
  restErrors: number;
  /** Replay only: recorded frames the replay has reached (sent to their subscribers, if any), and whether it is over. */
  replayFrames: number;
  replayDone: boolean;
}

export function emptyStats(): SimStats {
  return {
    connectionsOpen: 0,
    connectionsTotal: 0,
    subscriptions: 0,
    framesSent: 0,
    framesDropped: 0,
    framesStalled: 0,
    restRequests: 0,
    restErrors: 0,
    replayFrames: 0,
    replayDone: false,
  };
}
