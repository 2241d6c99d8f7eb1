/**
 * Versioned, append-only schema migrations (the list: migrations/index.ts). Each
 * database records what it has applied (version, name, checksum) in
 * `schema_migrations`; a migration whose text changed after it was applied is an
 * error (MigrationError: permanent, an operator must act), not a silent re-run.
 * Migrations are the only DDL storage runs. A migration interrupted part way is
 * re-run whole: its statements are written to converge (IF [NOT] EXISTS, guards).
 * The hot tier's TTL comes from config and is brought in line at every run. With the
 * cold tier's TTL guard (cold.verify) the hot tables have no table TTL: the hot daemon
 * drops days itself, only those cold has verified (cold-ttl-guard.ts). That state lives in
 * the tables, so a `marketprism schema migrate` that does not know the guard (ttlGuard
 * undefined) leaves a table without TTL as it is.
 */
import { createHash } from 'node:crypto';
import type { ClickHouseEngine } from './engines/engine.js';
import { MIGRATIONS, type Migration, type Statement } from './migrations/index.js';
import { clusterStatements, localTable } from './cluster-ddl.js';
import { TABLES, ttlClause } from './schema.js';

export { MIGRATIONS, type Migration, type Statement } from './migrations/index.js';

/** The schema cannot be brought to this version's without an operator: retrying will not help. */
export class MigrationError extends Error {
  override name = 'MigrationError';
}

export interface MigrationReport {
  database: string;
  applied: number[];
  alreadyApplied: number[];
  ttlUpdated: string[];
}

const statementText = (s: Statement) => (typeof s === 'string' ? s : `${s.sql} -- only if: ${s.onlyIf}`);

export function checksum(m: Migration, db: string, ttlDays: number | undefined): string {
  // The TTL is config, not schema: hash the statements with a fixed TTL so editing it is no checksum change.
  const text = m
    .statements(db, ttlDays === undefined ? undefined : 0)
    .map(statementText)
    .join(';\n');
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

/** How a single-node statement is run: as it is, or as its cluster form (cluster-ddl.ts). */
type Ddl = (sql: string) => string[];
const singleNode: Ddl = (sql) => [sql];

/** Run one statement, skipping a guarded one whose guard finds nothing to do. */
export async function runStatement(engine: ClickHouseEngine, s: Statement, ddl: Ddl = singleNode): Promise<void> {
  if (typeof s !== 'string' && (await engine.query(s.onlyIf)).length === 0) return;
  for (const sql of ddl(typeof s === 'string' ? s : s.sql)) await engine.command(sql);
}

/** The statements migrate() runs before any migration: the database and the record of what was applied. */
export function bootstrapStatements(db: string): string[] {
  return [
    `CREATE DATABASE IF NOT EXISTS ${db}`,
    `CREATE TABLE IF NOT EXISTS ${db}.schema_migrations (version UInt32, name String, checksum String, ` +
      `applied_at DateTime64(3, 'UTC') DEFAULT now64(3)) ENGINE = MergeTree ORDER BY version`,
  ];
}

/**
 * Brings `db` to this release's schema. `cluster`: the ClickHouse cluster's name, to run
 * every statement ON CLUSTER in its replicated and distributed form (cluster-ddl.ts);
 * undefined: one server. `ttlGuard` (hot tier): true removes the tables' TTL (the TTL guard
 * deletes instead), false puts it (back) in place, undefined aligns only tables that have one.
 */
export async function migrate(
  engine: ClickHouseEngine,
  db: string,
  ttlDays: number | undefined,
  cluster?: string,
  ttlGuard?: boolean,
): Promise<MigrationReport> {
  const ddl: Ddl = cluster ? (sql) => clusterStatements(sql, cluster) : singleNode;
  for (const s of bootstrapStatements(db)) await runStatement(engine, s, ddl);
  const done = new Map(
    (await engine.query<{ version: number; name: string; checksum: string }>(`SELECT version, name, checksum FROM ${db}.schema_migrations`)).map((r) => [
      Number(r.version),
      r,
    ]),
  );
  const known = new Set(MIGRATIONS.map((m) => m.version));
  const newer = [...done.values()].filter((r) => !known.has(Number(r.version)));
  if (newer.length > 0) {
    const v = newer.map((r) => `${r.version} (${r.name})`).join(', ');
    throw new MigrationError(`${db}: migration ${v} was applied by a newer MarketPrism than this one; upgrade this host too`);
  }
  const report: MigrationReport = { database: db, applied: [], alreadyApplied: [], ttlUpdated: [] };
  for (const m of MIGRATIONS) {
    const sum = checksum(m, db, ttlDays);
    const recorded = done.get(m.version)?.checksum;
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
    for (const s of m.statements(db, ttlDays)) await runStatement(engine, s, ddl);
    await engine.insert(`${db}.schema_migrations`, [{ version: m.version, name: m.name, checksum: sum }]);
    report.applied.push(m.version);
  }
  if (ttlDays !== undefined) report.ttlUpdated = await alignTtl(engine, db, ttlDays, ddl, cluster ? localTable : (t) => t, ttlGuard);
  return report;
}

async function alignTtl(
  engine: ClickHouseEngine,
  db: string,
  days: number,
  ddl: Ddl,
  tableOf: (t: string) => string,
  ttlGuard: boolean | undefined,
): Promise<string[]> {
  const want = ttlClause(days).replace('TTL ', '');
  const rows = await engine.query<{ name: string; create_table_query: string }>(`SELECT name, create_table_query FROM system.tables WHERE database = '${db}'`);
  const updated: string[] = [];
  for (const table of Object.values(TABLES)) {
    // The TTL is the (local) MergeTree table's.
    const row = rows.find((r) => r.name === tableOf(table));
    if (!row) continue;
    const hasTtl = /\sTTL\s/.test(row.create_table_query);
    if (ttlGuard) {
      if (hasTtl) {
        await runStatement(engine, `ALTER TABLE ${db}.${table} REMOVE TTL`, ddl);
        updated.push(table);
      }
      continue;
    }
    if (!hasTtl && ttlGuard === undefined) continue;
    // ClickHouse stores `INTERVAL 3 DAY` as `toIntervalDay(3)`.
    if (new RegExp(`toIntervalDay\\(${days}\\)|INTERVAL ${days} DAY`).test(row.create_table_query)) continue;
    await runStatement(engine, `ALTER TABLE ${db}.${table} MODIFY TTL ${want}`, ddl);
    updated.push(table);
  }
  return updated;
}
