/** Engine failures classified by ClickHouse code, on errors a real chDB raises. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddedEngine } from '../../src/storage/engines/embedded.js';
import { EngineError } from '../../src/storage/engines/engine.js';
import { classifyEngineError } from '../../src/storage/engines/errors.js';
import { HttpEngine } from '../../src/storage/engines/http.js';
import { partitionGroups } from '../../src/storage/consumer.js';

const failure = async (p: Promise<unknown>): Promise<unknown> =>
  p.then(
    () => {
      throw new Error('expected a failure');
    },
    (err: unknown) => err,
  );

describe('classifyEngineError', () => {
  let dir: string;
  let engine: EmbeddedEngine;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mp-engine-errors-'));
    engine = new EmbeddedEngine(join(dir, 'chdb'));
    await engine.command('CREATE DATABASE IF NOT EXISTS t');
    await engine.command(
      "CREATE TABLE t.daily (ts DateTime64(3, 'UTC'), d Decimal(38, 18), n UInt8) ENGINE = MergeTree PARTITION BY toYYYYMMDD(ts) ORDER BY ts",
    );
  });
  afterAll(async () => {
    await engine?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('data: an insert spanning more than 100 partitions (TOO_MANY_PARTS 252, "too many partitions")', async () => {
    const rows = Array.from({ length: 150 }, (_, i) => ({ ts: `${1_800_000_000 + i * 86_400}.000`, d: '1', n: 1 }));
    const err = await failure(engine.insert('t.daily', rows));
    expect(err).toBeInstanceOf(EngineError);
    expect((err as EngineError).code).toBe(252);
    expect(classifyEngineError(err)).toBe('data');
  });

  it('data: a value the column cannot hold', async () => {
    const err = await failure(engine.insert('t.daily', [{ ts: '1800000000.000', d: '1', n: 'not a number' }]));
    expect((err as EngineError).code).toBeDefined();
    expect(classifyEngineError(err)).toBe('data');
  });

  it('schema: an unknown table or database', async () => {
    expect(classifyEngineError(await failure(engine.insert('t.missing', [{ n: 1 }])))).toBe('schema');
    expect(classifyEngineError(await failure(engine.query('SELECT * FROM nowhere.x')))).toBe('schema');
  });

  it('schema, not data: rows naming a column the table lacks (a schema older than the release)', async () => {
    const err = await failure(engine.insertRows('t.daily', ['ts', 'd', 'n', 'added_later'], ['["1800000000.000","1",1,"x"]']));
    expect((err as EngineError).code).toBe(16); // NO_SUCH_COLUMN_IN_TABLE
    expect(classifyEngineError(err)).toBe('schema');
    // The same rows under the columns the table has are stored, the values in the order named.
    await engine.insertRows('t.daily', ['n', 'ts', 'd'], ['[7,"1800000000.000","1.5"]']);
    expect(await engine.query('SELECT n, toString(d) AS d FROM t.daily WHERE n = 7')).toEqual([{ n: 7, d: '1.5' }]);
  });

  it('transient: no server to answer, merge backpressure, memory, timeouts', async () => {
    const http = new HttpEngine({ url: 'http://127.0.0.1:1', username: 'default', password: '', requestTimeoutMs: 2000 });
    try {
      const err = await failure(http.insert('t.daily', [{ n: 1 }]));
      expect(err).toBeInstanceOf(EngineError);
      expect(classifyEngineError(err)).toBe('transient');
    } finally {
      await http.close();
    }
    const timeout = await failure(engine.query('SELECT sleepEachRow(1) FROM numbers(3) SETTINGS max_block_size = 1, max_execution_time = 1'));
    expect((timeout as EngineError).code).toBe(159);
    expect(classifyEngineError(timeout)).toBe('transient');
    expect(
      classifyEngineError(
        new EngineError('Code: 252. DB::Exception: Too many parts (300) in table t.daily. Merges are processing significantly slower than inserts', 252),
      ),
    ).toBe('transient');
    expect(classifyEngineError(new EngineError('Code: 241. DB::Exception: Memory limit (total) exceeded', 241))).toBe('transient');
    expect(classifyEngineError(new EngineError('Code: 202. DB::Exception: Too many simultaneous queries', 202))).toBe('transient');
  });
});

describe('partitionGroups', () => {
  const at = (day: number) => ({ timestamp: day * 86_400_000 + 5 });
  it('keeps at most 100 distinct days per group, in batch order', () => {
    const batch = Array.from({ length: 250 }, (_, i) => at(20_000 + i));
    const groups = partitionGroups(batch);
    expect(groups.map((g) => g.length)).toEqual([100, 100, 50]);
    expect(groups.flat()).toEqual(batch);
    expect(partitionGroups([at(1), at(2), at(1)])).toEqual([[at(1), at(2), at(1)]]);
  });
});
