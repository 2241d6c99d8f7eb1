/**
 * marketprism-collector: every enabled venue's feeds -> validated records ->
 * JetStream. READY once NATS is connected and a feed is up; the watchdog is fed
 * only while frames keep arriving (a hung socket or a blocked loop ends in a
 * restart). /health on 8087, /metrics on 9093.
 */
import { jetstream } from '@nats-io/jetstream';
import type { Running } from '../core/daemon.js';
import { healthReply, startHttpServer, type HttpServer, type Route } from '../core/http.js';
import { LogLimiter } from '../core/log-limit.js';
import type { Logger } from '../core/logger.js';
import { createRegistry, metricsRoute } from '../core/metrics.js';
import type { DataType, MarketRecord } from '../core/model.js';
import { connectNats, type NatsConnection } from '../core/nats.js';
import { notifyReady, notifyStatus, startWatchdog } from '../core/systemd.js';
import { type InvalidRecordError, validateRecord } from '../core/validate.js';
import type { CollectorConfig } from './config.js';
import { collectorHealth } from './health.js';
import { LiveVenue } from './live.js';
import { collectorMetrics } from './metrics.js';
import { JetStreamPublisher } from './publisher.js';

const RETRY_MS = 2000;
/** No frame from any venue for this long: the watchdog stops being fed. */
const SILENCE_MS = 120_000;

