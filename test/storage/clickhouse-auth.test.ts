/**
 * The ClickHouse password from `clickhouse.password_file`: a server that requires it
 * (ClickHouse's HTTP interface over chDB, with credentials) accepts `marketprism schema
 * migrate` and `query` with the right file, refuses a wrong one with ClickHouse's code 516,
 * and no password is printed either way.
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startChdbHttp, type ChdbHttpServer } from '../../src/testing/chdb-http.js';
import { cli } from '../helpers/cli.js';

const PASSWORD = 'ch-Secret-0123456789';
const WRONG = 'ch-Wrong-9876543210';

describe('ClickHouse credentials from a file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mp-ch-auth-'));
  let chdb: ChdbHttpServer;
  const config = (name: string, passwordFile: string) => {
    const f = join(dir, name);
    writeFileSync(
      f,
      `nats: { servers: ["nats://127.0.0.1:1"] }\nclickhouse: { engine: clickhouse, url: ${chdb.url}, username: default, password_file: ${passwordFile}, request_timeout_ms: 5000 }\n`,
    );
    return f;
  };
  const secret = (name: string, text: string) => {
    const f = join(dir, name);
    writeFileSync(f, `${text}\n`);
    chmodSync(f, 0o640);
    return f;
  };

  beforeAll(async () => {
    chdb = await startChdbHttp({ path: join(dir, 'chdb'), credentials: { username: 'default', password: PASSWORD } });
  });
  afterAll(async () => {
    await chdb?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('migrates and queries with the password from password_file', async () => {
    const good = config('storage.yaml', secret('ch.password', PASSWORD));
    const m = await cli('schema', 'migrate', '--config', good);
    expect(m.out).toContain('marketprism_hot: applied [');
    expect(m.code).toBe(0);
    const q = await cli('query', 'SELECT count() AS n FROM marketprism_hot.trades', '--config', good);
    expect(q.out.trim()).toBe('{"n":"0"}');
    expect(q.code).toBe(0);
    expect(m.out + q.out).not.toContain(PASSWORD);
  });

  it('a wrong password is refused (code 516) and not printed', async () => {
    const bad = config('storage-wrong.yaml', secret('wrong.password', WRONG));
    const r = await cli('schema', 'migrate', '--config', bad);
    expect(r.code).toBe(1);
    expect(r.out).toContain('Authentication failed');
    expect(r.out).not.toContain(WRONG);
    expect(r.out).not.toContain(PASSWORD);
  });
});
