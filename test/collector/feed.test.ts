/**
 * Connection hygiene of the base feed against a local ws server: 1,000 reconnects
 * leave one socket open and the heap flat; rotation overlaps old and new and closes
 * the old one only after the new one delivers; idle pings and replies go out.
 */
import { rawText } from '../../src/collector/feeds/feed.js';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer, type WebSocket } from 'ws';
import { Feed, type FeedEvents, type FeedSpec } from '../../src/collector/feeds/feed.js';
import { waitFor } from '../../src/testing/ports.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

async function server(onConnection: (ws: WebSocket) => void) {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await new Promise((r) => wss.once('listening', r));
  wss.on('connection', (ws) => {
    ws.on('error', () => undefined);
    onConnection(ws);
  });
  const port = (wss.address() as { port: number }).port;
  return { wss, url: `ws://127.0.0.1:${port}/x`, close: () => new Promise<void>((r) => (wss.clients.forEach((c) => c.terminate()), wss.close(() => r()))) };
}

function events(log: string[] = []): FeedEvents & { log: string[]; messages: string[] } {
  const messages: string[] = [];
  return {
    log,
    messages,
    open: (conn) => log.push(`open ${conn}`),
    message: (_c, text) => messages.push(text),
    sent: (_c, _u, text) => log.push(`sent ${text}`),
    closed: (conn, planned) => log.push(`${planned ? 'closed' : 'lost'} ${conn}`),
    retrying: () => undefined,
  };
}

const spec = (url: string, extra: Partial<FeedSpec> = {}): FeedSpec => ({ name: 'test', url, onOpen: () => [], staleMs: 10_000, ...extra });
const tcpSockets = () => process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap').length;

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

describe('Feed', () => {
  it('reconnects 1,000 times with one socket open at a time and a flat heap', async () => {
    let connections = 0;
    // The venue accepts and sends one frame; then it hangs up (every other time) or goes
    // silent, so half the sockets must be given up and closed by the feed itself.
    const s = await server((ws) => {
      connections++;
      ws.send('hello');
      if (connections % 2 === 0) setImmediate(() => ws.close());
    });
    cleanup.push(s.close);
    const ev = events();
    const feed = new Feed(spec(s.url, { staleMs: 30 }), ev, { initialMs: 1, maxMs: 2 });
    cleanup.push(() => feed.stop());
    feed.start();

    const sample = async (n: number) => {
      await waitFor(`${n} connections`, () => connections >= n && feed.connects >= n && ev.messages.length >= n, 120_000, 5);
      expect(feed.sockets).toBeLessThanOrEqual(1);
      expect(s.wss.clients.size).toBeLessThanOrEqual(2); // the last one may still be closing on the server side
      gc();
      return { heap: process.memoryUsage().heapUsed, tcp: tcpSockets() };
    };
    const early = await sample(100);
    const late = await sample(1000);
    await feed.stop();
    await waitFor('the server to see no client', () => s.wss.clients.size === 0);
    gc();
    const after = { heap: process.memoryUsage().heapUsed, tcp: tcpSockets() };

    expect(ev.messages.length).toBeGreaterThanOrEqual(1000);
    expect(feed.connects).toBeGreaterThanOrEqual(1000);
    // 900 more connections than at the early sample, yet no more sockets (a few may be mid-teardown
    // at either sample; a leak would leave hundreds) and (almost) no more heap.
    expect(late.tcp).toBeLessThanOrEqual(early.tcp + 4);
    expect(after.tcp).toBeLessThanOrEqual(early.tcp + 4);
    expect(late.heap - early.heap).toBeLessThan(4 * 1024 * 1024);
    // every socket opened was closed, exactly once
    const opened = ev.log.filter((l) => l.startsWith('open ')).map((l) => l.slice(5));
    const closed = ev.log.filter((l) => l.startsWith('lost ') || l.startsWith('closed ')).map((l) => l.split(' ')[1]!);
    expect(new Set(closed).size).toBe(closed.length);
    const closedSet = new Set(closed);
    expect(opened.filter((id) => !closedSet.has(id))).toEqual([]);
  }, 180_000);

  it('rotates: opens the successor, closes the old socket only once the new one delivers', async () => {
    const s = await server((ws) => {
      const t = setInterval(() => ws.send(String(Date.now())), 20);
      ws.on('close', () => clearInterval(t));
    });
    cleanup.push(s.close);
    const ev = events();
    const feed = new Feed(spec(s.url, { rotateAfterMs: 300 }), ev);
    cleanup.push(() => feed.stop());
    feed.start();
    await waitFor('two rotations', () => ev.log.filter((l) => l.startsWith('closed')).length >= 2, 10_000);
    const opens = ev.log.filter((l) => l.startsWith('open'));
    const firstClose = ev.log.findIndex((l) => l.startsWith('closed'));
    // the second connection opened before the first one was closed: an overlap, not a gap
    expect(ev.log.indexOf(opens[1]!)).toBeLessThan(firstClose);
    expect(ev.log.some((l) => l.startsWith('lost'))).toBe(false);
    await waitFor('one socket between rotations', () => s.wss.clients.size === 1 && feed.sockets === 1);
  });

  it('sends subscriptions on open, idle pings, swallows pongs and answers requests', async () => {
    const got: string[] = [];
    const s = await server((ws) => {
      ws.on('message', (m) => {
        const t = rawText(m);
        got.push(t);
        if (t === 'ping') ws.send('pong');
      });
      ws.send('{"method":"heartbeat","params":{"type":"test_request"}}');
    });
    cleanup.push(s.close);
    const ev = events();
    const feed = new Feed(
      spec(s.url, {
        onOpen: () => ['sub-1', 'sub-2'],
        idlePing: { text: 'ping', afterMs: 200 },
        swallow: (t) => t === 'pong',
        reply: (t) => (t.includes('test_request') ? 'test-answer' : undefined),
      }),
      ev,
    );
    cleanup.push(() => feed.stop());
    feed.start();
    await waitFor('a ping', () => got.includes('ping'), 5000);
    await waitFor('its pong handled', () => got.filter((g) => g === 'ping').length >= 1 && ev.messages.length >= 1);
    expect(got.slice(0, 3).sort()).toEqual(['sub-1', 'sub-2', 'test-answer']);
    expect(ev.messages.every((m) => m !== 'pong')).toBe(true);
  });
});
