/**
 * The small HTTP server behind /health and /metrics. Handlers return a body; the
 * server never lets a slow or failing handler hang a scrape (a timeout answers 503).
 */
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from './logger.js';

export interface HttpReply {
  status: number;
  body: string;
  contentType?: string;
}
export interface HttpRequest {
  method: string;
  params: URLSearchParams;
  body: string;
  headers: IncomingHttpHeaders;
  /** True when the peer is on this machine. */
  local: boolean;
}
export type Route = (req: HttpRequest) => Promise<HttpReply> | HttpReply;

export interface HttpServer {
  readonly port: number;
  close(): Promise<void>;
}

export type HealthStatus = 'healthy' | 'degraded' | 'failing';

/** 200 for healthy and degraded (still doing its job), 503 for failing. */
export function healthReply(report: { status: HealthStatus }): HttpReply {
  return {
    status: report.status === 'failing' ? 503 : 200,
    body: JSON.stringify(report, null, 2) + '\n',
    contentType: 'application/json',
  };
}

const HANDLER_TIMEOUT_MS = 30_000;
const MAX_BODY = 1 << 20;

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) req.destroy(new Error('request body too large'));
      else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export async function startHttpServer(opts: { host: string; port: number; routes: Record<string, Route>; name: string }, log: Logger): Promise<HttpServer> {
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const route = opts.routes[url.pathname];
    if (!route || !['GET', 'HEAD', 'POST'].includes(req.method ?? '')) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end(`not found; try ${Object.keys(opts.routes).join(', ')}\n`);
      return;
    }
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<HttpReply>((resolve) => {
      timer = setTimeout(() => resolve({ status: 503, body: 'handler timed out\n' }), HANDLER_TIMEOUT_MS);
    });
    const remote = req.socket.remoteAddress ?? '';
    const local = remote === '::1' || remote.startsWith('127.') || remote.startsWith('::ffff:127.');
    void readBody(req)
      .then((body) =>
        Promise.race<HttpReply>([Promise.resolve(route({ method: req.method!, params: url.searchParams, body, headers: req.headers, local })), timeout]),
      )
      .catch((err: Error): HttpReply => ({ status: 500, body: `error: ${err.message}\n` }))
      .then((reply) => {
        clearTimeout(timer);
        res.writeHead(reply.status, { 'content-type': reply.contentType ?? 'text/plain; charset=utf-8' });
        res.end(req.method === 'HEAD' ? undefined : reply.body);
      })
      .catch(() => res.destroy()); // the client went away mid-reply: nothing left to tell it
  });
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  }).catch((err: Error) => {
    throw new Error(`${opts.name}: cannot listen on ${opts.host}:${opts.port}: ${err.message}`, { cause: err });
  });
  const port = (server.address() as AddressInfo).port;
  log.info({ host: opts.host, port, paths: Object.keys(opts.routes) }, `${opts.name} listening`);
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
