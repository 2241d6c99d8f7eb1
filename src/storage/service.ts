/**
 * marketprism-storage: provisions the schema, runs one consumer per data type and
 * reports health. READY is sent once ClickHouse has the schema and every consumer is
 * attached; the watchdog is fed only while every consumer loop keeps turning.
 */
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { Running } from '../core/daemon.js';
import { healthReply, startHttpServer, type HealthStatus } from '../core/http.js';
import type { Logger } from '../core/logger.js';
import { createRegistry, metricsRoute } from '../core/metrics.js';
import { DATA_TYPES, type DataType } from '../core/model.js';
import { connectNats, type NatsConnection } from '../core/nats.js';
import { notifyReady, notifyStatus, startWatchdog } from '../core/systemd.js';
import { databaseOf, type StorageConfig } from './config.js';
import { TypeConsumer } from './consumer.js';
import { DeadLetters } from './dead-letter.js';
import { createEngine } from './engines/index.js';
import { MigrationError, migrate } from './migrations.js';
import { storageMetrics } from './metrics.js';
import { queryRoute } from './query.js';
import { TABLES } from './schema.js';

const RETRY_MS = 2000;

export async function startStorage(config: StorageConfig, log: Logger): Promise<Running> {
  const db = databaseOf(config);
  const registry = createRegistry(`storage-${config.tier}`);
  const metrics = storageMetrics(registry);
  const engine = createEngine(config.clickhouse);
  const abort = new AbortController();
  const consumers = new Map<DataType, TypeConsumer>();
  const state = {
    /** schema_error: migrations refused (MigrationError); storage serves /health and stores nothing until an operator acts. */
    phase: 'starting' as 'starting' | 'running' | 'schema_error',
    schemaError: undefined as string | undefined,
    clickhouse: { ok: false, error: undefined as string | undefined },
    nc: undefined as NatsConnection | undefined,
  };

  const health = () => {
    const now = Date.now();
    const nats = state.nc ? { connected: !state.nc.isClosed(), server: state.nc.getServer() } : { connected: false };
    const per = Object.fromEntries(
      [...consumers].map(([t, c]) => [
        t,
        {
          lag: c.pending + c.ackPending,
          last_insert_age_s: c.lastInsertAt === undefined ? null : Math.round((now - c.lastInsertAt) / 1000),
          failing: c.failing ?? null,
        },
      ]),
    );
    let status: HealthStatus = 'healthy';
    if (state.phase !== 'running' || !nats.connected || !state.clickhouse.ok || [...consumers.values()].some((c) => c.failing)) {
      status = 'failing';
    }
    return {
      status,
      tier: config.tier,
      database: db,
      engine: engine.kind,
      phase: state.phase,
      ...(state.schemaError ? { error: state.schemaError } : {}),
      nats,
      clickhouse: state.clickhouse,
      consumers: per,
    };
  };

  const http = await startHttpServer(
    {
      name: 'health',
      host: config.health.host,
      port: config.health.port,
      routes: { '/health': () => healthReply(health()), '/metrics': metricsRoute(registry), '/query': queryRoute(() => engine) },
    },
    log,
  );

  const until = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await fn();
      } catch (err) {
        // Permanent: retrying cannot fix a refused migration.
        if (abort.signal.aborted || err instanceof MigrationError) throw err;
        if (attempt === 1 || attempt % 15 === 0) log.warn({ err: (err as Error).message, attempt }, `${what} failed; retrying`);
        notifyStatus(`waiting: ${what}: ${(err as Error).message.slice(0, 120)}`);
        await new Promise((r) => setTimeout(r, RETRY_MS));
      }
    }
  };

  const startup = (async () => {
    let report;
    try {
      report = await until('ClickHouse schema migration', () => migrate(engine, db, config.tier === 'hot' ? config.clickhouse.hot_ttl_days : undefined));
    } catch (err) {
      if (!(err instanceof MigrationError)) throw err;
      // Stay up and say so on /health and in `systemctl status`, rather than exit and be
      // restarted into the same error: READY so systemd's start timeout does not kill it.
      state.phase = 'schema_error';
      state.schemaError = err.message;
      state.clickhouse.ok = true;
      log.error({ err: err.message, database: db }, 'schema migration refused; storing nothing until this is fixed');
      notifyReady(`schema error, storing nothing: ${err.message.slice(0, 200)}`);
      return [];
    }
    state.clickhouse.ok = true;
    log.info(report, 'schema ready');
    const nc = await until('NATS connect', () => connectNats({ ...config.nats, name: `marketprism-storage-${config.tier}` }, log));
    state.nc = nc;
    const jsm = await jetstreamManager(nc);
    await until(`stream ${config.nats.stream}`, () => jsm.streams.info(config.nats.stream));
    const js = jetstream(nc);
    const dlq = new DeadLetters(js, config.nats.dead_letter_subject_prefix, config.nats.stream);
    for (const type of DATA_TYPES) {
      const c = new TypeConsumer(
        {
          stream: config.nats.stream,
          durable: `storage-${config.tier}-${type}`,
          type,
          table: `${db}.${TABLES[type]}`,
          maxRows: config.batch.max_rows,
          maxWaitMs: config.batch.max_wait_ms,
          ackWaitMs: config.batch.ack_wait_ms,
          maxDeliver: config.batch.max_deliver,
        },
        js,
        jsm,
        engine,
        dlq,
        metrics,
        log.child({ data_type: type }),
      );
      await until(`consumer storage-${config.tier}-${type}`, () => c.ensure());
      consumers.set(type, c);
    }
    const loops = [...consumers.values()].map((c) => c.run(abort.signal));
    state.phase = 'running';
    notifyReady(`storing ${DATA_TYPES.length} data types into ${db} (${engine.kind})`);
    log.info({ database: db, engine: engine.kind, consumers: consumers.size }, 'storage running');
    return Promise.all(loops);
  })();
  startup.catch((err) => {
    if (!abort.signal.aborted) {
      log.fatal({ err }, 'storage failed');
      process.exit(1);
    }
  });

  const refreshStatus = async (): Promise<void> => {
    try {
      await engine.ping();
      state.clickhouse = { ok: true, error: undefined };
    } catch (err) {
      state.clickhouse = { ok: false, error: (err as Error).message };
    }
    for (const c of consumers.values()) await c.refreshInfo().catch(() => undefined);
    const h = health();
    if (state.schemaError) return notifyStatus(`schema error, storing nothing: ${state.schemaError.slice(0, 200)}`);
    const lag = Object.values(h.consumers).reduce((a, c) => a + c.lag, 0);
    notifyStatus(`${h.status}: lag ${lag} messages; clickhouse ${state.clickhouse.ok ? 'ok' : 'DOWN'}`);
  };
  const refresh = setInterval(() => void refreshStatus(), 5000);
  refresh.unref();

  // A consumer loop that stopped turning (hung fetch, wedged insert) starves the watchdog.
  const stallMs = config.batch.max_wait_ms + config.clickhouse.request_timeout_ms + 30_000;
  const stopWatchdog = startWatchdog(() => state.phase !== 'running' || [...consumers.values()].every((c) => Date.now() - c.lastLoopAt < stallMs), log);

  return {
    async stop() {
      stopWatchdog();
      clearInterval(refresh);
      abort.abort();
      await Promise.race([startup.catch(() => undefined), new Promise((r) => setTimeout(r, 10_000))]);
      await state.nc?.drain().catch(() => undefined);
      await engine.close();
      await http.close();
    },
  };
}
