/**
 * marketprism-collector: every enabled venue's feeds -> validated records ->
 * JetStream. /health on 8087, /metrics on 9093.
 *
 * READY once initialised: config loaded, HTTP listening, every venue started and the
 * NATS connection being tried, whether or not a venue or NATS answers yet. A peer
 * that is away is a degraded state (the status line and /health say which, and the
 * daemon retries with backoff; records wait in the bounded publish buffer), not a
 * failed start. The watchdog is fed while the event loop turns and the work makes
 * progress: frames keep arriving where feeds are connected, and the NATS connect
 * loop keeps turning while there is no connection (a hung loop ends in a restart).
 */
import { jetstream } from '@nats-io/jetstream';
import type { Running } from '../core/daemon.js';
import { healthReply, startHttpServer, type HttpServer, type Route } from '../core/http.js';
import { LogLimiter } from '../core/log-limit.js';
import type { Logger } from '../core/logger.js';
import { IntervalCounts } from '../core/interval-counts.js';
import { counterBy, createRegistry, metricsRoute } from '../core/metrics.js';
import type { DataType, MarketRecord } from '../core/model.js';
import { connectNats, onConnectionChange, type NatsConnection } from '../core/nats.js';
import { logsFailure, retryUntil } from '../core/retry.js';
import { notifyReady, notifyStatus, startWatchdog } from '../core/systemd.js';
import { type InvalidRecordError, validateRecord } from '../core/validate.js';
import type { CollectorConfig } from './config.js';
import { startFleet, standbyKeepMs, type Fleet } from './fleet/index.js';
import { collectorHealth, statusLine } from './health.js';
import { LiveVenue } from './live.js';
import { collectorMetrics, countedMetrics } from './metrics.js';
import { JetStreamPublisher } from './publisher.js';

/** The NATS connect retry loop: backoff between attempts (each bounded by connectNats' own timeout). */
const NATS_RETRY = { initialMs: 1000, maxMs: 15_000 };
/** No attempt of the NATS connect loop for this long (several max backoffs): it is hung. */
const NATS_LOOP_STALL_MS = 60_000;
/** Feeds connected and yet no frame from any venue for this long: the watchdog stops being fed. */
const SILENCE_MS = 120_000;

