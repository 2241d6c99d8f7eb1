import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { ExchangeSim } from '../../src/sim/sim.js';
import { sleep } from './client.js';
import { simHarness } from './harness.js';

const { start, client } = simHarness();
const spot = (limits = {}): Promise<ExchangeSim> => start({ venue: 'binance-spot', source: { generate: { seed: 1, ratePerSec: 50 } }, limits });
const depth = (s: ExchangeSim) => fetch(`${s.restUrl}/api/v3/depth?symbol=BTCUSDT&limit=10`);

describe('REST faults', () => {
  it('answers 429 with Retry-After once, then serves again', async () => {
    const s = await spot();
    s.inject({ kind: 'rest-error', status: 429, retryAfterSec: 7 });
    const res = await depth(s);
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('7');
    expect(await res.json()).toMatchObject({ code: -1003 });
    expect((await depth(s)).status).toBe(200);
    expect(s.stats.restErrors).toBe(1);
  });

  it('answers 418 only on the given path, with a long Retry-After by default', async () => {
    const s = await spot();
    s.inject({ kind: 'rest-error', status: 418, path: '/api/v3/depth', count: 2 });
    expect((await fetch(`${s.restUrl}/api/v3/exchangeInfo`)).status).toBe(200);
    for (let i = 0; i < 2; i++) {
      const res = await depth(s);
      expect(res.status).toBe(418);
      expect(res.headers.get('retry-after')).toBe('120');
    }
    expect((await depth(s)).status).toBe(200);
  });

  it('delays a REST answer', async () => {
    const s = await spot();
    s.inject({ kind: 'rest-delay', ms: 400 });
    const t = Date.now();
    expect((await depth(s)).status).toBe(200);
    expect(Date.now() - t).toBeGreaterThanOrEqual(390);
    const t2 = Date.now();
    await depth(s);
    expect(Date.now() - t2).toBeLessThan(300);
  });

  it('enforces the Binance request weight per minute with 429 and Retry-After', async () => {
    const s = await spot({ restWeightPerMin: 12 });
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await depth(s)).status); // weight 5 each
    expect(statuses).toEqual([200, 200, 429]);
    const res = await depth(s);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(Number(res.headers.get('retry-after'))).toBeLessThanOrEqual(60);
  });

  it('takes injections over HTTP: POST /__sim/inject, GET /__sim/stats', async () => {
    const s = await spot();
    const ok = await fetch(`${s.restUrl}/__sim/inject`, { method: 'POST', body: JSON.stringify({ kind: 'rest-error', status: 429 }) });
    expect(ok.status).toBe(200);
    expect((await depth(s)).status).toBe(429);
    const bad = await fetch(`${s.restUrl}/__sim/inject`, { method: 'POST', body: '{"kind":"rest-error","status":200}' });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toMatch(/status must be an HTTP error code/);
    const stats = (await (await fetch(`${s.restUrl}/__sim/stats`)).json()) as { restRequests: number; restErrors: number };
    expect(stats).toMatchObject({ restRequests: 1, restErrors: 1 });
  });
});

describe('WebSocket faults', () => {
  it('stall: the socket stays open but nothing comes, not even a pong, until the stall ends', async () => {
    const s = await spot();
    const c = await client(`${s.wsUrl}/stream?streams=btcusdt@depth@100ms`);
    await c.until('frames', (m) => m.length >= 3);
    s.inject({ kind: 'stall', ms: 700 });
    const at = c.messages.length;
    let pongs = 0;
    c.ws.on('pong', () => pongs++);
    c.ws.ping();
    await sleep(500);
    expect(c.ws.readyState).toBe(WebSocket.OPEN);
    expect(c.messages.length).toBe(at);
    expect(pongs).toBe(0);
    expect(s.stats.framesStalled).toBeGreaterThan(0);
    await c.until('frames after the stall', (m) => m.length > at + 3, 3000);
    c.ws.ping();
    await sleep(100);
    expect(pongs).toBe(1);
  });

  it('stall holds back OKX pongs too; a new connection is not stalled', async () => {
    const sim = await start({ venue: 'okx', source: { generate: { seed: 1 } } });
    const a = await client(sim.wsUrl);
    sim.inject({ kind: 'stall' });
    a.send('ping');
    const b = await client(sim.wsUrl);
    b.send('ping');
    await b.until('pong', (m) => m.includes('pong'));
    await sleep(200);
    expect(a.messages).toEqual([]);
  });

  it('close: terminate drops every socket (1006), close sends a close frame; clients can reconnect', async () => {
    const s = await spot();
    const a = await client(`${s.wsUrl}/stream?streams=btcusdt@trade`);
    const b = await client(`${s.wsUrl}/ws/btcusdt@trade`);
    s.inject({ kind: 'close' });
    expect((await a.closed).code).toBe(1006);
    expect((await b.closed).code).toBe(1006);
    const c = await client(`${s.wsUrl}/stream?streams=btcusdt@trade`);
    s.inject({ kind: 'close', how: 'close', code: 1012 });
    expect((await c.closed).code).toBe(1012);
    expect(s.stats.connectionsTotal).toBe(3);
    await c.until('server bookkeeping', () => s.stats.connectionsOpen === 0 && s.stats.subscriptions === 0);
  });

  it('close with count: only that many of the longest open sockets; a bad count is refused', async () => {
    const s = await spot();
    const a = await client(`${s.wsUrl}/stream?streams=btcusdt@trade`);
    const b = await client(`${s.wsUrl}/stream?streams=btcusdt@trade`);
    const c = await client(`${s.wsUrl}/stream?streams=btcusdt@trade`);
    s.inject({ kind: 'close', count: 2 });
    expect((await a.closed).code).toBe(1006);
    expect((await b.closed).code).toBe(1006);
    const seen = c.messages.length;
    await c.until('frames on the socket left open', (m) => m.length > seen + 2);
    expect(s.stats.connectionsOpen).toBe(1);
    expect(() => s.inject({ kind: 'close', count: 0 })).toThrow(/count/);
    const res = await fetch(`${s.restUrl}/__sim/inject`, { method: 'POST', body: JSON.stringify({ kind: 'close', count: 1.5 }) });
    expect(res.status).toBe(400);
    expect(s.stats.connectionsOpen).toBe(1);
  });
});
