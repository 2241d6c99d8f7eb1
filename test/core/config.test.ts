import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadBrokerConfig } from '../../src/broker/config.js';
import { renderNatsConfig } from '../../src/broker/nats-config.js';
import { loadCollectorConfig } from '../../src/collector/config.js';
import { ConfigErrors, ConfigReader, MAX_TIMER_MS, readYamlFile } from '../../src/core/config.js';
import { loadStreamSpecs } from '../../src/core/streams.js';
import { loadStorageConfig } from '../../src/storage/config.js';

const dir = mkdtempSync(join(tmpdir(), 'mp-config-'));
const write = (name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};

describe('config', () => {
  it('loads the shipped defaults', () => {
    const s = loadStorageConfig('config/storage.yaml');
    expect(s.tier).toBe('hot');
    expect(s.health.port).toBe(8085);
    expect(s.clickhouse.hot_ttl_days).toBe(3);
    const b = loadBrokerConfig('config/broker.yaml');
    expect(b.nats_server.port).toBe(4222);
    expect(b.nats_server.monitor_port).toBe(8222);
    expect(b.streams.map((x) => x.name)).toEqual(['MARKET_DATA', 'MARKET_DATA_DLQ', 'MARKETPRISM_COUNTS', 'KV_marketprism_leases']);
    expect(b.streams[0]!.duplicate_window_ms).toBe(300_000);
    expect(b.streams[0]!.max_age_ms).toBe(48 * 3600_000);
  });

  it('defaults the cold tier to port 8086', () => {
    expect(loadStorageConfig(write('cold.yaml', 'tier: cold\n')).health.port).toBe(8086);
  });

  it('names the file, the key and the value of a bad setting', () => {
    const f = write('bad1.yaml', 'batch:\n  max_rows: "lots"\n');
    expect(() => loadStorageConfig(f)).toThrow(`${f}: batch.max_rows: expected an integer, got "lots"`);
    const g = write('bad2.yaml', 'clickhouse:\n  engine: postgres\n');
    expect(() => loadStorageConfig(g)).toThrow(`${g}: clickhouse.engine: expected one of embedded, clickhouse, got "postgres"`);
  });

  it('rejects unknown keys instead of ignoring them', () => {
    const f = write('typo.yaml', 'batch:\n  max_row: 10\n');
    expect(() => loadStorageConfig(f)).toThrow(`${f}: batch.max_row: unknown key (misspelt?)`);
  });

  it('reports YAML syntax errors and missing files', () => {
    const f = write('broken.yaml', 'tier: [hot\n');
    expect(() => loadStorageConfig(f)).toThrow(/invalid YAML/);
    expect(() => loadStorageConfig(join(dir, 'nope.yaml'))).toThrow(/cannot read/);
  });

  it('checks stream specs in their own file', () => {
    const streams = write('streams.yaml', 'streams:\n  - name: A\n    subjects: []\n');
    const broker = write('broker.yaml', `streams_file: ${streams}\n`);
    expect(() => loadBrokerConfig(broker)).toThrow(`${streams}: streams[0].subjects: a stream needs at least one subject`);
    const streams2 = write('streams2.yaml', 'streams:\n  - name: A\n    subjects: ["a.>"]\n    max_age: forever\n');
    const broker2 = write('broker2.yaml', `streams_file: streams2.yaml\n`);
    expect(() => loadBrokerConfig(broker2)).toThrow(`${streams2}: streams[0].max_age: expected a duration like 500ms, 30s, 5m, 48h, got "forever"`);
  });
});

/** The ConfigErrors a load throws (fails the test when it does not throw one). */
function problemsOf(load: () => unknown): string[] {
  try {
    load();
  } catch (err) {
    if (err instanceof ConfigErrors) return err.problems.map((p) => p.message);
    throw err;
  }
  throw new Error('expected the config to be rejected');
}

const STREAM = (extra: string) => `streams:\n  - name: A\n    subjects: ["a.>"]\n${extra}`;

