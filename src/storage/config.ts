/** marketprism-storage configuration: shape, defaults and validation. */
import { ConfigReader, MAX_TIMER_MS, hasUserInfo, readYamlFile } from '../core/config.js';
import type { Env } from '../core/env-overrides.js';
import { LOG_LEVELS, type LogLevel } from '../core/logger.js';
import { readNatsClientAuth, type NatsClientAuth } from '../core/nats.js';

export type Tier = 'hot' | 'cold';
export type EngineKind = 'embedded' | 'clickhouse';

export interface StorageConfig {
  tier: Tier;
  nats: { servers: string[]; auth: NatsClientAuth; stream: string; dead_letter_subject_prefix: string };
  clickhouse: {
    engine: EngineKind;
    embedded_path: string;
    url: string;
    username: string;
    /** The file holding the ClickHouse password ('': none); read when the engine is created. */
    password_file: string;
    request_timeout_ms: number;
    hot_database: string;
    cold_database: string;
    hot_ttl_days: number;
    /** A ClickHouse cluster's name ('' : one server). */
    cluster: string;
  };
  batch: { max_rows: number; max_wait_ms: number; inserts_in_flight: number; ack_wait_ms: number; max_deliver: number };
  health: { host: string; port: number };
  /** The cold tier's verification (docs/cold-tier.md). */
  cold: ColdConfig;
  log_level: LogLevel;
}

export interface ColdConfig {
  /**
   * Cold tier: run the verifier (hot vs. cold per window, backfill, watermark). Hot tier:
   * the TTL guard (hot drops a day only once cold verified it). Both tiers must agree.
   */
  verify: boolean;
  /** Window length; divides a day, so windows align to UTC midnight. */
  window_minutes: number;
  /** Only windows that ended this long ago are verified (rows still on their way). */
  settle_minutes: number;
  /** Between verification passes (cold) and TTL guard passes (hot). */
  interval_seconds: number;
  /** Windows verified per table and pass, at most (bounds a pass after a long pause). */
  max_windows_per_pass: number;
  /** /health is degraded when a table's watermark is further behind than this. */
  max_lag_minutes: number;
  /**
   * The embedded engine (each tier its own chDB directory): the other tier's health port on
   * 127.0.0.1, whose read-only /query the verifier reads hot through (cold tier) and the TTL
   * guard cold's watermark (hot tier). Unused with a ClickHouse server.
   */
  hot_health_port: number;
  cold_health_port: number;
}

const DB_NAME_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** `env`: the daemon's environment, whose variables override keys of the file (core/env-overrides.ts). */
export function loadStorageConfig(file: string, env: Env = process.env): StorageConfig {
  const root = new ConfigReader(file, readYamlFile(file, { module: 'storage', env }));
  const tier = root.oneOf('tier', ['hot', 'cold'] as const, 'hot');

  const n = root.child('nats');
  const nats = {
    servers: n.natsServers('servers', ['nats://127.0.0.1:4222']),
    auth: readNatsClientAuth(n, 'storage'),
    stream: n.string('stream', 'MARKET_DATA'),
    dead_letter_subject_prefix: n.string('dead_letter_subject_prefix', 'deadletter'),
  };
  n.done();

  const c = root.child('clickhouse');
  const clickhouse = {
    engine: c.oneOf('engine', ['embedded', 'clickhouse'] as const, 'embedded'),
    embedded_path: c.string('embedded_path', '/var/lib/marketprism/storage/chdb'),
    url: c.string('url', 'http://127.0.0.1:8123'),
    username: c.string('username', 'default'),
    password_file: c.has('password_file') ? c.secretFile('password_file') : (c.raw('password_file'), ''),
    request_timeout_ms: c.int('request_timeout_ms', 30_000, 1000, MAX_TIMER_MS),
    hot_database: c.string('hot_database', 'marketprism_hot'),
    cold_database: c.string('cold_database', 'marketprism_cold'),
    hot_ttl_days: c.int('hot_ttl_days', 3, 1, 3650),
    // Its remote_servers entry: replicated tables behind Distributed ones (docs/cluster.md).
    cluster: c.string('cluster', ''),
  };
  if (clickhouse.cluster && !DB_NAME_RE.test(clickhouse.cluster)) c.fail('cluster', `not a valid cluster name: ${JSON.stringify(clickhouse.cluster)}`);
  if (clickhouse.cluster && clickhouse.engine === 'embedded') c.fail('cluster', 'the embedded engine is one process: a cluster needs engine: clickhouse');
  // An inline password would sit in a config file every reader of it sees, and in backups of /etc: files only.
  if (c.raw('password') !== undefined && c.raw('password') !== '' && c.raw('password') !== null) {
    c.fail('password', 'inline passwords are not accepted; put it in a file (mode 0640 root:marketprism) and set clickhouse.password_file');
  }
  for (const k of ['hot_database', 'cold_database'] as const) {
    if (!DB_NAME_RE.test(clickhouse[k])) c.fail(k, `not a valid database name: ${JSON.stringify(clickhouse[k])}`);
  }
  try {
    new URL(clickhouse.url);
    if (hasUserInfo(clickhouse.url))
      c.fail('url', 'a URL with user or password in it would show in logs: use clickhouse.username and clickhouse.password_file');
  } catch {
    c.fail('url', `not a URL: ${JSON.stringify(clickhouse.url)}`);
  }
  c.done();

  const b = root.child('batch');
  const batch = {
    // Records (a multi-record message counts each): few, big inserts at high rates; at low rates max_wait_ms bounds the latency.
    max_rows: b.int('max_rows', 10_000, 1, 1_000_000),
    max_wait_ms: b.int('max_wait_ms', 200, 10, 600_000),
    // Per data type: the next batch goes while one is on its way (a server's round trip, its parse and write).
    inserts_in_flight: b.int('inserts_in_flight', 2, 1, 16),
    ack_wait_ms: b.int('ack_wait_ms', 60_000, 1000, MAX_TIMER_MS),
    max_deliver: b.int('max_deliver', -1, -1),
  };
  if (batch.ack_wait_ms <= batch.max_wait_ms + clickhouse.request_timeout_ms) {
    b.fail(
      'ack_wait_ms',
      `must exceed max_wait_ms + clickhouse.request_timeout_ms (${batch.max_wait_ms + clickhouse.request_timeout_ms}) or batches are redelivered while in flight`,
    );
  }
  b.done();

  const h = root.child('health');
  const health = { host: h.string('host', '127.0.0.1'), port: h.int('port', tier === 'hot' ? 8085 : 8086, 1, 65535) };
  h.done();

  const cold = readColdConfig(root.child('cold'), clickhouse, tier, health);

  const log_level = root.oneOf('log_level', LOG_LEVELS, 'info');
  root.done();
  return { tier, nats, clickhouse, batch, health, cold, log_level };
}

