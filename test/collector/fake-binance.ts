/**
 * A small scripted Binance spot venue on loopback for the collector's live-path tests
 * (WebSocket combined stream + REST depth), with the faults the collector must
 * survive: a dropped diff, a closed socket, a silent socket, a 429 on the snapshot.
 * It keeps the true book, so tests can check the collector's books against it.
 * (The project's full exchange simulator lives in src/sim; this stays tiny on purpose.)
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';

export interface FakeBinance {
  wsUrl: string;
  restUrl: string;
  /** Every state the venue went through: update id -> full book (best first). */
  history: Map<number, { bids: [string, string][]; asks: [string, string][] }>;
  stats: { connections: number; snapshots: number; rejected: number };
  /** The next diff is applied to the true book but not sent. */
  dropNextDiff(): void;
  /** Stop sending on open sockets without closing them. */
  silence(on: boolean): void;
  closeSockets(): void;
  /** Answer the next `n` snapshot requests with 429 + Retry-After `seconds`. */
  reject429(n: number, seconds: number): void;
  openSockets(): number;
  close(): Promise<void>;
}

export async function startFakeBinance(opts: { tickMs?: number; seed?: number; port?: number } = {}): Promise<FakeBinance> {
  let seed = opts.seed ?? 42;
  const rand = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  const bids = new Map<string, string>();
  const asks = new Map<string, string>();
  const price = (lo: number) => (lo + Math.floor(rand() * 1000) / 100).toFixed(2);
  for (let i = 0; i < 50; i++) {
    bids.set(price(95), (1 + Math.floor(rand() * 1000) / 1000).toFixed(3));
    asks.set(price(105), (1 + Math.floor(rand() * 1000) / 1000).toFixed(3));
  }
  const sorted = (m: Map<string, string>, desc: boolean) =>
    [...m.entries()].sort((a, b) => (desc ? Number(b[0]) - Number(a[0]) : Number(a[0]) - Number(b[0]))) as [string, string][];
  let id = 1000;
  let tradeId = 1;
  const history: FakeBinance['history'] = new Map([[id, { bids: sorted(bids, true), asks: sorted(asks, false) }]]);
  const stats = { connections: 0, snapshots: 0, rejected: 0 };
  let drop = 0;
  let silent = false;
  let rejects = { n: 0, seconds: 0 };

  const http: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname !== '/api/v3/depth') return void res.writeHead(404).end();
    if (rejects.n > 0) {
      rejects.n--;
      stats.rejected++;
      return void res.writeHead(429, { 'retry-after': String(rejects.seconds) }).end('{"code":-1003,"msg":"Too many requests"}');
    }
    stats.snapshots++;
    res.writeHead(200, { 'content-type': 'application/json', 'x-mbx-used-weight-1m': String(stats.snapshots * 50) });
    res.end(JSON.stringify({ lastUpdateId: id, bids: sorted(bids, true), asks: sorted(asks, false) }));
  });
  const wss = new WebSocketServer({ server: http });
  wss.on('connection', (ws: WebSocket) => {
    stats.connections++;
    ws.on('error', () => undefined);
  });

  const tick = setInterval(() => {
    const U = id + 1;
    const b: [string, string][] = [];
    const a: [string, string][] = [];
    for (let k = 1 + Math.floor(rand() * 3); k > 0; k--) {
      const isBid = rand() < 0.5;
      const p = price(isBid ? 95 : 105);
      const q = rand() < 0.3 ? '0.000' : (Math.floor(rand() * 5000) / 1000).toFixed(3);
      (isBid ? b : a).push([p, q]);
      const side = isBid ? bids : asks;
      if (q === '0.000') side.delete(p);
      else side.set(p, q);
      id++;
    }
    history.set(id, { bids: sorted(bids, true), asks: sorted(asks, false) });
    const E = Date.now();
    const frames = [JSON.stringify({ stream: 'btcusdt@depth@100ms', data: { e: 'depthUpdate', E, s: 'BTCUSDT', U, u: id, b, a } })];
    if (rand() < 0.3) {
      frames.push(
        JSON.stringify({
          stream: 'btcusdt@aggTrade',
          data: { e: 'aggTrade', E, s: 'BTCUSDT', a: tradeId++, p: '105.00', q: '0.010', f: 1, l: 1, T: E, m: rand() < 0.5, M: true },
        }),
      );
    }
    if (drop > 0) {
      drop--;
      frames.shift();
    }
    if (silent) return;
    for (const ws of wss.clients) for (const f of frames) ws.send(f);
  }, opts.tickMs ?? 10);

  await new Promise<void>((r) => http.listen(opts.port ?? 0, '127.0.0.1', r));
  const port = (http.address() as AddressInfo).port;
  return {
    wsUrl: `ws://127.0.0.1:${port}`,
    restUrl: `http://127.0.0.1:${port}`,
    history,
    stats,
    dropNextDiff: () => void drop++,
    silence: (on) => void (silent = on),
    closeSockets: () => wss.clients.forEach((ws) => ws.close()),
    reject429: (n, seconds) => void (rejects = { n, seconds }),
    openSockets: () => wss.clients.size,
    close: async () => {
      clearInterval(tick);
      for (const ws of wss.clients) ws.terminate();
      await new Promise<void>((r) => wss.close(() => r()));
      http.closeAllConnections();
      await new Promise<void>((r) => http.close(() => r()));
    },
  };
}