describe('config: every problem at once', () => {
  it('reports all bad keys of a file together, each with file, key and value', () => {
    const f = write('many.yaml', 'tier: warm\nbatch:\n  max_rows: "lots"\n  max_row: 1\nhealth:\n  port: 0\nclickhouse:\n  hot_database: "my-db"\n');
    const problems = problemsOf(() => loadStorageConfig(f));
    expect(problems).toEqual([
      `${f}: tier: expected one of hot, cold, got "warm"`,
      `${f}: clickhouse.hot_database: not a valid database name: "my-db"`,
      `${f}: batch.max_rows: expected an integer, got "lots"`,
      `${f}: batch.max_row: unknown key (misspelt?)`,
      `${f}: health.port: must be between 1 and 65535, got 0`,
    ]);
    expect(() => loadStorageConfig(f)).toThrow(/^5 problems:\n {2}\S+many.yaml: tier: /);
  });

  it('reports one problem per key (a bad value is not reported again by the checks that use it)', () => {
    const f = write('once.yaml', STREAM('    max_age: 1m\n    duplicate_window: soon\n'));
    expect(problemsOf(() => loadStreamSpecs(f))).toEqual([`${f}: streams[0].duplicate_window: expected a duration like 500ms, 30s, 5m, 48h, got "soon"`]);
  });

  it('reports the broker file and its streams file together', () => {
    const streams = write('streams-bad.yaml', 'streams:\n  - name: "A B"\n    subjects: ["a.>"]\n    colour: red\n');
    const broker = write('broker-bad.yaml', `nats_server:\n  port: 0\nstreams_file: ${streams}\nlog_level: loud\n`);
    expect(problemsOf(() => loadBrokerConfig(broker))).toEqual([
      `${broker}: nats_server.port: must be between 1 and 65535, got 0`,
      `${broker}: log_level: expected one of trace, debug, info, warn, error, fatal, silent, got "loud"`,
      `${streams}: streams[0].name: invalid stream name "A B"`,
      `${streams}: streams[0].colour: unknown key (misspelt?)`,
    ]);
  });

  it('reports a missing streams file with the broker file', () => {
    const broker = write('broker-nostreams.yaml', 'nats_server:\n  monitor_port: 70000\nstreams_file: none.yaml\n');
    const problems = problemsOf(() => loadBrokerConfig(broker));
    expect(problems[0]).toBe(`${broker}: nats_server.monitor_port: must be between 1 and 65535, got 70000`);
    expect(problems[1]).toMatch(new RegExp(`^${join(dir, 'none.yaml')}: cannot read: ENOENT`));
  });

  it('the collector loader (same reader) reports every problem too', () => {
    const f = write('collector-many.yaml', 'orderbook:\n  depth: 0\nvenues:\n  binance_spot:\n    rotate_after: 30d\n    lsr_period: 3m\n');
    const problems = problemsOf(() => loadCollectorConfig(f));
    expect(problems).toContain(`${f}: orderbook.depth: must be between 1 and 5000, got 0`);
    expect(problems).toContain(`${f}: venues.binance_spot.rotate_after: "30d" is longer than the limit of 24.8d (2147483647 ms, the longest Node.js timer)`);
    expect(problems).toContain(`${f}: venues.binance_spot.lsr_period: expected one of 5m, 15m, 30m, 1h, 2h, 4h, 6h, 12h, 1d, got "3m"`);
  });

  it('a reader of a value that is not a config file (a command-line option) still throws at the first problem', () => {
    expect(() => new ConfigReader('--duration', { d: 'forever' }).durationMs('d')).toThrow(
      '--duration: d: expected a duration like 500ms, 30s, 5m, 48h, got "forever"',
    );
    expect(new ConfigReader('--duration', { d: '90s' }).durationMs('d')).toBe(90_000);
  });
});

