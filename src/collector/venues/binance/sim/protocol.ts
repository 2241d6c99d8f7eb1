/**
 * Binance market-stream dialect, spot, USDⓈ-M and COIN-M:
 * - `/stream?streams=a/b` (combined: `{"stream":..,"data":..}`) and `/ws[/a]` (raw data);
 * - `{"method":"SUBSCRIBE"|"UNSUBSCRIBE"|"LIST_SUBSCRIPTIONS","params":[..],"id":n}`;
 * - server pings, a pong deadline, a message-rate limit and the 24 h cut;
 * - USDⓈ-M routes by path: `/public/...` carries depth and bookTicker, `/market/...`
 *   everything else, and a path without a route carries only the public streams
 *   (the rest is silently not delivered, as the venue does).
 */
import type { SimConnection } from '../../../../sim/connection.js';
import type { ProtocolContext, SnapshotEndpoint, VenueProtocol } from '../../../../sim/protocol.js';
import type { Frame, RestRequest } from '../../../../sim/types.js';

type Route = 'public' | 'market' | 'unrouted';
interface BinanceConnState {
  combined: boolean;
  route: Route;
  recent: number[];
}

const MAX_STREAMS = 1024;
const SPOT_PATH_RE = /^\/(stream|ws)(?:\/(.*))?$/;
const USDM_PATH_RE = /^(?:\/(public|market))?\/(stream|ws)(?:\/(.*))?$/;

export interface BinanceDialect {
  venue: 'binance-spot' | 'binance-usdm' | 'binance-coinm';
  /** USDⓈ-M routes streams by path (`/public`, `/market`); spot and COIN-M do not. */
  routed: boolean;
  defaults: { messagesPerSec: number; pingIntervalMs: number; pongTimeoutMs: number };
  /** REST path of the book snapshot. */
  depthPath: string;
}

export const BINANCE_SPOT: BinanceDialect = {
  venue: 'binance-spot',
  routed: false,
  defaults: { messagesPerSec: 5, pingIntervalMs: 20_000, pongTimeoutMs: 60_000 },
  depthPath: '/api/v3/depth',
};
export const BINANCE_USDM: BinanceDialect = {
  venue: 'binance-usdm',
  routed: true,
  defaults: { messagesPerSec: 10, pingIntervalMs: 180_000, pongTimeoutMs: 600_000 },
  depthPath: '/fapi/v1/depth',
};
export const BINANCE_COINM: BinanceDialect = {
  venue: 'binance-coinm',
  routed: false,
  defaults: { messagesPerSec: 10, pingIntervalMs: 180_000, pongTimeoutMs: 600_000 },
  depthPath: '/dapi/v1/depth',
};

/** USDⓈ-M route a stream belongs to. */
export function usdmRoute(stream: string): 'public' | 'market' {
  return /@depth|@bookTicker$|^!bookTicker$/.test(stream) ? 'public' : 'market';
}

/** The depth frames a book snapshot of `symbol` (e.g. BTCUSDT) belongs to. */
export function isDepthTopicOf(symbol: string, topic: string): boolean {
  return topic.startsWith(`${symbol.toLowerCase()}@depth`) && !/@depth\d/.test(topic);
}

export class BinanceProtocol implements VenueProtocol {
  readonly venue: BinanceDialect['venue'];

  constructor(private readonly dialect: BinanceDialect) {
    this.venue = dialect.venue;
  }

  wsUrl(base: string): string {
    return base;
  }

  accepts(url: URL): boolean {
    return (this.dialect.routed ? USDM_PATH_RE : SPOT_PATH_RE).test(url.pathname);
  }

  open(conn: SimConnection, ctx: ProtocolContext): void {
    const routed = this.dialect.routed;
    const m = (routed ? USDM_PATH_RE : SPOT_PATH_RE).exec(conn.url.pathname)!;
    const [kind, rest] = routed ? [m[2], m[3]] : [m[1], m[2]];
    const route: Route = routed ? ((m[1] as Route | undefined) ?? 'unrouted') : 'public';
    const state: BinanceConnState = { combined: kind === 'stream', route, recent: [] };
    conn.venueState = state;
    const initial = kind === 'stream' ? (conn.url.searchParams.get('streams') ?? '') : (rest ?? '');
    for (const stream of initial.split('/').filter(Boolean).slice(0, MAX_STREAMS)) ctx.subscribe(conn, stream);

    const { limits } = ctx;
    const pingEvery = limits.pingIntervalMs ?? this.dialect.defaults.pingIntervalMs;
    const pongWithin = limits.pongTimeoutMs ?? this.dialect.defaults.pongTimeoutMs;
    conn.every(pingEvery, () => {
      if (conn.stalled) return;
      if (Date.now() - conn.lastPongAt > pongWithin) conn.terminate();
      else conn.ws.ping();
    });
    conn.after(limits.maxConnectionMs ?? 24 * 3600_000, () => conn.close(1000, 'connection lifetime reached'));
  }

