/**
 * marketprism-storage: provisions the schema, runs one consumer per data type and
 * reports health.
 *
 * READY once initialised: config loaded, /health listening, and the start-up work
 * (ClickHouse: connect and migrate; NATS: connect, find the stream, ensure the
 * consumers) running in retry loops with backoff, whether or not ClickHouse or NATS
 * answers yet. A peer that is away is a degraded state, said on /health and in the
 * status line, not a failed start; the consumers start once both answered. A refused
 * migration (MigrationError) is permanent: storage stays up storing nothing, failing.
 * The watchdog is fed while the event loop turns and the work makes progress: the
 * start-up retry loops keep turning, then every consumer loop keeps turning.
 */
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { Running } from '../core/daemon.js';
import { healthReply, startHttpServer, type HealthStatus } from '../core/http.js';
import type { Logger } from '../core/logger.js';
import { metricsRoute } from '../core/metrics.js';
import { DATA_TYPES, type DataType } from '../core/model.js';
import { connectNats, onConnectionChange, type NatsConnection } from '../core/nats.js';
import { logsFailure, retryUntil } from '../core/retry.js';
import { notifyReady, notifyStatus, startWatchdog } from '../core/systemd.js';
import { databaseOf, durableName, type StorageConfig } from './config.js';
import { TypeConsumer } from './consumer.js';
import { DeadLetters, sanitizeReason } from './dead-letter.js';
import { createEngine } from './engines/index.js';
import { MigrationError, migrate } from './migrations.js';
import { coldMetrics, storageMetrics, storageRegistry, ttlGuardMetrics } from './metrics.js';
import { runEvery } from './cold-loop.js';
import { daemonReader } from './cold-reader.js';
import { TtlGuard, guardLateDays } from './cold-ttl-guard.js';
import { ColdVerifier } from './cold-verifier.js';
import { engineIdentity, queryRoute } from './query.js';
import { TABLES } from './schema.js';

/** Backoff of the start-up retry loops. */
const RETRY = { initialMs: 1000, maxMs: 15_000 };

/** A peer's error for /health and the status line: one line, short, no credentials in URLs. */
export function peerError(message: string): string {
  return sanitizeReason(message.replace(/\/\/[^/@\s]*@/g, '//***@')).slice(0, 160);
}

export interface StorageState {
  phase: 'starting' | 'running' | 'schema_error';
  schemaError?: string;
  clickhouse: { ok: boolean; error?: string };
  nats: { connected: boolean; error?: string };
  /** Consumers attached, of all data types. */
  consumers: { attached: number; total: number; failing: { type: string; reason: string; schema: boolean }[] };
  lag: number;
  /** The cold verifier's or the TTL guard's reasons for degraded (cold-verifier.ts, cold-ttl-guard.ts). */
  cold?: string[];
}

/**
 * /health's status and reasons from the state: degraded while a peer (ClickHouse, NATS)
 * is away or a consumer retries a transient failure; failing when only an operator can
 * help (a refused migration, a schema or permission error on insert).
 */
export function storageStatus(s: StorageState): { status: HealthStatus; reasons: string[]; retrying: boolean } {
  const reasons: string[] = [];
  let retrying = false;
  let status: HealthStatus = 'healthy';
  if (s.phase === 'schema_error') return { status: 'failing', reasons: [`schema error, storing nothing: ${s.schemaError ?? ''}`], retrying: false };
  // No error yet: the first attempt is under way.
  if (!s.clickhouse.ok && !s.clickhouse.error) reasons.push('ClickHouse: connecting');
  else if (!s.clickhouse.ok) {
    reasons.push(`ClickHouse unreachable (${s.clickhouse.error})`);
    retrying = true;
  }
  if (!s.nats.connected && !s.nats.error) reasons.push('NATS: connecting');
  else if (!s.nats.connected) {
    reasons.push(`NATS unreachable (${s.nats.error})`);
    retrying = true;
  } else if (s.nats.error) {
    // Connected, but the stream or a consumer is not there yet (the broker reconciles the streams).
    reasons.push(`NATS: ${s.nats.error}`);
    retrying = true;
  }
  if (s.phase === 'starting' && s.clickhouse.ok && s.nats.connected) reasons.push(`starting: ${s.consumers.attached}/${s.consumers.total} consumers attached`);
  for (const f of s.consumers.failing) {
    reasons.push(`${f.type}: ${f.reason}`);
    if (f.schema) status = 'failing';
    else retrying = true;
  }
  reasons.push(...(s.cold ?? []));
  if (status === 'healthy' && reasons.length > 0) status = 'degraded';
  return { status, reasons, retrying };
}

