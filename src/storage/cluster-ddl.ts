/**
 * The migrations' single-node DDL as the DDL of a ClickHouse cluster (docs/cluster.md):
 *
 * - each table `db.t` becomes a replicated local table `db.t_local` on every node
 *   (`ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/db/t_local', '{replica}')`,
 *   the `shard`/`replica` macros from each server's config) with a `Distributed` table
 *   `db.t` in front of it, which is what storage inserts into and users query;
 * - rows are sharded by `sipHash64(exchange, market_type, symbol)`: every natural key
 *   (all of which start with those three) lives on one shard, so the ReplacingMergeTree
 *   collapses a re-stored record there and `FINAL` stays exact through the Distributed table;
 * - `schema_migrations` (and the cold tier's `cold_watermark`) is one replication group
 *   across the whole cluster (no `{shard}`), so every node sees what was applied;
 * - every statement runs `ON CLUSTER`; ALTERs that change columns run on both tables.
 *
 * The migrations stay literal single-node SQL (and keep their checksums); this is the one
 * place that knows the cluster form. No replicated ClickHouse runs in the tests: they parse
 * every generated statement with the embedded engine (EXPLAIN AST) and run the single-node
 * path for real.
 */

/** The shard a row goes to: the leading columns of every table's natural key. */
export const SHARDING_KEY = 'sipHash64(exchange, market_type, symbol)';

/** The local (replicated) table behind a Distributed one. */
export const localTable = (table: string) => `${table}_local`;

const CREATE_DATABASE = /^CREATE DATABASE IF NOT EXISTS (\w+)$/;
const CREATE_TABLE = /^CREATE TABLE IF NOT EXISTS (\w+)\.(\w+) \(([\s\S]*)\) ENGINE = (ReplacingMergeTree|MergeTree)\b([\s\S]*)$/;
const ALTER_TABLE = /^ALTER TABLE (\w+)\.(\w+) ([\s\S]+)$/;

export class ClusterDdlError extends Error {
  override name = 'ClusterDdlError';
}

/** `sql` (one statement of a migration, or of migrate() itself) as the statements that do the same on `cluster`. */
export function clusterStatements(sql: string, cluster: string): string[] {
  const on = `ON CLUSTER ${cluster}`;
  let m = CREATE_DATABASE.exec(sql);
  if (m) return [`CREATE DATABASE IF NOT EXISTS ${m[1]} ${on}`];
  m = CREATE_TABLE.exec(sql);
  if (m) {
    const [, db, table, columns, engine, rest] = m;
    if (table === 'schema_migrations' || table === 'cold_watermark') {
      // Applied migrations and the cold tier's watermark, seen by every node: one replication group for the whole cluster.
      return [
        `CREATE TABLE IF NOT EXISTS ${db}.${table} ${on} (${columns}) ENGINE = ReplicatedMergeTree('/clickhouse/tables/all/${db}/${table}', '{replica}')${rest}`,
      ];
    }
    if (engine !== 'ReplacingMergeTree') throw new ClusterDdlError(`no cluster form for a ${engine} table: ${sql.slice(0, 80)}`);
    const local = localTable(table!);
    // Replicated tables de-duplicate inserted blocks themselves (replicated_deduplication_window).
    const settings = rest!.replace(/SETTINGS non_replicated_deduplication_window = \d+(, )?/, (_all, comma: string | undefined) => (comma ? 'SETTINGS ' : ''));
    return [
      `CREATE TABLE IF NOT EXISTS ${db}.${local} ${on} (${columns}) ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/${db}/${local}', '{replica}')${settings.trimEnd()}`,
      `CREATE TABLE IF NOT EXISTS ${db}.${table} ${on} AS ${db}.${local} ENGINE = Distributed(${cluster}, ${db}, ${local}, ${SHARDING_KEY})`,
    ];
  }
  m = ALTER_TABLE.exec(sql);
  if (m) {
    const [, db, table, action] = m;
    const local = `ALTER TABLE ${db}.${localTable(table!)} ${on} ${action}`;
    // TTL and other storage settings belong to the local tables; columns to both.
    return /^(ADD|DROP|RENAME|MODIFY|COMMENT) COLUMN\b/.test(action!) ? [local, `ALTER TABLE ${db}.${table} ${on} ${action}`] : [local];
  }
  throw new ClusterDdlError(`no cluster form for this statement: ${sql.slice(0, 80)}`);
}
