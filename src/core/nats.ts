/** Connecting to NATS the same way in every daemon and CLI command. */
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { Logger } from './logger.js';

export type { NatsConnection };

export interface NatsOptions {
  servers: string[];
  name: string;
  /** Give up on the first connect after this long (0: keep trying forever). */
  connectTimeoutMs?: number;
}

export async function connectNats(opts: NatsOptions, log: Logger): Promise<NatsConnection> {
  const nc = await connect({
    servers: opts.servers,
    name: opts.name,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 1000,
    reconnectJitter: 500,
    timeout: opts.connectTimeoutMs ?? 5000,
    pingInterval: 20_000,
  });
  void watchStatus(nc, log);
  log.info({ server: nc.getServer() }, 'connected to NATS');
  return nc;
}

async function watchStatus(nc: NatsConnection, log: Logger): Promise<void> {
  for await (const s of nc.status()) {
    switch (s.type) {
      case 'disconnect':
        log.warn({ server: s.server }, 'NATS disconnected');
        break;
      case 'reconnect':
        log.info({ server: s.server }, 'NATS reconnected');
        break;
      case 'error':
        log.error({ err: s.error }, 'NATS error');
        break;
      default:
        break;
    }
  }
}
