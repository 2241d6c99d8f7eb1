/** marketprism-broker configuration: shape, defaults and validation. */
import { ConfigProblems, MAX_TIMER_MS, relativeTo, type ConfigReader } from '../core/config.js';
import { LOG_LEVELS, type LogLevel } from '../core/logger.js';
import { readStreamSpecs, type StreamSpec } from '../core/streams.js';

export interface BrokerConfig {
  nats_server: {
    binary: string;
    host: string;
    port: number;
    monitor_port: number;
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

/** Reads broker.yaml and the streams file it names; throws ConfigErrors naming every problem in both. */
export function loadBrokerConfig(file: string): BrokerConfig {
  const problems = new ConfigProblems();
  const root = problems.readFile(file);
  if (!root) problems.throwIfAny();
  const n = root!.child('nats_server');
  const backoff = n.child('restart_backoff_ms');
  const nats_server = {
    binary: n.string('binary', 'nats-server'),
    host: n.string('host', '127.0.0.1'),
    port: n.int('port', 4222, 1, 65535),
    monitor_port: n.int('monitor_port', 8222, 1, 65535),
    store_dir: n.string('store_dir', '/var/lib/marketprism/broker/jetstream'),
    max_memory_store: n.bytes('max_memory_store', '256MB'),
    max_file_store: n.bytes('max_file_store', '20GB'),
    sync_interval: readSyncInterval(n),
    startup_timeout_ms: n.int('startup_timeout_ms', 20_000, 1000, MAX_TIMER_MS),
    restart_backoff_ms: { initial: backoff.int('initial', 500, 10, MAX_TIMER_MS), max: backoff.int('max', 10_000, 10, MAX_TIMER_MS) },
  };
  backoff.done();
  if (nats_server.port === nats_server.monitor_port) n.fail('monitor_port', `${nats_server.monitor_port} is also nats_server.port; they need two ports`);
  n.done();
  const streams_file = relativeTo(file, root!.string('streams_file', 'streams.yaml'));
  const log_level = root!.oneOf('log_level', LOG_LEVELS, 'info');
  root!.done();

  const streamsRoot = problems.readFile(streams_file);
  const streams = streamsRoot ? readStreamSpecs(streamsRoot) : [];
  if (streamsRoot) checkStoreLimits(n, streamsRoot, nats_server, streams);
  problems.throwIfAny();
  return { nats_server, streams_file, streams, log_level };
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
    const limited = streams.map((s, i) => ({ s, i })).filter(({ s }) => s.storage === storage && s.max_bytes > 0);
    for (const { s, i } of limited) {
      if (s.max_bytes > store) {
        streamsRoot.fail(`streams[${i}].max_bytes`, `stream ${s.name}: ${s.max_bytes} bytes is more than nats_server.${key} (${store} bytes) in ${n.file}`);
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