export async function startCollector(config: CollectorConfig, log: Logger): Promise<Running> {
  const startedAt = Date.now();
  const registry = createRegistry('collector');
  const metrics = collectorMetrics(registry);
  const lastRecordAt = new Map<string, Partial<Record<DataType, number>>>();
  const invalidLog = new LogLimiter();
  const nats = { nc: undefined as NatsConnection | undefined, connected: false, since: startedAt };
  let publisher: JetStreamPublisher | undefined;
  let stopping = false;

  const handOver = (venue: string, r: MarketRecord) => {
    try {
      validateRecord(r);
    } catch (err) {
      metrics.invalid.inc({ venue, data_type: r.data_type });
      const key = `${venue}:${r.data_type}:${(err as InvalidRecordError).field}`;
      invalidLog.log(
        log,
        'error',
        key,
        { venue, data_type: r.data_type, err: (err as Error).message },
        'invalid record not published (at most a line a minute per venue, type and field)',
      );
      return;
    }
    metrics.recordsOut.inc({ venue, data_type: r.data_type });
    const seen = lastRecordAt.get(venue) ?? {};
    seen[r.data_type] = Date.now();
    lastRecordAt.set(venue, seen);
    if (r.data_type === 'orderbook') {
      metrics.bookDepth.set({ venue, symbol: r.symbol, side: 'bid' }, r.bids.length);
      metrics.bookDepth.set({ venue, symbol: r.symbol, side: 'ask' }, r.asks.length);
    }
    publisher?.publish(r);
  };

  const venues = config.venues
    .filter((v) => v.enabled)
    .map(
      (v) =>
        new LiveVenue(v, { depth: config.orderbook.depth, publishIntervalMs: config.orderbook.publish_interval_ms }, log, {
          record: (r) => handOver(v.name, r),
          messageIn: (source) => metrics.messagesIn.inc({ venue: v.name, source }),
          problem: (problem) => metrics.problems.inc({ venue: v.name, problem }),
          resync: (reason) => metrics.resyncs.inc({ venue: v.name, reason }),
          reconnect: (feed) => metrics.reconnects.inc({ venue: v.name, feed }),
          throttled: (status) => metrics.throttled.inc({ venue: v.name, status: String(status) }),
        }),
    );

  const health = () =>
    collectorHealth({
      now: Date.now(),
      startedAt,
      freshnessMs: config.freshness_ms,
      venues: venues.map((v) => ({
        name: v.cfg.name,
        types: v.cfg.data_types,
        lastRecordAt: lastRecordAt.get(v.cfg.name) ?? {},
        feeds: v.feeds.map((f) => ({ name: f.spec.name, connected: f.connected })),
        rest_pending: v.scheduler.pending,
        instruments: v.catalog && { count: v.catalog.size, error: v.instrumentsError ?? v.catalog.lastError?.message },
      })),
      nats: {
        connected: nats.connected,
        since: nats.since,
        pending_acks: publisher?.pendingAcks ?? 0,
        buffered: publisher?.queued ?? 0,
        dropped: publisher?.dropped ?? 0,
      },
    });

  const healthRoute: Route = () => healthReply(health());
  const servers: HttpServer[] = [];
  if (config.health.port === config.metrics.port && config.health.host === config.metrics.host) {
    servers.push(
      await startHttpServer({ name: 'health+metrics', ...config.health, routes: { '/health': healthRoute, '/metrics': metricsRoute(registry) } }, log),
    );
  } else {
    servers.push(await startHttpServer({ name: 'health', ...config.health, routes: { '/health': healthRoute } }, log));
    servers.push(await startHttpServer({ name: 'metrics', ...config.metrics, routes: { '/metrics': metricsRoute(registry) } }, log));
  }

  // NATS first: until it answers there is nowhere to put records.
  const connect = async () => {
    for (let attempt = 1; !stopping; attempt++) {
      try {
        return await connectNats({ servers: config.nats.servers, name: 'marketprism-collector' }, log);
      } catch (err) {
        if (attempt === 1 || attempt % 15 === 0) log.warn({ err: (err as Error).message, attempt }, 'NATS connect failed; retrying');
        notifyStatus(`waiting for NATS: ${(err as Error).message.slice(0, 120)}`);
        await new Promise((r) => setTimeout(r, RETRY_MS));
      }
    }
    return undefined;
  };
  const startup = (async () => {
    const nc = await connect();
    if (!nc) return;
    nats.nc = nc;
    nats.connected = true;
    void (async () => {
      for await (const s of nc.status()) {
        if (s.type === 'disconnect' && nats.connected) Object.assign(nats, { connected: false, since: Date.now() });
        if (s.type === 'reconnect') Object.assign(nats, { connected: true, since: Date.now() });
      }
    })();
    publisher = new JetStreamPublisher(
      jetstream(nc),
      { maxPending: config.nats.max_pending_acks, bufferMax: config.nats.buffer_max_records, ackTimeoutMs: config.nats.ack_timeout_ms },
      log,
      {
        published: (r, ms) => {
          metrics.published.inc({ data_type: r.data_type });
          metrics.publishLatency.observe(ms / 1000);
        },
        dropped: (r) => metrics.dropped.inc({ data_type: r.data_type }),
      },
    );
    for (const v of venues) v.start();
    log.info({ venues: venues.map((v) => v.cfg.name) }, 'collector running');
  })();

  let ready = false;
  const refresh = setInterval(() => {
    metrics.pendingAcks.set(publisher?.pendingAcks ?? 0);
    metrics.buffered.set(publisher?.queued ?? 0);
    for (const v of venues) {
      metrics.connections.set({ venue: v.cfg.name }, v.connectedFeeds);
      metrics.restPending.set({ venue: v.cfg.name }, v.scheduler.pending);
    }
    const connected = venues.reduce((a, v) => a + v.connectedFeeds, 0);
    if (!ready && nats.connected && connected > 0) {
      ready = true;
      notifyReady(`collecting from ${venues.length} venues`);
      log.info('ready');
    }
    if (ready) notifyStatus(`${health().status}: ${connected} feeds up; ${publisher?.pendingAcks ?? 0} acks pending; ${publisher?.dropped ?? 0} dropped`);
  }, 1000);
  refresh.unref();

  const stopWatchdog = startWatchdog(() => {
    if (!ready) return Date.now() - startedAt < SILENCE_MS;
    return venues.some((v) => Date.now() - v.lastMessageAt < SILENCE_MS);
  }, log);

  return {
    async stop() {
      stopping = true;
      stopWatchdog();
      clearInterval(refresh);
      await Promise.all(venues.map((v) => v.stop()));
      await startup.catch(() => undefined);
      if (publisher && !(await publisher.flush(5000)))
        log.warn({ queued: publisher.queued, pending: publisher.pendingAcks }, 'stopping with records not acknowledged');
      publisher?.close();
      await nats.nc?.drain().catch(() => undefined);
      await Promise.all(servers.map((s) => s.close()));
    },
  };
}
