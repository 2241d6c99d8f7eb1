/**
 * The migrations are literal and append-only: migration 1 is byte-for-byte what
 * 0.1.0 ran (its checksums pinned), and after all migrations a fresh database and an
 * upgraded 0.1.0 one both have exactly the columns schema.ts derives from the fields
 * table. A migration interrupted part way converges when run again.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATA_TYPES } from '../../src/core/model.js';
import { EmbeddedEngine } from '../../src/storage/engines/embedded.js';
import { MIGRATIONS, MigrationError, checksum, migrate } from '../../src/storage/migrations.js';
import { TABLES, columnsOf } from '../../src/storage/schema.js';
import { V1_CHECKSUMS, createV1Database, insertV1Rows } from '../helpers/v1-database.js';

describe('migration list', () => {
  it('keeps migration 1 exactly as 0.1.0 generated it (hot and cold)', () => {
    const m1 = MIGRATIONS[0]!;
    expect(m1.version).toBe(1);
    expect(m1.name).toBe('create the eight market data tables');
    // Computed with the 0.1.0 code (git show f06a169~1:src/storage/migrations.ts) for both tiers.
    expect(checksum(m1, 'marketprism_hot', 3)).toBe(V1_CHECKSUMS.marketprism_hot);
    expect(checksum(m1, 'marketprism_hot', 30)).toBe(V1_CHECKSUMS.marketprism_hot);
    expect(checksum(m1, 'marketprism_cold', undefined)).toBe(V1_CHECKSUMS.marketprism_cold);
  });

  it('pins migrations 2 and 3 (append-only: never edit a shipped migration)', () => {
    expect(checksum(MIGRATIONS[1]!, 'marketprism_hot', 3)).toBe('ae71f96ea142d0de');
    expect(checksum(MIGRATIONS[1]!, 'marketprism_cold', undefined)).toBe('8d06b27dfef35de1');
    expect(checksum(MIGRATIONS[2]!, 'marketprism_hot', 3)).toBe('e3b0c44298fc1c14');
    expect(checksum(MIGRATIONS[2]!, 'marketprism_cold', undefined)).toBe('beac6348c498ac33');
  });

  it('numbers migrations 1, 2, ... in order', () => {
    expect(MIGRATIONS.map((m) => m.version)).toEqual(MIGRATIONS.map((_, i) => i + 1));
  });
});

describe('schema = fields', () => {
  let dir: string;
  let engine: EmbeddedEngine;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'mp-migrations-'));
    engine = new EmbeddedEngine(join(dir, 'chdb'));
  });
  afterAll(async () => {
    await engine?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const columns = async (db: string, table: string) =>
    (
      await engine.query<{ name: string; type: string }>(
        `SELECT name, type FROM system.columns WHERE database = '${db}' AND table = '${table}' ORDER BY position`,
      )
    ).map((c) => [c.name, c.type]);

  const expectSchemaMatchesFields = async (db: string) => {
    for (const t of DATA_TYPES) expect(await columns(db, TABLES[t]), `${db}.${TABLES[t]}`).toEqual(columnsOf(t));
    const applied = await engine.query<{ version: number }>(`SELECT version FROM ${db}.schema_migrations ORDER BY version`);
    expect(applied.map((r) => Number(r.version))).toEqual(MIGRATIONS.map((m) => m.version));
  };

  it('a fresh database (hot and cold)', async () => {
    expect((await migrate(engine, 'fresh_hot', 3)).applied).toEqual([1, 2, 3]);
    await expectSchemaMatchesFields('fresh_hot');
    expect((await migrate(engine, 'fresh_cold', undefined)).applied).toEqual([1, 2, 3]);
    await expectSchemaMatchesFields('fresh_cold');
    expect(await migrate(engine, 'fresh_hot', 3)).toEqual({ database: 'fresh_hot', applied: [], alreadyApplied: [1, 2, 3], ttlUpdated: [] });
  });

  it('a 0.1.0 database with data, upgraded', async () => {
    await createV1Database(engine, 'marketprism_hot', 3);
    await insertV1Rows(engine, 'marketprism_hot');
    expect((await migrate(engine, 'marketprism_hot', 3)).applied).toEqual([2, 3]);
    await expectSchemaMatchesFields('marketprism_hot');
    await createV1Database(engine, 'marketprism_cold', undefined);
    expect((await migrate(engine, 'marketprism_cold', undefined)).applied).toEqual([2, 3]);
    await expectSchemaMatchesFields('marketprism_cold');
  });

  it('refuses a database a newer release migrated further', async () => {
    await migrate(engine, 'from_the_future', undefined);
    await engine.insert('from_the_future.schema_migrations', [{ version: 99, name: 'something new', checksum: '0123456789abcdef' }]);
    await expect(migrate(engine, 'from_the_future', undefined)).rejects.toThrow(
      new MigrationError('from_the_future: migration 99 (something new) was applied by a newer MarketPrism than this one; upgrade this host too'),
    );
  });

  // A crash after statement k of migration 2 (k = half, and all: before its schema_migrations row).
  for (const part of ['half', 'all'] as const) {
    it(`a 0.1.0 database where migration 2 stopped after ${part} of its statements converges when migrated again`, async () => {
      const db = `crashed_${part}`;
      // Any database name: record the checksum 0.1.0 would have computed for it.
      await createV1Database(engine, db, 3, checksum(MIGRATIONS[0]!, db, 3));
      await insertV1Rows(engine, db);
      const stmts = MIGRATIONS[1]!.statements(db, 3);
      const n = part === 'half' ? Math.ceil(stmts.length / 2) : stmts.length;
      for (const s of stmts.slice(0, n)) await engine.command(typeof s === 'string' ? s : s.sql);
      expect((await migrate(engine, db, 3)).applied).toEqual([2, 3]);
      await expectSchemaMatchesFields(db);
      const [book] = await engine.query<{ p: string; q: string }>(
        `SELECT bids[1].price AS p, bids[2].quantity AS q FROM ${db}.orderbooks FINAL WHERE exchange = 'okx'`,
      );
      expect(book).toEqual({ p: '97000.1', q: '1234' });
    });
  }
});