/** The systemd STATUS= line: the same facts as /health in one line. */
export function storageStatusLine(s: StorageState, db: string, engine: string): string {
  const { status, reasons, retrying } = storageStatus(s);
  if (s.phase === 'schema_error') return `failing: schema error, storing nothing: ${(s.schemaError ?? '').slice(0, 200)}`;
  const head =
    status === 'healthy'
      ? `storing: ${s.consumers.attached}/${s.consumers.total} consumers, ClickHouse and NATS connected; lag ${s.lag} messages (${db}, ${engine})`
      : `${status}: ${reasons.join('; ')}${retrying ? ', retrying' : ''}`;
  return head.length > 400 ? `${head.slice(0, 397)}...` : head;
}

export async function startStorage(config: StorageConfig, log: Logger): Promise<Running> {
  const db = databaseOf(config);
  const registry = storageRegistry(config.tier);
  const metrics = storageMetrics(registry);
  const engine = createEngine(config.clickhouse);
  const abort = new AbortController();
  const consumers = new Map<DataType, TypeConsumer>();
  // With cold.verify: the cold tier verifies windows and backfills them; the hot tier drops only verified days.
  // Both databases on one server: each side reads the other through the engine; embedded: through the other daemon's /query.
  const side = { engine, hotDb: config.clickhouse.hot_database, coldDb: config.clickhouse.cold_database, log: log.child({ part: 'cold' }) };
  const embedded = config.clickhouse.engine === 'embedded';
  const verifier =
    config.cold.verify && config.tier === 'cold'
      ? new ColdVerifier({
          ...side,
          hot: embedded ? daemonReader(config.cold.hot_health_port, 'the hot storage daemon') : engine,
          ...(embedded ? { lateDays: () => guardLateDays(config.cold.hot_health_port) } : {}),
          cold: config.cold,
          metrics: coldMetrics(registry),
        })
      : undefined;
  const guard =
    config.cold.verify && config.tier === 'hot'
      ? new TtlGuard({
          ...side,
          cold: embedded ? daemonReader(config.cold.cold_health_port, 'the cold storage daemon') : engine,
          ...(embedded ? {} : { coldWriter: engine }),
          ttlDays: config.clickhouse.hot_ttl_days,
          maxLagMinutes: config.cold.max_lag_minutes,
          metrics: ttlGuardMetrics(registry),
        })
      : undefined;
  const state = {
    /** schema_error: migrations refused (MigrationError); storage serves /health and stores nothing until an operator acts. */
    phase: 'starting' as StorageState['phase'],
    schemaError: undefined as string | undefined,
    clickhouse: { ok: false, error: undefined as string | undefined },
    nats: { connected: false, error: undefined as string | undefined },
    nc: undefined as NatsConnection | undefined,
    /** The last attempt of a start-up retry loop (the watchdog's proof that they turn). */
    attemptAt: Date.now(),
  };

  const snapshot = (): StorageState => {
    const failing = [...consumers].flatMap(([type, c]) =>
      // The consumer's reason names the failure class (engines/errors.ts): only "schema" needs an operator.
      c.failing ? [{ type, reason: c.failing, schema: c.failing.startsWith('insert (schema)') }] : [],
    );
    return {
      phase: state.phase,
      ...(state.schemaError ? { schemaError: state.schemaError } : {}),
      clickhouse: state.clickhouse,
      nats: state.nats,
      consumers: { attached: consumers.size, total: DATA_TYPES.length, failing },
      lag: [...consumers.values()].reduce((a, c) => a + c.pending + c.ackPending, 0),
      ...(verifier || guard ? { cold: (verifier ?? guard)!.health().reasons } : {}),
    };
  };

  const health = () => {
    const now = Date.now();
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
    const { status, reasons, retrying } = storageStatus(snapshot());
    return {
      status,
      reasons,
      retrying,
      tier: config.tier,
      database: db,
      engine: engine.kind,
      phase: state.phase,
      ...(state.schemaError ? { error: state.schemaError } : {}),
      nats: { connected: state.nats.connected, ...(state.nc ? { server: state.nc.getServer() } : {}) },
      clickhouse: state.clickhouse,
      consumers: per,
      ...(verifier ? { cold_verifier: verifier.health().report } : {}),
      ...(guard ? { ttl_guard: guard.health().report } : {}),
    };
  };

  const http = await startHttpServer(
    {
      name: 'health',
      host: config.health.host,
      port: config.health.port,
      routes: {
        '/health': () => healthReply(health()),
        '/metrics': metricsRoute(registry),
        '/query': queryRoute(() => engine, engineIdentity(config.clickhouse)),
      },
    },
    log,
  );

  /** Retries `fn` with backoff until it works or storage stops; `permanent` errors end the loop at once. */
  const until = <T>(what: string, fn: () => Promise<T>, onFail: (err: Error) => void): Promise<T> =>
    retryUntil(
      async () => {
        state.attemptAt = Date.now();
        try {
          return await fn();
        } catch (err) {
          // Permanent: retrying cannot fix a refused migration.
          if (err instanceof MigrationError) abort.abort(err);
          throw err;
        }
      },
      {
        ...RETRY,
        signal: abort.signal,
        onError: (err, attempt, delayMs) => {
          state.attemptAt = Date.now();
          onFail(err);
          if (logsFailure(attempt)) log.warn({ err: err.message, attempt, retry_in_ms: Math.round(delayMs) }, `${what} failed; retrying`);
        },
      },
    );
  let coldLoop: Promise<void> = Promise.resolve();
  const chFailed = (err: Error) => (state.clickhouse = { ok: false, error: peerError(err.message) });
  const natsFailed = (err: Error) => (state.nats = { connected: false, error: peerError(err.message) });
  const streamFailed = (what: string) => (err: Error) => (state.nats = { connected: true, error: peerError(`${what}: ${err.message}`) });

  // ClickHouse (connect, migrate) and NATS (connect, stream, consumers) each in its own retry loop.
  const schema = until(
    'ClickHouse schema migration',
    () =>
      migrate(
        engine,
        db,
        config.tier === 'hot' ? config.clickhouse.hot_ttl_days : undefined,
        config.clickhouse.cluster || undefined,
        config.tier === 'hot' ? config.cold.verify : undefined,
      ),
    chFailed,
  ).then((report) => {
    state.clickhouse = { ok: true, error: undefined };
    log.info(report, 'schema ready');
    // Independent of NATS: the cold verifier and the TTL guard need only ClickHouse.
    const periodic = verifier ?? guard;
    if (periodic) coldLoop = runEvery(config.cold.interval_seconds * 1000, abort.signal, () => periodic.pass());
  });
  const attach = (async () => {
    const nc = await until('NATS connect', () => connectNats({ ...config.nats, name: `marketprism-storage-${config.tier}` }, log), natsFailed);
    state.nc = nc;
    state.nats = { connected: true, error: undefined };
    onConnectionChange(nc, (up) => (state.nats = up ? { connected: true, error: undefined } : { connected: false, error: 'disconnected; reconnecting' }));
    const jsm = await until('JetStream', () => jetstreamManager(nc), streamFailed('JetStream'));
    await until(`stream ${config.nats.stream}`, () => jsm.streams.info(config.nats.stream), streamFailed(`stream ${config.nats.stream}`));
    state.nats = { connected: true, error: undefined };
    const js = jetstream(nc);
    const dlq = new DeadLetters(js, config.nats.dead_letter_subject_prefix, config.nats.stream);
    const ready: TypeConsumer[] = [];
    for (const type of DATA_TYPES) {
      const c = new TypeConsumer(
        {
          stream: config.nats.stream,
          durable: durableName(config.tier, type),
          type,
          table: `${db}.${TABLES[type]}`,
          maxRows: config.batch.max_rows,
          maxWaitMs: config.batch.max_wait_ms,
          insertsInFlight: config.batch.inserts_in_flight,
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
      await until(`consumer ${durableName(config.tier, type)}`, () => c.ensure(), streamFailed(`consumer ${durableName(config.tier, type)}`));
      ready.push(c);
    }
    return ready;
  })();

  const startup = (async () => {
    let attached: TypeConsumer[];
    try {
      [, attached] = await Promise.all([schema, attach]);
    } catch (err) {
      if (!(abort.signal.reason instanceof MigrationError)) throw err;
      // Stay up and say so on /health and in `systemctl status`, rather than exit and be
      // restarted into the same error.
      const refused = abort.signal.reason;
      state.phase = 'schema_error';
      state.schemaError = refused.message;
      state.clickhouse = { ok: true, error: undefined };
      log.error({ err: refused.message, database: db }, 'schema migration refused; storing nothing until this is fixed');
      notifyStatus(storageStatusLine(snapshot(), db, engine.kind));
      return [];
    }
    // Consumers start only with the schema in place; they attach to the health report as they run.
    attached.forEach((c, i) => consumers.set(DATA_TYPES[i]!, c));
    const loops = attached.map((c) => c.run(abort.signal));
    state.phase = 'running';
    notifyStatus(storageStatusLine(snapshot(), db, engine.kind));
    log.info({ database: db, engine: engine.kind, consumers: consumers.size }, 'storage running');
    return Promise.all(loops);
  })();
  startup.catch((err) => {
    if (!abort.signal.aborted) {
      log.fatal({ err }, 'storage failed');
      process.exit(1);
    }
  });

  notifyReady(storageStatusLine(snapshot(), db, engine.kind));
  log.info({ database: db, engine: engine.kind }, 'storage ready (consumers start once ClickHouse and NATS answer)');

  const refreshStatus = async (): Promise<void> => {
    if (state.phase !== 'starting') {
      try {
        await engine.ping();
        state.clickhouse = { ok: true, error: undefined };
      } catch (err) {
        chFailed(err as Error);
      }
    }
    for (const c of consumers.values()) await c.refreshInfo().catch(() => undefined);
    notifyStatus(storageStatusLine(snapshot(), db, engine.kind));
  };
  const refresh = setInterval(() => void refreshStatus(), 5000);
  refresh.unref();

  // Start-up: the retry loops must keep turning (each attempt is bounded by the engine's and
  // NATS' own timeouts). Running: a consumer loop that stopped turning (hung fetch, wedged
  // insert) starves the watchdog.
  const stallMs = config.batch.max_wait_ms + config.clickhouse.request_timeout_ms + 30_000;
  const startupStallMs = RETRY.maxMs + config.clickhouse.request_timeout_ms + 30_000;
  const stopWatchdog = startWatchdog(() => {
    if (state.phase === 'schema_error') return true;
    if (state.phase === 'starting') return Date.now() - state.attemptAt < startupStallMs;
    return [...consumers.values()].every((c) => Date.now() - c.lastLoopAt < stallMs);
  }, log);

  return {
    async stop() {
      stopWatchdog();
      clearInterval(refresh);
      abort.abort();
      await Promise.race([Promise.all([startup.catch(() => undefined), coldLoop]), new Promise((r) => setTimeout(r, 10_000))]);
      await state.nc?.drain().catch(() => undefined);
      await engine.close();
      await http.close();
    },
  };
}
