/**
 * The cold tier consumes the same stream into marketprism_cold (no TTL) with its own
 * durable consumers; the operator CLI migrates idempotently and queries either engine.
 */
import { writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadStorageConfig } from '../../src/storage/config.js';
import { startStorage } from '../../src/storage/service.js';
import { freePort, waitFor } from '../../src/testing/ports.js';
import { trades } from '../helpers/records.js';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { cli } from '../helpers/cli.js';
import { quietLog, storageEnv, type StorageEnv } from '../helpers/storage-env.js';

const run = promisify(execFile);

describe('hot and cold tiers, and the CLI', () => {
  let env: StorageEnv;
  let coldFile: string;
  const stops: (() => Promise<void>)[] = [];
  beforeAll(async () => {
    env = await storageEnv({ engine: 'clickhouse' });
    coldFile = join(env.dir, 'storage-cold.yaml');
    writeFileSync(
      coldFile,
      readFileSync(env.configFile, 'utf8')
        .replace('tier: hot', 'tier: cold')
        .replace(/port: \d+/, `port: ${await freePort()}`),
    );
    for (const f of [env.configFile, coldFile]) {
      const s = await startStorage(loadStorageConfig(f), quietLog('storage'));
      stops.push(() => s.stop());
    }
  });
  afterAll(async () => {
    for (const s of stops) await s();
    await env?.close();
  });

  it('stores every record in both tiers, the cold one without a TTL', async () => {
    trades(700, { idPrefix: 'tier-' }).forEach((r) => env.publisher.publish(r));
    await env.publisher.flush();
    for (const db of ['marketprism_hot', 'marketprism_cold']) {
      await waitFor(`700 trades in ${db}`, async () => {
        const [r] = await env.chdb!.query<{ n: string }>(`SELECT count() AS n FROM ${db}.trades FINAL`);
        return Number(r!.n) === 700;
      });
    }
    const [cold] = await env.chdb!.query<{ q: string }>(
      "SELECT create_table_query AS q FROM system.tables WHERE database = 'marketprism_cold' AND name = 'trades'",
    );
    expect(cold!.q).not.toMatch(/TTL/);
    expect(cold!.q).toMatch(/PARTITION BY toYYYYMM\(timestamp\)/);
  });

  it('`marketprism schema migrate` is idempotent', async () => {
    const r = await cli('schema', 'migrate', '--config', env.configFile);
    expect(r).toEqual({ code: 0, out: 'marketprism_hot: applied [], already applied [1, 2, 3]\n' });
    const c = await cli('schema', 'migrate', '--config', coldFile);
    expect(c.out).toBe('marketprism_cold: applied [], already applied [1, 2, 3]\n');
  });

  it('`marketprism schema migrate` follows a changed TTL', async () => {
    const file = join(env.dir, 'storage-ttl.yaml');
    writeFileSync(file, readFileSync(env.configFile, 'utf8').replace('request_timeout_ms: 5000', 'request_timeout_ms: 5000\n  hot_ttl_days: 7'));
    expect((await cli('schema', 'migrate', '--config', file)).out).toMatch(/TTL updated on orderbooks, trades,/);
    const [t] = await env.chdb!.query<{ q: string }>(
      "SELECT create_table_query AS q FROM system.tables WHERE database = 'marketprism_hot' AND name = 'trades'",
    );
    expect(t!.q).toMatch(/toIntervalDay\(7\)/);
    expect((await cli('schema', 'migrate', '--config', file)).out).toBe('marketprism_hot: applied [], already applied [1, 2, 3]\n');
  });

  it('`marketprism query` answers read-only SQL and refuses the rest', async () => {
    const r = await cli('query', '--config', env.configFile, "SELECT count() AS n FROM marketprism_cold.trades FINAL WHERE trade_id LIKE 'tier-%'");
    expect(r).toEqual({ code: 0, out: '{"n":"700"}\n' });
    const bad = await cli('query', '--config', env.configFile, 'DROP TABLE marketprism_hot.trades');
    expect(bad.code).toBe(1);
    expect(bad.out).toMatch(/only a single read-only statement/);
    const file = await cli('query', '--config', env.configFile, "SELECT * FROM file('/etc/passwd', 'LineAsString')");
    expect(file.code).toBe(1);
    expect(file.out).toMatch(/table function file\(\) is not allowed/);
    const huge = await cli('query', '--config', env.configFile, 'SELECT number FROM numbers(10000000)');
    expect(huge.code).toBe(1);
    expect(huge.out).toMatch(/the result is larger than a query may return/);
    const guard = await cli('query', '--config', env.configFile, "SELECT getSetting('readonly') AS r");
    expect(guard).toEqual({ code: 0, out: '{"r":1}\n' });
  });

  it('`check-config` names the problem', async () => {
    const file = join(env.dir, 'bad.yaml');
    writeFileSync(file, 'batch:\n  max_rows: 0\n');
    const r = await run(process.execPath, ['bin/marketprism-storage.js', 'check-config', '--config', file]).then(
      () => ({ code: 0, stderr: '' }),
      (e: { code: number; stderr: string }) => e,
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`marketprism-storage: invalid config: ${file}: batch.max_rows: must be between 1 and 1000000, got 0\n`);
    const ok = await run(process.execPath, ['bin/marketprism-storage.js', 'check-config', '--config', env.configFile]);
    expect(ok.stdout).toBe(`marketprism-storage: ${env.configFile} is valid\n`);
  });
});
