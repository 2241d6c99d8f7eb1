/** marketprism-broker configuration: shape, defaults and validation. */
import { ConfigProblems, MAX_TIMER_MS, relativeTo, type ConfigReader } from '../core/config.js';
import type { Env } from '../core/env-overrides.js';
import { LOG_LEVELS, type LogLevel } from '../core/logger.js';
import type { NatsClientAuth } from '../core/nats.js';
import { readStreamSpecs, type StreamSpec } from '../core/streams.js';

/** The broker's roles: each a NATS user whose password is in its own file. */
export const ROLES = ['admin', 'collector', 'storage'] as const;
export type Role = (typeof ROLES)[number];

export interface BrokerTls {
  cert_file: string;
  key_file: string;
  /** The CA clients' certificates are verified with ('' : the system's). */
  ca_file: string;
  /** Require a client certificate signed by ca_file. */
  verify_clients: boolean;
}

/**
 * A NATS cluster (docs/cluster.md): this node's route listener, the seed routes (every
 * node's, this one's included: nats-server ignores a route to itself), the routes'
 * shared password, and the replicas every stream gets.
 */
export interface BrokerCluster {
  name: string;
  host: string;
  port: number;
  /** host:port of every node's cluster listener. */
  routes: string[];
  /** The `route` user's password, the same file content on every node. */
  password_file: string;
  /** num_replicas of every stream while clustered. */
  stream_replicas: number;
}

export interface BrokerConfig {
  nats_server: {
    binary: string;
    /** Unique per node in a cluster (JetStream places replicas by it). */
    server_name: string;
    host: string;
    port: number;
    /** Monitoring (/healthz, /jsz) listens here: loopback unless set. */
    monitor_host: string;
    monitor_port: number;
    /** The password file of each role; undefined: no authentication (loopback only). */
    auth: Record<Role, string> | undefined;
    tls: BrokerTls | undefined;
    cluster: BrokerCluster | undefined;
    store_dir: string;
    max_memory_store: number;
    max_file_store: number;
    /** "always" or a duration nats-server understands, such as "120000ms". */
    sync_interval: string;
    startup_timeout_ms: number;
    restart_backoff_ms: { initial: number; max: number };
  };
  streams_file: string;
  streams: StreamSpec[];
  log_level: LogLevel;
}

/**
 * Reads broker.yaml and the streams file it names; throws ConfigErrors naming every problem in both.
 * `env`: the daemon's environment, whose variables override keys of broker.yaml (core/env-overrides.ts).
 */
export function loadBrokerConfig(file: string, env: Env = process.env): BrokerConfig {
  const problems = new ConfigProblems();
  const root = problems.readFile(file, { module: 'broker', env });
  if (!root) problems.throwIfAny();
  const n = root!.child('nats_server');
  const backoff = n.child('restart_backoff_ms');
  const nats_server = {
    binary: n.string('binary', 'nats-server'),
    server_name: n.string('server_name', 'marketprism'),
    host: n.string('host', '127.0.0.1'),
    port: n.int('port', 4222, 1, 65535),
    monitor_host: n.string('monitor_host', '127.0.0.1'),
    monitor_port: n.int('monitor_port', 8222, 1, 65535),
    auth: readAuth(n),
    tls: readTls(n),
    cluster: readCluster(n),
    store_dir: n.string('store_dir', '/var/lib/marketprism/broker/jetstream'),
    max_memory_store: n.bytes('max_memory_store', '256MB'),
    max_file_store: n.bytes('max_file_store', '20GB'),
    sync_interval: readSyncInterval(n),
    startup_timeout_ms: n.int('startup_timeout_ms', 20_000, 1000, MAX_TIMER_MS),
    restart_backoff_ms: { initial: backoff.int('initial', 500, 10, MAX_TIMER_MS), max: backoff.int('max', 10_000, 10, MAX_TIMER_MS) },
  };
  backoff.done();
  if (!nats_server.auth && !isLoopback(nats_server.host)) {
    n.fail(
      'host',
      `${nats_server.host} is reachable from other hosts, so NATS needs authentication: set nats_server.auth (see docs/security.md), or listen on 127.0.0.1`,
    );
  }
  if (nats_server.port === nats_server.monitor_port) n.fail('monitor_port', `${nats_server.monitor_port} is also nats_server.port; they need two ports`);
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(nats_server.server_name))
    n.fail('server_name', `expected letters, digits, - or _, got ${JSON.stringify(nats_server.server_name)}`);
  if (nats_server.cluster) {
    if (!n.has('server_name')) n.fail('server_name', 'a cluster node needs its own server_name (unique per node, e.g. its host name)');
    if (!nats_server.auth) n.fail('cluster', 'a cluster needs nats_server.auth: every node is reachable from the others');
    const used = [nats_server.port, nats_server.monitor_port];
    if (used.includes(nats_server.cluster.port)) n.fail('cluster', `port ${nats_server.cluster.port} is also a client or monitoring port`);
  }
  n.done();
  const streams_file = relativeTo(file, root!.string('streams_file', 'streams.yaml'));
  const log_level = root!.oneOf('log_level', LOG_LEVELS, 'info');
  root!.done();

  const streamsRoot = problems.readFile(streams_file);
  const streams = withClusterReplicas(streamsRoot ? readStreamSpecs(streamsRoot) : [], nats_server.cluster);
  if (streamsRoot) checkStoreLimits(n, streamsRoot, nats_server, streams);
  problems.throwIfAny();
  return { nats_server, streams_file, streams, log_level };
}

