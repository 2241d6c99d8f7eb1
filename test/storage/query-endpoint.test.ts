/**
 * /query is read-only in the engine's own sense (readonly = 1, limits) and refuses
 * what reaches outside the database: table functions on files, URLs and servers,
 * INTO OUTFILE, SETTINGS that would lift the limits; it runs SQL only from a POST with
 * Content-Type application/sql. The embedded engine, the one /query exists for.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { astProblem } from '../../src/storage/query.js';
import { waitFor } from '../../src/testing/ports.js';
import { cli } from '../helpers/cli.js';
import { trades } from '../helpers/records.js';
import { queryViaDaemon, startHealthyStorage, storageEnv, type StorageEnv } from '../helpers/storage-env.js';

describe('/query', () => {
  let env: StorageEnv;
  let stop: () => Promise<void>;
  const url = () => `http://127.0.0.1:${env.healthPort}/query`;
  const post = async (sql: string, contentType = 'application/sql') => {
    const res = await fetch(url(), { method: 'POST', headers: { 'content-type': contentType }, body: sql });
    return { status: res.status, body: await res.text() };
  };

  beforeAll(async () => {
    env = await storageEnv({ engine: 'embedded' });
    stop = await startHealthyStorage(env);
  });
  afterAll(async () => {
    await stop?.();
    await env?.close();
  });

  it('answers a SELECT as JSON lines', async () => {
    expect(await post("SELECT 1 AS one, toDecimal128('1.5', 18) AS d;")).toEqual({ status: 200, body: '{"one":1,"d":"1.5"}\n' });
    expect((await post('SELECT count() AS n FROM marketprism_hot.trades')).status).toBe(200);
    expect((await post('SELECT sum(number) AS s FROM numbers(10)')).body).toBe('{"s":"45"}\n');
    // The engine's own guard is on, with the limits.
    expect((await post("SELECT getSetting('readonly') AS r, getSetting('max_result_rows') AS rows")).body).toBe('{"r":1,"rows":500000}\n');
  });

  it('answers the documented queries (docs/data-model.md, quickstart)', async () => {
    for (const sql of [
      'SELECT exchange, symbol, count() AS trades, max(price) FROM marketprism_hot.trades GROUP BY exchange, symbol',
      `SELECT timestamp, bids[1].price AS best_bid, asks[1].price - bids[1].price AS spread,
              arraySum(l -> l.quantity, arraySlice(bids, 1, 10)) AS bid_depth_10
       FROM marketprism_hot.orderbooks FINAL
       WHERE exchange = 'binance' AND symbol = 'BTC-USDT'
       ORDER BY timestamp DESC LIMIT 10`,
      'WITH t AS (SELECT * FROM marketprism_hot.trades FINAL) SELECT count() FROM t UNION ALL SELECT 1',
      'SHOW TABLES FROM marketprism_hot',
      'DESCRIBE TABLE marketprism_hot.trades',
      'EXISTS TABLE marketprism_hot.trades',
      'EXPLAIN SELECT count() FROM marketprism_hot.trades',
    ]) {
      const r = await post(sql);
      expect(r.status, `${sql}: ${r.body}`).toBe(200);
    }
  });

  it('is how `marketprism query` reaches the embedded engine, refusals included', async () => {
    expect(await cli('query', '--config', env.configFile, 'SELECT 41 + 1 AS n')).toEqual({ code: 0, out: '{"n":42}\n' });
    const refused = await cli('query', '--config', env.configFile, "SELECT * FROM file('/etc/passwd', 'LineAsString')");
    expect(refused.code).toBe(1);
    expect(refused.out).toMatch(/table function file\(\) is not allowed/);
  });

  it('`marketprism query` prints the formats ClickHouse names, from --format or a trailing FORMAT', async () => {
    const sql = `SELECT number AS n, toDecimal128('1.5', 18) * number AS d, if(number = 1, NULL, 'a,"b"') AS s FROM numbers(2)`;
    const q = (...extra: string[]) => cli('query', '--config', env.configFile, ...extra);
    expect(await q('--format', 'CSVWithNames', sql)).toEqual({ code: 0, out: 'n,d,s\n0,0,"a,""b"""\n1,1.5,\\N\n' });
    expect(await q('--format', 'TSV', sql)).toEqual({ code: 0, out: '0\t0\ta,"b"\n1\t1.5\t\\N\n' });
    expect(await q(`${sql} FORMAT Vertical`)).toEqual({ code: 0, out: 'Row 1:\n──────\nn: 0\nd: 0\ns: a,"b"\n\nRow 2:\n──────\nn: 1\nd: 1.5\ns: ᴺᵁᴸᴸ\n' });
    expect(await q('--format', 'table', "SELECT 1 AS one, 'x' AS name")).toEqual({ code: 0, out: '┌─one─┬─name─┐\n│   1 │ x    │\n└─────┴──────┘\n' });
    expect(JSON.parse((await q('--format', 'JSON', sql)).out)).toEqual([
      { n: '0', d: '0', s: 'a,"b"' },
      { n: '1', d: '1.5', s: null },
    ]);
    const bad = await q('--format', 'Parquet', sql);
    expect(bad.code).toBe(1);
    expect(bad.out).toMatch(/unknown format "Parquet"; choose one of table, JSONEachRow/);
  });

  it('`marketprism health` asks the configured daemon; unreachable or unknown is an exit 1 that says so', async () => {
    expect(await cli('health', 'storage', '--config', env.configFile)).toEqual({ code: 0, out: 'storage: healthy\n' });
    const json = await cli('health', 'storage', '--config', env.configFile, '--json');
    expect(json.code).toBe(0);
    const [r] = JSON.parse(json.out) as { module: string; status: string; url: string; body: { status: string } }[];
    expect(r).toMatchObject({ module: 'storage', status: 'healthy', url: `http://127.0.0.1:${env.healthPort}/health`, body: { status: 'healthy' } });
    // A config whose health port nothing listens on.
    const gone = join(env.dir, 'gone.yaml');
    writeFileSync(gone, readFileSync(env.configFile, 'utf8').replace(/port: \d+\n(?=log_level)/, 'port: 1\n'));
    const down = await cli('health', 'storage', '--config', gone);
    expect(down.code).toBe(1);
    expect(down.out).toMatch(/^storage: unreachable \(http:\/\/127\.0\.0\.1:1\/health: fetch failed\)/);
    expect(await cli('health', 'nonsense')).toMatchObject({
      code: 1,
      out: expect.stringContaining('unknown module "nonsense"; one of broker, collector, storage, storage-cold'),
    });
    expect(await cli('logs', 'nonsense')).toMatchObject({ code: 1, out: expect.stringContaining('unknown module "nonsense"') });
    expect((await cli('version')).out).toMatch(/^marketprism \d+\.\d+\.\d+/);
  });

  it('a daemon of another engine on the configured port answers 409, never its rows', async () => {
    const res = await fetch(url(), {
      method: 'POST',
      headers: { 'content-type': 'application/sql', 'x-marketprism-engine': 'embedded:/somewhere/else' },
      body: 'SELECT 1',
    });
    expect(res.status).toBe(409);
    expect(await res.text()).toMatch(/^this storage daemon's engine is embedded:\/.*, not embedded:\/somewhere\/else/);
    // A config naming another chDB directory but this daemon's port: refused, saying where it asked.
    const other = join(env.dir, 'other.yaml');
    writeFileSync(other, readFileSync(env.configFile, 'utf8').replace(/embedded_path: .*/, `embedded_path: ${join(env.dir, 'other-chdb')}`));
    const r = await cli('query', '--config', other, 'SELECT 1');
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/health\.port of .*other\.yaml\): this storage daemon's engine is .*; is another storage daemon on this port\?/);
  });

  it('refuses table functions that reach files, URLs or other servers', async () => {
    const cases: [string, RegExp][] = [
      ["SELECT * FROM file('/etc/passwd', 'LineAsString')", /table function file\(\) is not allowed/],
      ["SELECT * FROM url('http://127.0.0.1:1/', 'LineAsString')", /table function url\(\) is not allowed/],
      ["SELECT * FROM s3('http://127.0.0.1:1/x.csv')", /table function s3\(\) is not allowed/],
      ["SELECT * FROM remote('127.0.0.1:1', system.one)", /table function remote\(\) is not allowed/],
      ["SELECT * FROM mysql('127.0.0.1:1', 'd', 't', 'u', 'p')", /table function mysql\(\) is not allowed/],
      ["WITH x AS (SELECT * FROM FILE('/etc/passwd', 'LineAsString')) SELECT * FROM x", /table function FILE\(\) is not allowed/],
      ["SELECT count() FROM system.one WHERE 1 IN (SELECT 1 FROM url('http://127.0.0.1:1/', 'CSV', 'x UInt8'))", /table function url\(\)/],
      ["DESCRIBE TABLE file('/etc/passwd', 'LineAsString')", /table function file\(\)/],
      ["SELECT file('/etc/passwd')", /function file\(\) is not allowed: it reads files/],
    ];
    for (const [sql, message] of cases) {
      const r = await post(sql);
      expect(r.status, sql).toBe(400);
      expect(r.body, sql).toMatch(message);
      expect(r.body, sql).not.toMatch(/root:/);
    }
  });

  it('refuses INTO OUTFILE, FORMAT and SETTINGS', async () => {
    const out = join(env.dir, 'outfile.txt');
    for (const sql of [`SELECT 1 INTO OUTFILE '${out}'`, `SHOW TABLES FROM system INTO OUTFILE '${out}'`, `DESCRIBE TABLE system.one INTO OUTFILE '${out}'`]) {
      const r = await post(sql);
      expect(r, sql).toEqual({ status: 400, body: 'INTO OUTFILE and FORMAT are not allowed: /query answers JSON lines\n' });
    }
    expect(existsSync(out)).toBe(false);
    expect((await post('SELECT 1 FORMAT TSV')).body).toMatch(/INTO OUTFILE and FORMAT are not allowed/);
    const lift = await post('SELECT * FROM (SELECT * FROM numbers(10) SETTINGS readonly = 0) SETTINGS max_result_rows = 0');
    expect(lift).toEqual({ status: 400, body: 'SETTINGS are not allowed: /query sets its own limits\n' });
  });

  it('refuses writes and DDL', async () => {
    for (const sql of [
      'INSERT INTO marketprism_hot.trades (trade_id) VALUES (1)',
      'ALTER TABLE marketprism_hot.trades DELETE WHERE 1',
      'DROP TABLE marketprism_hot.trades',
      'SELECT 1; DROP TABLE marketprism_hot.trades',
      'CREATE TABLE x (a UInt8) ENGINE = Memory',
    ]) {
      const r = await post(sql);
      expect(r.status, sql).toBe(400);
      expect(r.body, sql).toMatch(/^only a single read-only statement/);
    }
    const [t] = await queryViaDaemon<{ n: string }>(
      env.healthPort,
      "SELECT count() AS n FROM system.tables WHERE database = 'marketprism_hot' AND name = 'trades'",
    );
    expect(t!.n).toBe('1');
  });

  it('cuts a huge result with an error that says so', async () => {
    const r = await post('SELECT number FROM numbers(10000000)');
    expect(r.status).toBe(400);
    expect(r.body).toMatch(/^the result is larger than a query may return \(500000 rows or 64 MiB\): add a LIMIT or aggregate/);
  });

  it('runs no SQL from a GET, a simple POST, or for a non-loopback host name', async () => {
    const get = await fetch(`${url()}?sql=${encodeURIComponent('SELECT 1')}`);
    expect(get.status).toBe(405);
    expect(await get.text()).toMatch(/only from a POST body with Content-Type: application\/sql/);
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
      const r = await post('SELECT 1', type);
      expect(r.status, type).toBe(415);
      expect(r.body, type).toMatch(/needs Content-Type: application\/sql/);
    }
    const bare = await fetch(url(), { method: 'POST', body: 'SELECT 1' }); // fetch's default: text/plain
    expect(bare.status).toBe(415);
    const rebound = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(url(), { method: 'POST', headers: { host: 'attacker.example:80', 'content-type': 'application/sql' } }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      req.end('SELECT 1');
    });
    expect(rebound.status).toBe(403);
    expect(rebound.body).toMatch(/loopback host name only/);
  });

  it('leaves the engine writable for storage', async () => {
    trades(50, { idPrefix: 'after-queries-' }).forEach((r) => env.publisher.publish(r));
    expect(await env.publisher.flush()).toBe(true);
    await waitFor('trades stored after the queries', async () => {
      const [r] = await queryViaDaemon<{ n: string }>(
        env.healthPort,
        "SELECT count() AS n FROM marketprism_hot.trades FINAL WHERE trade_id LIKE 'after-queries-%'",
      );
      return Number(r!.n) === 50;
    });
  });
});

describe('astProblem', () => {
  it('accepts the read-only shapes', () => {
    expect(astProblem('ShowTables (children 1)\n Identifier system\n')).toBeUndefined();
    expect(astProblem('InsertQuery   (children 2)\n Identifier t\n')).toMatch(/^not a read-only statement \(InsertQuery\)/);
    expect(astProblem('')).toMatch(/^not a read-only statement/);
  });
});