describe('config: values that cannot work', () => {
  const reader = (text: string) => new ConfigReader(write('durations.yaml', text), readYamlFile(join(dir, 'durations.yaml')));

  it('rejects every duration longer than a Node.js timer holds', () => {
    const r = reader(`ok: 24d\nlong: 30d\nms: ${MAX_TIMER_MS + 1}\ninf: .inf\n`);
    expect(r.durationMs('ok')).toBe(24 * 86_400_000);
    r.durationMs('long');
    r.durationMs('ms');
    r.durationMs('inf');
    expect(() => r.done()).toThrow(
      `3 problems:\n  ${dir}/durations.yaml: long: "30d" is longer than the limit of 24.8d (2147483647 ms, the longest Node.js timer)\n` +
        `  ${dir}/durations.yaml: ms: 2147483648 is longer than the limit of 24.8d (2147483647 ms, the longest Node.js timer)\n` +
        `  ${dir}/durations.yaml: inf: Infinity is longer than the limit of 24.8d (2147483647 ms, the longest Node.js timer)`,
    );
  });

  it('keeps JetStream durations (max_age) beyond the timer limit: they are no timers', () => {
    const f = write('long-age.yaml', STREAM('    max_age: 365d\n'));
    expect(loadStreamSpecs(f)[0]!.max_age_ms).toBe(365 * 86_400_000);
  });

  it('rejects nats.servers that are empty or not nats:// / tls:// URLs', () => {
    const empty = write('nats-empty.yaml', 'nats:\n  servers: []\n');
    expect(() => loadStorageConfig(empty)).toThrow(`${empty}: nats.servers: needs at least one server, e.g. ["nats://127.0.0.1:4222"]`);
    const http = write('nats-http.yaml', 'nats:\n  servers: ["http://127.0.0.1:4222"]\n');
    expect(() => loadStorageConfig(http)).toThrow(`${http}: nats.servers: expected nats://host:port or tls://host:port URLs, got "http://127.0.0.1:4222"`);
    const bare = write('nats-bare.yaml', 'nats:\n  servers: ["127.0.0.1:4222"]\n');
    expect(() => loadStorageConfig(bare)).toThrow(/nats.servers: expected nats:\/\/host:port/);
    const ok = write('nats-ok.yaml', 'nats:\n  servers: ["nats://a:4222", "tls://b.example:4222"]\n');
    expect(loadStorageConfig(ok).nats.servers).toHaveLength(2);
  });

  it('rejects port 0 where a listener is required', () => {
    const s = write('port0.yaml', 'health:\n  port: 0\n');
    expect(() => loadStorageConfig(s)).toThrow(`${s}: health.port: must be between 1 and 65535, got 0`);
    const streams = write('streams-ok.yaml', STREAM(''));
    const b = write('broker-port0.yaml', `nats_server:\n  port: 0\n  monitor_port: 0\nstreams_file: ${streams}\n`);
    expect(problemsOf(() => loadBrokerConfig(b))).toEqual([
      `${b}: nats_server.port: must be between 1 and 65535, got 0`,
      `${b}: nats_server.monitor_port: must be between 1 and 65535, got 0`,
    ]);
    const same = write('broker-same.yaml', `nats_server:\n  port: 4222\n  monitor_port: 4222\nstreams_file: ${streams}\n`);
    expect(() => loadBrokerConfig(same)).toThrow(`${same}: nats_server.monitor_port: 4222 is also nats_server.port; they need two ports`);
  });

  it('rejects streams the JetStream store cannot hold', () => {
    const big = write('streams-big.yaml', STREAM('    max_bytes: 30GB\n'));
    const b1 = write('broker-big.yaml', `streams_file: ${big}\n`);
    expect(() => loadBrokerConfig(b1)).toThrow(
      `${big}: streams[0].max_bytes: stream A: 30000000000 bytes is more than nats_server.max_file_store (20000000000 bytes) in ${b1}`,
    );

    const two = write('streams-two.yaml', 'streams:\n' + ['A', 'B'].map((n) => `  - { name: ${n}, subjects: ["${n}.>"], max_bytes: 12GB }\n`).join(''));
    const b2 = write('broker-two.yaml', `streams_file: ${two}\n`);
    expect(() => loadBrokerConfig(b2)).toThrow(
      `${b2}: nats_server.max_file_store: 20000000000 bytes cannot hold the file streams' max_bytes together (A 12000000000 + B 12000000000 = 24000000000 bytes, in ${two})`,
    );

    const mem = write('streams-mem.yaml', STREAM('    storage: memory\n    max_bytes: 1GB\n'));
    const b3 = write('broker-mem.yaml', `nats_server:\n  max_memory_store: 512MB\nstreams_file: ${mem}\n`);
    expect(() => loadBrokerConfig(b3)).toThrow(
      /streams\[0\].max_bytes: stream A: 1000000000 bytes is more than nats_server.max_memory_store \(512000000 bytes\)/,
    );
    const b4 = write('broker-mem-ok.yaml', `nats_server:\n  max_memory_store: 2GB\nstreams_file: ${mem}\n`);
    expect(loadBrokerConfig(b4).streams[0]!.storage).toBe('memory');

    // A key-value bucket is named by its own key, not by its place among the streams.
    const kv = write('streams-kv.yaml', STREAM('') + 'kv_buckets:\n  - { bucket: leases, max_bytes: 30GB }\n');
    const b5 = write('broker-kv.yaml', `streams_file: ${kv}\n`);
    expect(() => loadBrokerConfig(b5)).toThrow(
      `${kv}: kv_buckets[0].max_bytes: bucket leases: 30000000000 bytes is more than nats_server.max_file_store (20000000000 bytes) in ${b5}`,
    );
  });

  it('rejects a duplicate window longer than max_age, and messages larger than the stream', () => {
    const f = write('dup.yaml', STREAM('    max_age: 1m\n    duplicate_window: 5m\n    max_bytes: 1MB\n    max_msg_size: 2MB\n'));
    expect(problemsOf(() => loadStreamSpecs(f))).toEqual([
      `${f}: streams[0].duplicate_window: 300000 ms is longer than max_age (60000 ms); JetStream refuses such a stream`,
      `${f}: streams[0].max_msg_size: 2000000 bytes is more than the stream's max_bytes (1000000); no message that large could be kept`,
    ]);
  });

  it('renders sync_interval as a duration nats-server understands', () => {
    const streams = write('streams-sync.yaml', STREAM(''));
    const day = loadBrokerConfig(write('broker-sync.yaml', `nats_server:\n  sync_interval: 1d\nstreams_file: ${streams}\n`));
    expect(renderNatsConfig(day.nats_server)).toContain('sync_interval: "86400000ms"');
    const always = loadBrokerConfig(write('broker-always.yaml', `nats_server:\n  sync_interval: always\nstreams_file: ${streams}\n`));
    expect(renderNatsConfig(always.nats_server)).toContain('sync_interval: always');
    expect(() => loadBrokerConfig(write('broker-sync-bad.yaml', `nats_server:\n  sync_interval: sometimes\nstreams_file: ${streams}\n`))).toThrow(
      /nats_server.sync_interval: expected a duration like 500ms/,
    );
  });
});

describe('config: listeners on loopback by default', () => {
  it('binds health (storage) and NATS (broker) to 127.0.0.1 unless configured', () => {
    expect(loadStorageConfig(write('empty-storage.yaml', '')).health.host).toBe('127.0.0.1');
    const streams = write('streams-lo.yaml', STREAM(''));
    expect(loadBrokerConfig(write('empty-broker.yaml', `streams_file: ${streams}\n`)).nats_server.host).toBe('127.0.0.1');
  });

  it('ships broker.yaml and storage.yaml with loopback listeners', () => {
    expect(loadStorageConfig('config/storage.yaml').health.host).toBe('127.0.0.1');
    expect(loadBrokerConfig('config/broker.yaml').nats_server.host).toBe('127.0.0.1');
  });
});
