/** marketprism-broker configuration: shape, defaults and validation. */
import { ConfigReader, readYamlFile, relativeTo } from '../core/config.js';
import { LOG_LEVELS, type LogLevel } from '../core/logger.js';
import { loadStreamSpecs, type StreamSpec } from '../core/streams.js';

export interface BrokerConfig {
  nats_server: {
    binary: string;
    host: string;
    port: number;
    monitor_port: number;
    store_dir: string;
    max_memory_store: number;
    max_file_store: number;
    /** "always" or a duration such as "2m". */
    sync_interval: string;
    startup_timeout_ms: number;
    restart_backoff_ms: { initial: number; max: number };
  };
  streams_file: string;
  streams: StreamSpec[];
  log_level: LogLevel;
}

export function loadBrokerConfig(file: string): BrokerConfig {
  const root = new ConfigReader(file, readYamlFile(file));
  const n = root.child('nats_server');
  const backoff = n.child('restart_backoff_ms');
  const nats_server = {
    binary: n.string('binary', 'nats-server'),
    host: n.string('host', '0.0.0.0'),
    port: n.int('port', 4222, 0, 65535),
    monitor_port: n.int('monitor_port', 8222, 0, 65535),
    store_dir: n.string('store_dir', '/var/lib/marketprism/broker/jetstream'),
    max_memory_store: n.bytes('max_memory_store', '256MB'),
    max_file_store: n.bytes('max_file_store', '20GB'),
    sync_interval: n.string('sync_interval', '2m'),
    startup_timeout_ms: n.int('startup_timeout_ms', 20_000, 1000),
    restart_backoff_ms: { initial: backoff.int('initial', 500, 10), max: backoff.int('max', 10_000, 10) },
  };
  backoff.done();
  if (nats_server.sync_interval !== 'always') n.durationMs('sync_interval', nats_server.sync_interval);
  n.done();
  const streams_file = relativeTo(file, root.string('streams_file', 'streams.yaml'));
  const log_level = root.oneOf('log_level', LOG_LEVELS, 'info');
  root.done();
  return { nats_server, streams_file, streams: loadStreamSpecs(streams_file), log_level };
}
