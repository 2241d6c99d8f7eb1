/**
 * Versioned, idempotent schema migrations. Each database records what it has
 * applied (version, name, checksum) in `schema_migrations`; a migration whose text
 * changed after it was applied is an error, not a silent re-run.
 * The hot tier's TTL comes from config and is brought in line at every run.
 */
import { createHash } from 'node:crypto';
import { DATA_TYPES } from '../core/model.js';
import type { ClickHouseEngine } from './engines/engine.js';
import { TABLES, createTableSql, ttlClause } from './schema.js';

export interface Migration {
  version: number;
  name: string;
  statements(db: string, ttlDays: number | undefined): string[];
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'create the eight market data tables',
    statements: (db, ttlDays) => DATA_TYPES.map((t) => createTableSql(t, { database: db, ttlDays })),
  },
];

export class MigrationError extends Error {
  override name = 'MigrationError';
}

export interface MigrationReport {
  database: string;
  applied: number[];
  alreadyApplied: number[];
  ttlUpdated: string[];
}

function checksum(m: Migration, db: string, ttlDays: number | undefined): string {
  // The TTL is config, not schema: hash the statements with a fixed TTL so editing it is no checksum change.
  const text = m.statements(db, ttlDays === undefined ? undefined : 0).join(';\n');
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

export async function migrate(
  engine: ClickHouseEngine,
  db: string,
  ttlDays: number | undefined,
): Promise<MigrationReport> {
  await engine.command(`CREATE DATABASE IF NOT EXISTS ${db}`);
  await engine.command(
    `CREATE TABLE IF NOT EXISTS ${db}.schema_migrations (version UInt32, name String, checksum String, ` +
      `applied_at DateTime64(3, 'UTC') DEFAULT now64(3)) ENGINE = MergeTree ORDER BY version`,
  );
  const done = new Map(
    (await engine.query<{ version: number; checksum: string }>(`SELECT version, checksum FROM ${db}.schema_migrations`)).map(
      (r) => [Number(r.version), r.checksum],
    ),
  );
  const report: MigrationReport = { database: db, applied: [], alreadyApplied: [], ttlUpdated: [] };
  for (const m of MIGRATIONS) {
    const sum = checksum(m, db, ttlDays);
    const recorded = done.get(m.version);
    if (recorded !== undefined) {
      if (recorded !== sum) {
        throw new MigrationError(
          `${db}: migration ${m.version} (${m.name}) was applied with checksum ${recorded} but is now ${sum}; ` +
            'add a new migration instead of editing an applied one',
        );
      }
      report.alreadyApplied.push(m.version);
      continue;
    }
    for (const sql of m.statements(db, ttlDays)) await engine.command(sql);
    await engine.insert(`${db}.schema_migrations`, [{ version: m.version, name: m.name, checksum: sum }]);
    report.applied.push(m.version);
  }
  if (ttlDays !== undefined) report.ttlUpdated = await alignTtl(engine, db, ttlDays);
  return report;
}

async function alignTtl(engine: ClickHouseEngine, db: string, days: number): Promise<string[]> {
  const want = ttlClause(days).replace('TTL ', '');
  const rows = await engine.query<{ name: string; create_table_query: string }>(
    `SELECT name, create_table_query FROM system.tables WHERE database = '${db}'`,
  );
  const updated: string[] = [];
  for (const table of Object.values(TABLES)) {
    const row = rows.find((r) => r.name === table);
    // ClickHouse stores `INTERVAL 3 DAY` as `toIntervalDay(3)`.
    if (!row || new RegExp(`toIntervalDay\\(${days}\\)|INTERVAL ${days} DAY`).test(row.create_table_query)) continue;
    await engine.command(`ALTER TABLE ${db}.${table} MODIFY TTL ${want}`);
    updated.push(table);
  }
  return updated;
}
