import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startExchangeSim } from '../../src/sim/sim.js';
import { SIM_VENUES } from '../../src/sim/types.js';
import { capturePaths } from '../capture/captures.js';
import { connect, sleep } from './client.js';

/** Open sockets, servers and timers of this process, by kind. */
function resources(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of process.getActiveResourcesInfo()) if (/TCP|Timeout|Immediate|FSReqCallback/.test(r)) counts[r] = (counts[r] ?? 0) + 1;
  return counts;
}
const within = (now: Record<string, number>, baseline: Record<string, number>): boolean => Object.entries(now).every(([k, n]) => n <= (baseline[k] ?? 0));

/** Waits (up to 1 s) until there are no more sockets and timers of any kind than at `baseline`; returns the excess. */
async function excessOver(baseline: Record<string, number>): Promise<Record<string, number>> {
  for (let i = 0; i < 50 && !within(resources(), baseline); i++) await sleep(20);
  const excess: Record<string, number> = {};
  for (const [k, n] of Object.entries(resources())) if (n > (baseline[k] ?? 0)) excess[k] = n - (baseline[k] ?? 0);
  return excess;
}

const SUBSCRIBE: Record<(typeof SIM_VENUES)[number], { path: string; messages: object[] }> = {
  'binance-spot': { path: '/stream?streams=btcusdt@depth@100ms/btcusdt@trade', messages: [] },
  'binance-usdm': { path: '/market/stream?streams=btcusdt@markPrice@1s', messages: [] },
  'binance-coinm': { path: '/stream?streams=btcusd_perp@depth@100ms/btcusd_perp@aggTrade', messages: [] },
  okx: { path: '', messages: [{ op: 'subscribe', args: [{ channel: 'books', instId: 'BTC-USDT' }] }] },
  deribit: {
    path: '',
    messages: [
      { jsonrpc: '2.0', id: 1, method: 'public/set_heartbeat', params: { interval: 10 } },
      { jsonrpc: '2.0', id: 2, method: 'public/subscribe', params: { channels: ['book.BTC-PERPETUAL.100ms'] } },
    ],
  },
};

describe('the simulator leaks nothing', () => {
  it.each(SIM_VENUES)('%s: stop() closes every socket, connection timer and pending REST delay', async (venue) => {
    const baseline = resources();
    const sim = await startExchangeSim({ venue, source: { generate: { seed: 3, ratePerSec: 100, periodicMs: 50 } } });
    const clients = await Promise.all([0, 1, 2].map(() => connect(sim.wsUrl + SUBSCRIBE[venue].path)));
    for (const c of clients) for (const m of SUBSCRIBE[venue].messages) c.send(m);
    await Promise.all(clients.map((c) => c.until('data', (m) => m.length > 2)));
    sim.inject({ kind: 'rest-delay', ms: 60_000 });
    const pending = fetch(`${sim.restUrl}/anything`).then(
      (r) => r.status,
      () => 'failed',
    );
    // Stop only once the server holds the request (a fixed sleep races on a loaded machine).
    const before = sim.stats.restRequests;
    for (let i = 0; i < 200 && sim.stats.restRequests === before; i++) await sleep(25);
    expect(sim.stats.restRequests).toBe(before + 1);
    await sim.stop();
    for (const c of clients) expect((await c.closed).code).toBe(1006);
    expect(await pending).toBe(503);
    expect(await excessOver(baseline)).toEqual({});
  });

  it('a replay stopped mid-way closes its file readers and timers', async () => {
    const baseline = resources();
    const sim = await startExchangeSim({
      venue: 'binance-spot',
      source: { capture: capturePaths('BINANCE.0', 'BINANCE.http.0.0', 'BINANCE.ws.1.0'), speed: 1 },
    });
    const c = await connect(`${sim.wsUrl}/stream?streams=nknusdt@depth@100ms`);
    await c.until('a frame', (m) => m.length > 0, 5000);
    await sim.stop();
    await c.closed;
    await sim.replayDone();
    expect(await excessOver(baseline)).toEqual({});
  });

  it('500 connect/close cycles leave no connection, subscription or timer behind', async () => {
    const sim = await startExchangeSim({ venue: 'binance-spot', source: { generate: { seed: 3 } } });
    const before = resources();
    for (let i = 0; i < 500; i++) {
      const ws = new WebSocket(`${sim.wsUrl}/stream?streams=btcusdt@depth@100ms/ethusdt@trade`);
      await new Promise((r) => ws.once('open', r));
      ws.close();
      await new Promise((r) => ws.once('close', r));
    }
    expect(await excessOver(before)).toEqual({});
    expect(sim.stats).toMatchObject({ connectionsOpen: 0, subscriptions: 0, connectionsTotal: 500 });
    await sim.stop();
  });
});