/** Clustered, every stream is replicated as the cluster says (streams.yaml's num_replicas is the single-node value). */
export function withClusterReplicas(specs: StreamSpec[], cluster: BrokerCluster | undefined): StreamSpec[] {
  return cluster ? specs.map((s) => ({ ...s, num_replicas: cluster.stream_replicas })) : specs;
}

/** 127.0.0.0/8, ::1 or localhost: only this host can connect. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** nats_server.auth: `<role>_password_file` for every role, relative to broker.yaml. */
function readAuth(n: ConfigReader): Record<Role, string> | undefined {
  if (!n.has('auth')) {
    n.raw('auth');
    return undefined;
  }
  const a = n.child('auth');
  const files = Object.fromEntries(ROLES.map((r) => [r, a.secretFile(`${r}_password_file`)])) as Record<Role, string>;
  a.done();
  return files;
}

function readCluster(n: ConfigReader): BrokerCluster | undefined {
  if (!n.has('cluster')) {
    n.raw('cluster');
    return undefined;
  }
  const c = n.child('cluster');
  const cluster: BrokerCluster = {
    name: c.string('name', 'marketprism'),
    host: c.string('host', '127.0.0.1'),
    port: c.int('port', 6222, 1, 65535),
    routes: c.strings('routes'),
    password_file: c.secretFile('password_file'),
    stream_replicas: c.int('stream_replicas', 3, 1, 5),
  };
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(cluster.name)) c.fail('name', `expected letters, digits, - or _, got ${JSON.stringify(cluster.name)}`);
  cluster.routes.forEach((r, i) => {
    if (!/^[A-Za-z0-9.-]+:\d{1,5}$|^\[[0-9a-fA-F:]+\]:\d{1,5}$/.test(r))
      c.fail(`routes[${i}]`, `expected host:port of a node's cluster listener, got ${JSON.stringify(r)}`);
  });
  if (cluster.routes.length < 2) c.fail('routes', `a cluster needs the routes of at least 2 nodes (this one's included), got ${cluster.routes.length}`);
  if (cluster.stream_replicas > cluster.routes.length)
    c.fail('stream_replicas', `${cluster.stream_replicas} replicas need at least as many nodes; routes lists ${cluster.routes.length}`);
  c.done();
  return cluster;
}

function readTls(n: ConfigReader): BrokerTls | undefined {
  if (!n.has('tls')) {
    n.raw('tls');
    return undefined;
  }
  const t = n.child('tls');
  const tls = {
    cert_file: t.readableFile('cert_file'),
    key_file: t.secretFile('key_file'),
    ca_file: t.has('ca_file') ? t.readableFile('ca_file') : (t.raw('ca_file'), ''),
    verify_clients: t.bool('verify_clients', false),
  };
  if (tls.verify_clients && !tls.ca_file) t.fail('verify_clients', "needs ca_file (the CA that signs the clients' certificates)");
  t.done();
  return tls;
}

/** How the broker itself and `marketprism streams ensure` connect: as admin, over loopback. */
export function adminAuth(c: BrokerConfig['nats_server']): NatsClientAuth {
  const tls = c.tls && {
    ca_file: c.tls.ca_file,
    ...(c.tls.verify_clients ? { cert_file: c.tls.cert_file, key_file: c.tls.key_file } : { cert_file: '', key_file: '' }),
  };
  return { user: c.auth ? 'admin' : '', password_file: c.auth?.admin ?? '', tls };
}

/** "always", or a duration rendered in ms: nats-server (Go) knows no "d" unit. */
function readSyncInterval(n: ConfigReader): string {
  if (n.raw('sync_interval') === 'always') return 'always';
  return `${n.durationMs('sync_interval', '2m')}ms`;
}

/**
 * JetStream reserves each stream's max_bytes from the server's store of its type and
 * refuses a stream that does not fit, so the broker could never reconcile it.
 */
function checkStoreLimits(n: ConfigReader, streamsRoot: ConfigReader, c: BrokerConfig['nats_server'], streams: StreamSpec[]): void {
  for (const storage of ['file', 'memory'] as const) {
    const key = storage === 'file' ? 'max_file_store' : 'max_memory_store';
    const store = c[key];
    if (store < 0) continue;
    // streams.yaml's key of each spec: its streams first, then its key-value buckets (core/streams readStreamSpecs).
    const streamCount = streams.filter((s) => !s.kv).length;
    const keyOf = (s: StreamSpec, i: number) => (s.kv ? `kv_buckets[${i - streamCount}].max_bytes` : `streams[${i}].max_bytes`);
    const limited = streams.map((s, i) => ({ s, i })).filter(({ s }) => s.storage === storage && s.max_bytes > 0);
    for (const { s, i } of limited) {
      if (s.max_bytes > store) {
        const what = s.kv ? `bucket ${s.kv.bucket}` : `stream ${s.name}`;
        streamsRoot.fail(keyOf(s, i), `${what}: ${s.max_bytes} bytes is more than nats_server.${key} (${store} bytes) in ${n.file}`);
      }
    }
    const total = limited.reduce((sum, { s }) => sum + s.max_bytes, 0);
    if (total > store && limited.every(({ s }) => s.max_bytes <= store)) {
      n.fail(
        key,
        `${store} bytes cannot hold the ${storage} streams' max_bytes together (${limited.map(({ s }) => `${s.name} ${s.max_bytes}`).join(' + ')} = ${total} bytes, in ${streamsRoot.file})`,
      );
    }
  }
}
