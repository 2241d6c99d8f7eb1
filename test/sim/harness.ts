/** Per-test simulators and clients, all closed after each test. */
import { afterEach } from 'vitest';
import type WebSocket from 'ws';
import { startExchangeSim, type ExchangeSim, type ExchangeSimOptions } from '../../src/sim/sim.js';
import { connect, type TestClient } from './client.js';

export interface SimHarness {
  start(options: ExchangeSimOptions): Promise<ExchangeSim>;
  client(url: string, options?: WebSocket.ClientOptions): Promise<TestClient>;
}

export function simHarness(): SimHarness {
  const sims: ExchangeSim[] = [];
  const clients: TestClient[] = [];
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await Promise.all(sims.splice(0).map((s) => s.stop()));
  });
  return {
    async start(options) {
      const sim = await startExchangeSim(options);
      sims.push(sim);
      return sim;
    },
    async client(url, options) {
      const c = await connect(url, options);
      clients.push(c);
      return c;
    },
  };
}