export async function startCollector(config: CollectorConfig, log: Logger): Promise<Running> {
  const startedAt = Date.now();
  const registry = createRegistry('collector');
  const lastRecordAt = new Map<string, Partial<Record<DataType, number>>>();
  const metrics = collectorMetrics(registry, lastRecordAt);
  const invalidLog = new LogLimiter();
  const nats = { nc: undefined as NatsConnection | undefined, connected: false, since: startedAt };
  let stopping = false;
  let fleet: Fleet | undefined;

  const handOver = (venue: string, r: MarketRecord, recordOut: (dataType: string) => void) => {
    try {
      // The adapter checked every record against the data model before handing it over
      // (mappers/base.ts: valid, validBook); this second gate stays for the cheap types. A
      // book's 800 level texts are not walked again: its levels were checked as they were
      // read or converted, and the fuzz test proves every published book valid.
      if (r.data_type !== 'orderbook') validateRecord(r);
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
    recordOut(r.data_type);
    const seen = lastRecordAt.get(venue) ?? {};
    seen[r.data_type] = Date.now();
    lastRecordAt.set(venue, seen);
    if (r.data_type === 'orderbook') {
      metrics.bookDepth.set({ venue, symbol: r.symbol, side: 'bid' }, r.bids.length);
      metrics.bookDepth.set({ venue, symbol: r.symbol, side: 'ask' }, r.asks.length);
    }
    publisher.publish(r);
  };

  // In a fleet the venues collect only what the fleet member gives them (fleet/member.ts).
  const fleetOptions = config.fleet.enabled ? { fleet: { standbyKeepMs: standbyKeepMs(config.fleet) } } : {};
  const liveOptions = { depth: config.orderbook.depth, publishIntervalMs: config.orderbook.publish_interval_ms, ...fleetOptions };
  const venues = config.venues
    .filter((v) => v.enabled)
    .map((v) => {
      const recordOut = counterBy(metrics.recordsOut, { venue: v.name }, 'data_type');
      return new LiveVenue(v, liveOptions, log, {
        record: (r) => handOver(v.name, r, recordOut),
        messageIn: counterBy(metrics.messagesIn, { venue: v.name }, 'source'),
        problem: (problem) => metrics.problems.inc({ venue: v.name, problem }),
        resync: (_symbol, reason) => metrics.resyncs.inc({ venue: v.name, reason }),
        reconnect: (feed) => metrics.reconnects.inc({ venue: v.name, feed }),
        throttled: (status) => metrics.throttled.inc({ venue: v.name, status: String(status) }),
      });
    });

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
        idle: v.idle,
      })),
      fleet: fleet?.health(),
      nats: {
        connected: nats.connected,
        connecting: !nats.nc && natsFailures === 0,
        since: nats.since,
        pending_acks: publisher.pendingAcks,
        buffered: publisher.queued,
        dropped: publisher.dropped,
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

  // Once per acknowledged record: the label set's child looked up once per data type, not hashed per call.
  const publishedOf = counterBy(metrics.published, {}, 'data_type');
  const publisher = new JetStreamPublisher(
    undefined, // attached once NATS answers; until then records wait in the bounded buffer
    {
      maxPending: config.nats.max_pending_acks,
      bufferMax: config.nats.buffer_max_records,
      bufferMaxBytes: config.nats.buffer_max_bytes,
      ackTimeoutMs: config.nats.ack_timeout_ms,
      batch: {
        maxRecords: config.publish.max_records,
        maxBytes: config.publish.max_bytes,
        lingerMs: config.publish.linger_ms,
        types: config.publish.data_types,
      },
    },
    log,
    {
      published: (r, ms) => {
        publishedOf(r.data_type);
        metrics.publishLatency.observe(ms / 1000);
      },
      dropped: (r, stage) => metrics.dropped.inc({ data_type: r.data_type, stage }),
    },
  );

  // What it counted per interval, into the counts stream (best effort; kept while NATS is away).
  let countsJs: ReturnType<typeof jetstream> | undefined;
  const counts = new IntervalCounts(
    {
      daemon: 'collector',
      id: config.fleet.member_id,
      intervalMs: config.counts.interval_ms,
      ackTimeoutMs: config.nats.ack_timeout_ms,
      metrics: countedMetrics(metrics),
      js: () => countsJs,
      failed: () => metrics.countsFailed.inc(),
    },
    log,
    startedAt,
  );
  await counts.start();

  // NATS and the venues independently: neither waits for the other, nor READY for either.
  const abort = new AbortController();
  let natsAttemptAt = Date.now();
  let natsFailures = 0;
  const startup = retryUntil(
    () => {
      natsAttemptAt = Date.now();
      return connectNats({ ...config.nats, name: 'marketprism-collector' }, log);
    },
    {
      ...NATS_RETRY,
      signal: abort.signal,
      onError: (err, attempt, delayMs) => {
        natsAttemptAt = Date.now();
        natsFailures++;
        if (logsFailure(attempt))
          log.warn({ err: err.message, attempt, retry_in_ms: Math.round(delayMs) }, 'NATS connect failed; retrying (records are buffered meanwhile)');
      },
    },
  ).then(
    async (nc) => {
      if (stopping) return void (await nc.close().catch(() => undefined));
      nats.nc = nc;
      Object.assign(nats, { connected: true, since: Date.now() });
      onConnectionChange(nc, (up) => {
        if (up || nats.connected) Object.assign(nats, { connected: up, since: Date.now() });
      });
      publisher.attach(jetstream(nc));
      countsJs = jetstream(nc);
      if (config.fleet.enabled) fleet = startFleet(config.fleet, nc, venues, log, metrics);
      log.info({ buffered: publisher.queued }, 'NATS connected; publishing');
    },
    () => undefined, // stopped before NATS answered
  );
  for (const v of venues) v.start();

  const status = () => statusLine(health());
  notifyReady(status());
  log.info({ venues: venues.map((v) => v.cfg.name), nats: nats.connected }, 'collector ready');

  /** Per venue: when its feeds last went from none connected to some (so a venue that just came back is not "silent"). */
  const upSince = new Map<LiveVenue, number>();
  let lastStatus = '';
  const refresh = setInterval(() => {
    metrics.pendingAcks.set(publisher.pendingAcks);
    metrics.buffered.set(publisher.queued);
    metrics.bufferedBytes.set(publisher.bytesHeld);
    for (const v of venues) {
      metrics.connections.set({ venue: v.cfg.name }, v.connectedFeeds);
      metrics.restPending.set({ venue: v.cfg.name }, v.scheduler.pending);
      if (v.connectedFeeds === 0) upSince.delete(v);
      else if (!upSince.has(v)) upSince.set(v, Date.now());
    }
    const line = status();
    if (line !== lastStatus) notifyStatus(line);
    lastStatus = line;
  }, 1000);
  refresh.unref();

  const stopWatchdog = startWatchdog(() => {
    const now = Date.now();
    // No connection yet: the connect loop must keep turning.
    if (!nats.nc && now - natsAttemptAt > NATS_LOOP_STALL_MS) return false;
    // Where feeds are connected, frames must arrive somewhere (a venue that is down retries on its own timers).
    const up = venues.filter((v) => upSince.has(v));
    return up.length === 0 || up.some((v) => now - Math.max(v.lastMessageAt, upSince.get(v)!) < SILENCE_MS);
  }, log);

  return {
    async stop() {
      stopping = true;
      stopWatchdog();
      clearInterval(refresh);
      abort.abort();
      await startup;
      await fleet?.stop(); // hands its symbols over while still collecting them
      await Promise.all(venues.map((v) => v.stop()));
      if (!(await publisher.flush(publisher.attached ? 5000 : 0)))
        log.warn({ queued: publisher.queued, pending: publisher.pendingAcks, nats: nats.connected }, 'stopping with records not acknowledged');
      await counts.stop(); // the interval so far, after the last acks were counted
      publisher.close();
      await nats.nc?.drain().catch(() => undefined);
      await Promise.all(servers.map((s) => s.close()));
    },
  };
}
