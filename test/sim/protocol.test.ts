import { rawText } from '../../src/collector/feeds/feed.js';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { SimLimits } from '../../src/sim/protocol.js';
import type { ExchangeSim } from '../../src/sim/sim.js';
import type { SimVenue } from '../../src/sim/types.js';
import { connect, sleep } from './client.js';
import { simHarness } from './harness.js';

const harness = simHarness();
const client = harness.client;
const start = (venue: SimVenue, limits: SimLimits = {}): Promise<ExchangeSim> =>
  harness.start({ venue, source: { generate: { seed: 5, ratePerSec: 40 } }, limits });

describe('Binance dialect', () => {
  it('SUBSCRIBE, LIST_SUBSCRIPTIONS and UNSUBSCRIBE on a combined stream', async () => {
    const s = await start('binance-spot');
    const c = await client(`${s.wsUrl}/stream`);
    c.send({ method: 'SUBSCRIBE', params: ['ethusdt@aggTrade', 'ethusdt@depth@100ms'], id: 1 });
    await c.until('frames', (m) => m.some((x) => x.startsWith('{"stream":"ethusdt@depth@100ms"')));
    expect(c.json()[0]).toEqual({ result: null, id: 1 });
    c.send({ method: 'LIST_SUBSCRIPTIONS', id: 2 });
    await c.until('list', (m) => m.some((x) => x.includes('"id":2')));
    expect(c.json().find((m) => m.id === 2)).toEqual({ result: ['ethusdt@aggTrade', 'ethusdt@depth@100ms'], id: 2 });
    c.send({ method: 'UNSUBSCRIBE', params: ['ethusdt@depth@100ms'], id: 3 });
    await c.until('unsubscribed', (m) => m.some((x) => x.includes('"id":3')));
    await sleep(50);
    const n = c.messages.filter((x) => x.includes('depthUpdate')).length;
    await sleep(300);
    expect(c.messages.filter((x) => x.includes('depthUpdate')).length).toBe(n);
    c.send('not json');
    await c.until('error', (m) => m.some((x) => x.includes('"code":3')));
  });

  it('disconnects a client that sends more than 5 messages a second', async () => {
    const s = await start('binance-spot');
    const c = await client(`${s.wsUrl}/ws`);
    for (let i = 0; i < 6; i++) c.send({ method: 'LIST_SUBSCRIPTIONS', id: i });
    expect((await c.closed).code).toBe(1008);
  });

  it('pings, and drops a client that does not answer within the pong timeout', async () => {
    const s = await start('binance-spot', { pingIntervalMs: 100, pongTimeoutMs: 350 });
    const good = await client(`${s.wsUrl}/ws`);
    const mute = await client(`${s.wsUrl}/ws`, { autoPong: false });
    let pings = 0;
    good.ws.on('ping', () => pings++);
    expect((await mute.closed).code).toBe(1006);
    expect(pings).toBeGreaterThanOrEqual(2);
    expect(good.ws.readyState).toBe(WebSocket.OPEN);
  });

  it('cuts every connection at the lifetime limit (24 h on the venue)', async () => {
    const s = await start('binance-usdm', { maxConnectionMs: 300 });
    const c = await client(`${s.wsUrl}/public/ws/btcusdt@depth@100ms`);
    const t = Date.now();
    expect((await c.closed).code).toBe(1000);
    expect(Date.now() - t).toBeGreaterThanOrEqual(250);
  });
});

describe('OKX dialect', () => {
  it('answers text ping with pong and closes a connection idle for the idle limit', async () => {
    const s = await start('okx', { okxIdleTimeoutMs: 400 });
    const alive = await client(s.wsUrl);
    const idle = await client(s.wsUrl);
    const timer = setInterval(() => alive.send('ping'), 100);
    try {
      expect((await idle.closed).code).toBe(4004);
      await sleep(200);
      expect(alive.ws.readyState).toBe(WebSocket.OPEN);
      expect(alive.messages.filter((m) => m === 'pong').length).toBeGreaterThanOrEqual(3);
    } finally {
      clearInterval(timer);
    }
  });

  it('acknowledges subscribe and unsubscribe per argument and rejects bad requests', async () => {
    const s = await start('okx');
    const c = await client(s.wsUrl);
    c.send({
      op: 'subscribe',
      args: [
        { channel: 'trades', instId: 'ETH-USDT' },
        { channel: 'trades', instId: 'NOPE-USDT' },
      ],
    });
    c.send({ op: 'unsubscribe', args: [{ channel: 'trades', instId: 'ETH-USDT' }] });
    c.send({ op: 'login' });
    await c.until('4 replies', (m) => m.filter((x) => x.includes('"event"')).length >= 4);
    const events = c.json<{ event: string; code?: string; arg?: unknown }>().filter((m) => m.event);
    expect(events.map((e) => e.event)).toEqual(['subscribe', 'error', 'unsubscribe', 'error']);
    expect(events[1]!.code).toBe('60018');
    expect(events[3]!.code).toBe('60012');
  });
});

describe('Deribit dialect', () => {
  it('heartbeats: test_request every interval; answered with public/test the socket stays, unanswered it closes', async () => {
    const s = await start('deribit', { deribitMinHeartbeatSec: 0 });
    const good = await client(s.wsUrl);
    const bad = await client(s.wsUrl);
    good.ws.on('message', (d) => {
      if (rawText(d).includes('test_request')) good.send({ jsonrpc: '2.0', id: 100, method: 'public/test', params: {} });
    });
    for (const c of [good, bad]) c.send({ jsonrpc: '2.0', id: 1, method: 'public/set_heartbeat', params: { interval: 0.1 } });
    expect((await bad.closed).code).toBe(1000);
    await sleep(300);
    expect(good.ws.readyState).toBe(WebSocket.OPEN);
    expect(good.messages.filter((m) => m.includes('test_request')).length).toBeGreaterThanOrEqual(3);
    expect(good.json().find((m) => m.id === 100)).toMatchObject({ result: { version: expect.any(String) } });
  });

  it('refuses a heartbeat interval under 10 s, and unknown methods', async () => {
    const s = await start('deribit');
    const c = await client(s.wsUrl);
    c.send({ jsonrpc: '2.0', id: 1, method: 'public/set_heartbeat', params: { interval: 5 } });
    c.send({ jsonrpc: '2.0', id: 2, method: 'private/buy', params: {} });
    await c.until('two errors', (m) => m.length >= 2);
    expect(c.json().map((m) => (m.error as { code: number }).code)).toEqual([-32602, -32601]);
  });
});

it('refuses an upgrade on a path the venue does not serve', async () => {
  const s = await start('okx');
  await expect(connect(`${s.wsUrl.replace('/ws/v5/public', '/ws/v4/public')}`)).rejects.toThrow(/404/);
});
