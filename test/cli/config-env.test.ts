/** Environment overrides of the config files (core/env-overrides.ts) and `marketprism check-config`. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadBrokerConfig } from '../../src/broker/config.js';
import { loadCollectorConfig } from '../../src/collector/config.js';
import { loadStorageConfig } from '../../src/storage/config.js';
import { traceConfig } from '../../src/core/config.js';
import { CONFIG_SECTIONS } from '../../src/core/env-overrides.js';
import { checkConfigRow, cli } from '../helpers/cli.js';
import { spawnDaemon } from '../helpers/daemons.js';

const dir = mkdtempSync(join(tmpdir(), 'mp-cli-env-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

const collectorFile = write(
  'collector.yaml',
  ['health:', '  port: 8187', 'metrics:', '  port: 9193', 'venues:', '  okx_spot:', '    symbols: [BTC-USDT]', ''].join('\n'),
);
const storageFile = write('storage.yaml', ['nats:', '  servers: ["nats://127.0.0.1:4222"]', 'health:', '  port: 8185', ''].join('\n'));
const brokerFile = write('broker.yaml', ['nats_server:', '  port: 4333', 'streams_file: ' + join(process.cwd(), 'config/streams.yaml'), ''].join('\n'));

describe('environment overrides', () => {
  it('without variables the file decides', () => {
    const c = loadCollectorConfig(collectorFile, {});
    expect([c.health.port, c.metrics.port, c.nats.servers]).toEqual([8187, 9193, ['nats://127.0.0.1:4222']]);
  });

  it("the original's HEALTH_CHECK_PORT, METRICS_PORT and NATS_URL override the file (collector)", () => {
    const c = loadCollectorConfig(collectorFile, { HEALTH_CHECK_PORT: '9001', METRICS_PORT: '9002', NATS_URL: 'nats://10.0.0.1:4222, nats://10.0.0.2:4222' });
    expect([c.health.port, c.metrics.port, c.nats.servers]).toEqual([9001, 9002, ['nats://10.0.0.1:4222', 'nats://10.0.0.2:4222']]);
  });

  it('MARKETPRISM_<SECTION>__<KEY> sets any key, parsed as YAML, and wins over the original name', () => {
    const c = loadCollectorConfig(collectorFile, {
      HEALTH_CHECK_PORT: '9001',
      MARKETPRISM_HEALTH__PORT: '9005',
      MARKETPRISM_LOG_LEVEL: 'debug',
      MARKETPRISM_FRESHNESS__TRADE: '90s',
      MARKETPRISM_VENUES__OKX_SPOT__ENABLED: 'false',
      MARKETPRISM_VENUES__OKX_SPOT__SYMBOLS: '[ETH-USDT, SOL-USDT]',
      MARKETPRISM_FUZZ_SEED: '7', // not a section of collector.yaml: left alone
    });
    expect(c.health.port).toBe(9005);
    expect(c.log_level).toBe('debug');
    expect(c.freshness_ms.trade).toBe(90_000);
    expect(c.venues[0]).toMatchObject({ name: 'okx_spot', enabled: false, symbols: ['ETH-USDT', 'SOL-USDT'] });
  });

  it('storage and broker take a NATS URL too (the broker: where nats-server listens)', () => {
    expect(loadStorageConfig(storageFile, { NATS_URL: 'nats://10.1.1.1:4222' }).nats.servers).toEqual(['nats://10.1.1.1:4222']);
    expect(loadStorageConfig(storageFile, { MARKETPRISM_CLICKHOUSE__ENGINE: 'clickhouse' }).clickhouse.engine).toBe('clickhouse');
    const b = loadBrokerConfig(brokerFile, { NATS_URL: 'nats://127.0.0.2:4444' }).nats_server;
    expect([b.host, b.port]).toEqual(['127.0.0.2', 4444]);
    expect(loadBrokerConfig(brokerFile, { MARKETPRISM_NATS_SERVER__MONITOR_PORT: '8333' }).nats_server.monitor_port).toBe(8333);
  });

  it('a bad value gets the error the file would, naming the variable', () => {
    expect(() => loadCollectorConfig(collectorFile, { HEALTH_CHECK_PORT: '0' })).toThrow(
      `${collectorFile}: health.port: must be between 1 and 65535, got 0 (set by environment variable HEALTH_CHECK_PORT)`,
    );
    expect(() => loadCollectorConfig(collectorFile, { METRICS_PORT: 'abc' })).toThrow(
      'metrics.port: expected an integer, got "abc" (set by environment variable METRICS_PORT)',
    );
    expect(() => loadStorageConfig(storageFile, { MARKETPRISM_NATS__SERVERS: 'http://x' })).toThrow(
      'nats.servers: expected a list of strings, got "http://x" (set by environment variable MARKETPRISM_NATS__SERVERS)',
    );
    expect(() => loadStorageConfig(storageFile, { NATS_URL: 'http://x:1' })).toThrow('(set by environment variable NATS_URL)');
    expect(() => loadStorageConfig(storageFile, { MARKETPRISM_HEALTH__PROT: '1' })).toThrow(
      'health.prot: unknown key (misspelt?) (set by environment variable MARKETPRISM_HEALTH__PROT)',
    );
    expect(() => loadCollectorConfig(collectorFile, { MARKETPRISM_HEALTH__PORT: '[1' })).toThrow(
      'environment variable MARKETPRISM_HEALTH__PORT: invalid YAML value',
    );
    expect(() => loadBrokerConfig(brokerFile, { NATS_URL: 'nats://127.0.0.1' })).toThrow('environment variable NATS_URL: expected nats://host:port');
  });

  it('secrets stay in files: a password from the environment is refused, a *_file path is taken', () => {
    expect(() => loadStorageConfig(storageFile, { MARKETPRISM_CLICKHOUSE__PASSWORD: 'hunter2' })).toThrow(
      /environment variable MARKETPRISM_CLICKHOUSE__PASSWORD: secrets are not taken from the environment.*clickhouse.password_file/,
    );
    expect(() => loadStorageConfig(storageFile, { MARKETPRISM_CLICKHOUSE__PASSWORD_FILE: join(dir, 'missing.password') })).toThrow(
      `clickhouse.password_file: ${join(dir, 'missing.password')} does not exist`,
    );
    // A URL with a password in it is refused without echoing it.
    let message = '';
    try {
      loadStorageConfig(storageFile, { NATS_URL: 'nats://u:hunter2@127.0.0.1:4222' });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toContain('use nats.user and nats.password_file (set by environment variable NATS_URL)');
    expect(message).not.toContain('hunter2');
  });

  it('the daemon binary applies its own environment (as systemd passes /etc/default/marketprism-*)', async () => {
    const d = spawnDaemon('collector', ['check-config', '--config', collectorFile], { HEALTH_CHECK_PORT: '70000' });
    expect(await new Promise((r) => d.child.once('exit', r))).toBe(1);
    expect(d.output()).toContain('health.port: must be between 1 and 65535, got 70000 (set by environment variable HEALTH_CHECK_PORT)');
  });
});

describe('marketprism check-config', () => {
  const envFile = write(
    'marketprism-collector',
    '# as /etc/default/marketprism-collector\nHEALTH_CHECK_PORT=9011\nMARKETPRISM_LOG_LEVEL=warn\nMARKETPRISM_HELTH__PORT=1\n',
  );

  it('prints each effective value and where it came from: file, environment variable, default', async () => {
    const r = await cli('check-config', collectorFile, '--env-file', envFile);
    expect(r.code).toBe(0);
    expect(r.out).toContain(`collector: ${collectorFile} + ${envFile}: valid`);
    const line = (key: string) => checkConfigRow(r.out, key);
    expect(line('health.port')).toEqual(['health.port', '9011', `env HEALTH_CHECK_PORT (--env-file ${envFile})`]);
    expect(line('metrics.port')).toEqual(['metrics.port', '9193', 'file']);
    expect(line('orderbook.depth')).toEqual(['orderbook.depth', '400', 'default']);
    expect(line('log_level')).toEqual(['log_level', 'warn', `env MARKETPRISM_LOG_LEVEL (--env-file ${envFile})`]);
    expect(r.out).toContain('ignored: MARKETPRISM_HELTH__PORT');
  });

  it('--json: the same, for scripts', async () => {
    const r = await cli('check-config', 'storage', '--config', storageFile, '--env-file', envFile, '--json');
    expect(r.code).toBe(0);
    const [c] = JSON.parse(r.out) as { module: string; valid: boolean; keys: { key: string; value: unknown; source: string }[] }[];
    expect(c!.module).toBe('storage');
    expect(c!.valid).toBe(true);
    // HEALTH_CHECK_PORT is the collector's name only; MARKETPRISM_LOG_LEVEL applies to every daemon.
    expect(c!.keys.find((k) => k.key === 'health.port')).toMatchObject({ value: 8185, source: 'file' });
    expect(c!.keys.find((k) => k.key === 'log_level')).toMatchObject({ value: 'warn', source: 'MARKETPRISM_LOG_LEVEL' });
    expect(c!.keys.find((k) => k.key === 'tier')).toMatchObject({ value: 'hot', source: 'default' });
  });

  it('reports every problem with file, key and value, and exits 1', async () => {
    const bad = write('bad-collector.yaml', 'health:\n  port: 0\norderbook:\n  depht: 5\n');
    const env = write('bad-env', 'METRICS_PORT=-3\n');
    const r = await cli('check-config', bad, '--env-file', env);
    expect(r.code).toBe(1);
    expect(r.out).toContain(`error: ${bad}: health.port: must be between 1 and 65535, got 0`);
    expect(r.out).toContain(`error: ${bad}: orderbook.depht: unknown key (misspelt?)`);
    expect(r.out).toContain(`error: ${bad}: metrics.port: must be between 1 and 65535, got -3 (set by environment variable METRICS_PORT)`);
  });
});

describe('the sections a MARKETPRISM_ name may start with', () => {
  it("are exactly the top-level keys each daemon's loader reads (so a new section cannot be forgotten)", () => {
    const env = {};
    const loads: Record<string, () => unknown> = {
      broker: () => loadBrokerConfig(brokerFile, env),
      collector: () => loadCollectorConfig(collectorFile, env),
      storage: () => loadStorageConfig(storageFile, env),
    };
    for (const [module, load] of Object.entries(loads)) {
      const t = traceConfig(load);
      expect(t.error).toBeUndefined();
      expect([...t.topLevel].sort(), module).toEqual([...CONFIG_SECTIONS[module as keyof typeof CONFIG_SECTIONS]].sort());
    }
  });
});
