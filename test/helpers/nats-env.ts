/** A nats-server on a free loopback port, one connection to it, and the shipped streams (config/streams.yaml) in place. */
import { connectNats, type NatsConnection } from '../../src/core/nats.js';
import { ensureStreams, loadStreamSpecs } from '../../src/core/streams.js';
import { startNatsServer, type TestNatsServer } from '../../src/testing/nats-server.js';
import { quietLog } from './storage-env.js';

export interface NatsEnv {
  nats: TestNatsServer;
  nc: NatsConnection;
  close(): Promise<void>;
}

export async function natsWithStreams(): Promise<NatsEnv> {
  const nats = await startNatsServer();
  const nc = await connectNats({ servers: [nats.url], name: 'test' }, quietLog());
  await ensureStreams(nc, loadStreamSpecs('config/streams.yaml'));
  return {
    nats,
    nc,
    async close() {
      await nc.close();
      await nats.dispose();
    },
  };
}
