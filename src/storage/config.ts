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
  batch: { max_rows: number; max_wait_ms: number; ack_wait_ms: number; max_deliver: number };
  health: { host: string; port: number };
  log_level: LogLevel;
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

  const log_level = root.oneOf('log_level', LOG_LEVELS, 'info');
  root.done();
  return { tier, nats, clickhouse, batch, health, log_level };
}

export function databaseOf(config: StorageConfig): string {
  return config.tier === 'hot' ? config.clickhouse.hot_database : config.clickhouse.cold_database;
}
