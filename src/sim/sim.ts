/**
 * The exchange simulator's programmatic API, for tests and quickstart:
 *
 *   const sim = await startExchangeSim({ venue: 'binance-spot', source: { generate: { seed: 1 } } });
 *   // point the collector at sim.wsUrl / sim.restUrl
 *   sim.inject({ kind: 'drop-diff' });
 *   await sim.stop();
 *
 * One venue per simulator, one loopback port for its WebSocket and REST.
 */
import type { Logger } from '../core/logger.js';
import { FaultPlan, type Injection } from './faults.js';
import type { GenerateOptions } from './generate/feed.js';
import { withUpdatesPerStep } from './generate/market.js';
import { Hub } from './hub.js';
import type { ProtocolContext, SimLimits } from './protocol.js';
import { ReplayFeed, type ReplayOptions } from './replay/feed.js';
import { SimServer } from './server.js';
import { emptyStats, type Feed, type SimStats, type SimVenue } from './types.js';
import { createVenue } from './venue-registry.js';

export type SimSource = ({ capture: string[] } & ReplayOptions) | { generate: GenerateOptions };

export interface ExchangeSimOptions {
  venue: SimVenue;
  source: SimSource;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0: a free port. */
  port?: number;
  limits?: SimLimits;
  logger?: Logger;
}

export interface ExchangeSim {
  readonly venue: SimVenue;
  /** What the collector's `ws_url` should be (Binance: the host; OKX, Deribit: the full path). */
  readonly wsUrl: string;
  /** What the collector's `rest_url` should be. */
  readonly restUrl: string;
  readonly port: number;
  /** Replay: the capture's `configuration:` lines (cryptofeed's JSON of what it subscribed to); empty when generating. */
  readonly recordedConfiguration: string[];
  /** Live counters (a snapshot copy). */
  readonly stats: SimStats;
  inject(injection: Injection): void;
  /** Replay: resolves once every recorded frame has been delivered (rejects for a generated session, which never ends). */
  replayDone(): Promise<void>;
  /** Closes every socket and timer. Safe to call twice. */
  stop(): Promise<void>;
}

export async function startExchangeSim(options: ExchangeSimOptions): Promise<ExchangeSim> {
  const stats = emptyStats();
  const faults = new FaultPlan();
  const limits = options.limits ?? {};
  const venue = await createVenue(options.venue);
  const hub = new Hub(venue.protocol, faults, stats);
  let replay: ReplayFeed | undefined;
  let feed: Feed;
  if ('capture' in options.source) {
    replay = await ReplayFeed.open(options.source.capture, options.source, venue.protocol, hub, stats, options.logger);
    feed = replay;
  } else {
    const generate = options.source.generate;
    const generated = withUpdatesPerStep(generate.diffUpdates, () => venue.generate(generate, hub, limits));
    generated.start();
    feed = generated;
  }
  const ctx: ProtocolContext = {
    feed,
    limits,
    subscribe(conn, topic) {
      if (conn.topics.has(topic)) return;
      feed.subscribing(conn, topic);
      hub.subscribe(conn, topic);
    },
    unsubscribe(conn, topic) {
      hub.unsubscribe(conn, topic);
    },
    rest: async (req) => feed.rest(req),
  };
  const inject = (injection: Injection): void => {
    options.logger?.info({ injection }, 'simulator fault injected');
    switch (injection.kind) {
      case 'close':
        if (injection.count !== undefined && !(Number.isInteger(injection.count) && injection.count > 0))
          throw new RangeError(`close count must be a positive integer, got ${injection.count}`);
        hub.closeAll(injection.how ?? 'terminate', injection.code, injection.count);
        return;
      case 'stall':
        for (const conn of hub.connections()) {
          conn.stalled = true;
          if (injection.ms !== undefined) conn.after(injection.ms, () => (conn.stalled = false));
        }
        return;
      default:
        faults.add(injection);
    }
  };
  let server: SimServer;
  try {
    server = await SimServer.listen(
      { protocol: venue.protocol, feed, faults, hub, stats, ctx, inject, logger: options.logger },
      options.host ?? '127.0.0.1',
      options.port ?? 0,
    );
  } catch (err) {
    feed.stop();
    throw err;
  }
  const host = options.host ?? '127.0.0.1';
  const hostPort = `${host.includes(':') ? `[${host}]` : host}:${server.port}`;
  let stopped: Promise<void> | undefined;
  return {
    venue: options.venue,
    wsUrl: venue.protocol.wsUrl(`ws://${hostPort}`),
    restUrl: `http://${hostPort}`,
    port: server.port,
    recordedConfiguration: replay?.configuration ?? [],
    get stats() {
      return { ...stats };
    },
    inject,
    replayDone: () => replay?.done ?? Promise.reject(new Error('replayDone(): this simulator generates its session; only a replay ends')),
    stop() {
      stopped ??= (async () => {
        feed.stop();
        await server.close();
      })();
      return stopped;
    },
  };
}
