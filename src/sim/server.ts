/**
 * The simulator's one loopback port: venue REST, WebSocket upgrades, and a small
 * control API (`POST /__sim/inject`, `GET /__sim/stats`) for humans and scripts.
 * REST goes through the fault plan (delays, forced errors) before the feed.
 */
import { rawText } from '../collector/feeds/feed.js';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { SimConnection } from './connection.js';
import { restErrorReply, type FaultPlan, type Injection } from './faults.js';
import type { Hub } from './hub.js';
import type { ProtocolContext, VenueProtocol } from './protocol.js';
import type { Feed, RestReply, RestRequest, SimStats } from './types.js';
import type { Logger } from '../core/logger.js';

export interface SimServerParts {
  protocol: VenueProtocol;
  feed: Feed;
  faults: FaultPlan;
  hub: Hub;
  stats: SimStats;
  ctx: ProtocolContext;
  inject(injection: Injection): void;
  logger: Logger | undefined;
}

const MAX_CONTROL_BODY = 64 * 1024;

export class SimServer {
  private readonly http: Server;
  private readonly wss = new WebSocketServer({ noServer: true, autoPong: false, perMessageDeflate: false });
  private readonly delays = new Set<{ timer: NodeJS.Timeout; resolve: () => void }>();
  /** Requests being answered: close() lets them finish (a delayed one answers 503) before dropping sockets. */
  private readonly inflight = new Set<Promise<void>>();
  private stopping = false;

  private constructor(private readonly parts: SimServerParts) {
    this.http = createServer((req, res) => {
      const answered = this.handle(req, res).catch(async (err: unknown) => {
        parts.logger?.error({ err }, 'simulator request failed');
        if (!res.headersSent) await send(res, { status: 500, body: JSON.stringify({ error: String(err) }) });
        else res.destroy();
      });
      this.inflight.add(answered);
      void answered.finally(() => this.inflight.delete(answered));
    });
    this.http.on('upgrade', (req: IncomingMessage, socket, head) => {
      const url = new URL(req.url ?? '/', 'ws://sim');
      if (this.stopping || !parts.protocol.accepts(url)) {
        socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
        return;
      }
      this.wss.handleUpgrade(req, socket, head, (ws) => {
        const conn = new SimConnection(ws, url, parts.stats);
        parts.hub.add(conn);
        ws.on('message', (data, isBinary) => {
          conn.lastClientMessageAt = Date.now();
          if (!isBinary) parts.protocol.message(conn, rawText(data), parts.ctx);
        });
        ws.on('error', () => conn.terminate());
        parts.protocol.open(conn, parts.ctx);
      });
    });
  }

  static async listen(parts: SimServerParts, host: string, port: number): Promise<SimServer> {
    const server = new SimServer(parts);
    await new Promise<void>((resolve, reject) => {
      server.http.once('error', reject);
      server.http.listen(port, host, () => {
        server.http.off('error', reject);
        resolve();
      });
    });
    return server;
  }

  get port(): number {
    return (this.http.address() as AddressInfo).port;
  }

  /** Closes every socket, HTTP connection and pending timer. */
  async close(): Promise<void> {
    this.stopping = true;
    for (const d of this.delays) {
      clearTimeout(d.timer);
      d.resolve();
    }
    this.delays.clear();
    await Promise.allSettled([...this.inflight]);
    this.parts.hub.closeAll('terminate');
    const closed = new Promise<void>((resolve) => this.http.close(() => resolve()));
    this.http.closeAllConnections();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
    await closed;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://sim');
    if (url.pathname.startsWith('/__sim/')) return this.control(url.pathname, req, res);
    if (req.method !== 'GET') return send(res, { status: 405, body: this.parts.protocol.errorBody(405) });
    const { faults, stats, protocol, feed } = this.parts;
    stats.restRequests++;
    const delay = faults.takeRestDelay(url.pathname);
    if (delay > 0) await this.sleep(delay);
    if (this.stopping) return send(res, { status: 503, body: protocol.errorBody(503) });
    const forced = faults.takeRestError(url.pathname);
    if (forced) {
      stats.restErrors++;
      return send(res, restErrorReply(forced, protocol.errorBody(forced.status)));
    }
    const request: RestRequest = { path: url.pathname, params: url.searchParams };
    const reply = await feed.rest(request);
    if (reply.status === 429 || reply.status === 418) stats.restErrors++;
    return send(res, reply);
  }

  private async control(path: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (path === '/__sim/stats' && req.method === 'GET') return send(res, { status: 200, body: JSON.stringify(this.parts.stats) });
    if (path === '/__sim/inject' && req.method === 'POST') {
      let body = '';
      for await (const chunk of req) {
        body += String(chunk);
        if (body.length > MAX_CONTROL_BODY) return send(res, { status: 413, body: '{"error":"body too large"}' });
      }
      try {
        this.parts.inject(JSON.parse(body) as Injection);
      } catch (err) {
        return send(res, { status: 400, body: JSON.stringify({ error: (err as Error).message }) });
      }
      return send(res, { status: 200, body: '{"ok":true}' });
    }
    return send(res, { status: 404, body: '{"error":"unknown control path; use POST /__sim/inject or GET /__sim/stats"}' });
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const d = {
        timer: setTimeout(() => {
          this.delays.delete(d);
          resolve();
        }, ms),
        resolve,
      };
      this.delays.add(d);
    });
  }
}

/** Resolves once the answer is handed to the socket (or the socket is gone). */
function send(res: ServerResponse, reply: RestReply): Promise<void> {
  return new Promise((resolve) => {
    res.once('close', resolve);
    res.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers });
    res.end(reply.body, resolve);
  });
}