const MINUTES_PER_DAY = 1440;

function readColdConfig(k: ConfigReader, clickhouse: StorageConfig['clickhouse'], tier: Tier, health: StorageConfig['health']): ColdConfig {
  const cold: ColdConfig = {
    verify: k.bool('verify', false),
    window_minutes: k.int('window_minutes', 60, 1, MINUTES_PER_DAY),
    settle_minutes: k.int('settle_minutes', 30, 0, 7 * MINUTES_PER_DAY),
    interval_seconds: k.int('interval_seconds', 60, 1, 86_400),
    max_windows_per_pass: k.int('max_windows_per_pass', 48, 1, 100_000),
    max_lag_minutes: k.int('max_lag_minutes', 180, 1, 365 * MINUTES_PER_DAY),
    hot_health_port: k.int('hot_health_port', 8085, 1, 65535),
    cold_health_port: k.int('cold_health_port', 8086, 1, 65535),
  };
  if (MINUTES_PER_DAY % cold.window_minutes !== 0) {
    k.fail('window_minutes', `must divide a day (1440 minutes) so windows align to UTC midnight, got ${cold.window_minutes}`);
  }
  if (cold.max_lag_minutes <= cold.settle_minutes + cold.window_minutes) {
    k.fail(
      'max_lag_minutes',
      `must exceed settle_minutes + window_minutes (${cold.settle_minutes + cold.window_minutes}): a watermark is always that far behind`,
    );
  }
  if (cold.hot_health_port === cold.cold_health_port) {
    k.fail('cold_health_port', `must differ from cold.hot_health_port (${cold.hot_health_port}): the tiers' daemons each have their own`);
  }
  // The embedded engine: each tier reads the other through its /query on 127.0.0.1 (docs/cold-tier.md), so this daemon must be where the other looks.
  if (cold.verify && clickhouse.engine === 'embedded') {
    const key = tier === 'hot' ? 'hot_health_port' : 'cold_health_port';
    if (health.port !== cold[key]) {
      k.fail(
        key,
        `is ${cold[key]}, but this ${tier} tier's health.port is ${health.port}: with the embedded engine the other tier reads this one's /query there; make them equal`,
      );
    }
    if (!['127.0.0.1', '0.0.0.0', '::'].includes(health.host)) {
      k.fail('verify', `with the embedded engine the tiers read each other's /query on 127.0.0.1, but health.host is ${JSON.stringify(health.host)}`);
    }
  }
  if (cold.verify && clickhouse.cluster) k.fail('verify', 'is not supported with clickhouse.cluster yet (docs/cold-tier.md)');
  k.done();
  return cold;
}

export function databaseOf(config: StorageConfig): string {
  return config.tier === 'hot' ? config.clickhouse.hot_database : config.clickhouse.cold_database;
}

/** The JetStream durable consumer of a tier for a data type (storage creates it; `marketprism status` reads its lag). */
export function durableName(tier: Tier, type: string): string {
  return `storage-${tier}-${type}`;
}