  message(conn: SimConnection, text: string, ctx: ProtocolContext): void {
    const state = conn.venueState as BinanceConnState;
    const now = Date.now();
    state.recent = state.recent.filter((t) => now - t < 1000);
    state.recent.push(now);
    if (state.recent.length > (ctx.limits.binanceMessagesPerSec ?? this.dialect.defaults.messagesPerSec)) {
      conn.close(1008, 'Too many messages');
      return;
    }
    let req: { method?: unknown; params?: unknown; id?: unknown };
    try {
      req = JSON.parse(text) as typeof req;
    } catch {
      conn.send(JSON.stringify({ error: { code: 3, msg: 'Invalid JSON: expected value at line 1 column 1' }, id: null }));
      return;
    }
    const id = req.id ?? null;
    const params = Array.isArray(req.params) ? req.params : [];
    switch (req.method) {
      case 'SUBSCRIBE':
      case 'UNSUBSCRIBE': {
        if (!params.every((p): p is string => typeof p === 'string')) return this.error(conn, 2, 'Invalid request: streams must be strings', id);
        if (req.method === 'SUBSCRIBE') {
          if (conn.topics.size + params.length > MAX_STREAMS) return this.error(conn, 2, `Invalid request: more than ${MAX_STREAMS} streams`, id);
          // The reply goes first: a snapshot the feed sends on subscribe must follow it.
          conn.send(JSON.stringify({ result: null, id }));
          for (const p of params) ctx.subscribe(conn, p);
        } else {
          for (const p of params) ctx.unsubscribe(conn, p);
          conn.send(JSON.stringify({ result: null, id }));
        }
        return;
      }
      case 'LIST_SUBSCRIPTIONS':
        conn.send(JSON.stringify({ result: [...conn.topics], id }));
        return;
      case 'SET_PROPERTY':
        if (params[0] === 'combined' && typeof params[1] === 'boolean') {
          state.combined = params[1];
          conn.send(JSON.stringify({ result: null, id }));
        } else this.error(conn, 0, 'Unknown property', id);
        return;
      case 'GET_PROPERTY':
        if (params[0] === 'combined') conn.send(JSON.stringify({ result: state.combined, id }));
        else this.error(conn, 0, 'Unknown property', id);
        return;
      default:
        this.error(conn, 2, `Invalid request: unknown method ${JSON.stringify(req.method)}`, id);
    }
  }

  render(conn: SimConnection, frame: Frame): string | undefined {
    const state = conn.venueState as BinanceConnState;
    if (this.dialect.routed) {
      const route = usdmRoute(frame.topic);
      if (state.route === 'unrouted' ? route !== 'public' : route !== state.route) return undefined;
    }
    return state.combined ? frame.text : unwrapData(frame.text);
  }

  classify(text: string): Pick<Frame, 'topic' | 'kind'> | undefined {
    const m = STREAM_RE.exec(text);
    if (!m) return undefined;
    const topic = m[1]!;
    const diff = text.includes('"e":"depthUpdate"') && !/@depth\d/.test(topic);
    return { topic, kind: diff ? 'book-diff' : 'other' };
  }

  errorBody(status: number): string {
    if (status === 429)
      return JSON.stringify({
        code: -1003,
        msg: 'Too many requests; current limit of IP is exceeded. Please use WebSocket Streams for live updates to avoid polling the API.',
      });
    if (status === 418) return JSON.stringify({ code: -1003, msg: 'Way too many requests; IP banned until further notice.' });
    return JSON.stringify({ code: -1000, msg: `simulated HTTP ${status}` });
  }

  snapshotEndpoint(req: RestRequest): SnapshotEndpoint | undefined {
    const symbol = req.params.get('symbol');
    if (req.path !== this.dialect.depthPath || !symbol) return undefined;
    return { key: `${req.path}?symbol=${symbol}`, isBookTopic: (topic) => isDepthTopicOf(symbol, topic) };
  }

  private error(conn: SimConnection, code: number, msg: string, id: unknown): void {
    conn.send(JSON.stringify({ error: { code, msg }, id }));
  }
}

const STREAM_RE = /^\{"stream":"([^"]+)","data":/;

/** The `data` member of a combined-stream frame, as text (no re-serialisation: ids stay exact). */
export function unwrapData(text: string): string {
  const m = STREAM_RE.exec(text);
  return m ? text.slice(m[0].length, text.lastIndexOf('}')) : text;
}

/** The combined-stream frame for `data` already serialised. */
export function combined(stream: string, dataText: string): string {
  return `{"stream":"${stream}","data":${dataText}}`;
}
