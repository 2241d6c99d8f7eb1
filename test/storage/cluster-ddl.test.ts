/**
 * The ClickHouse cluster form of the migrations (issue 10). No replicated ClickHouse runs
 * here: every generated statement is parsed by the embedded engine (ClickHouse 26's own
 * parser, EXPLAIN AST) and checked for the engines and clauses it must have; the
 * single-node path runs for real in migrations.test.ts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { NATURAL_KEYS } from '../../src/core/fields.js';
import { DATA_TYPES } from '../../src/core/model.js';
import { ClusterDdlError, SHARDING_KEY, clusterStatements } from '../../src/storage/cluster-ddl.js';
import { EmbeddedEngine } from '../../src/storage/engines/embedded.js';
import { MIGRATIONS, bootstrapStatements } from '../../src/storage/migrations.js';
import { TABLES } from '../../src/storage/schema.js';

const dir = mkdtempSync(join(tmpdir(), 'mp-cluster-ddl-'));
const engine = new EmbeddedEngine(join(dir, 'chdb'));
afterAll(async () => {
  await engine.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('ClickHouse cluster DDL', () => {
  for (const [tier, ttl] of [
    ['hot', 3],
    ['cold', undefined],
  ] as const) {
    it(`${tier}: every migration statement has a cluster form ClickHouse parses, ON CLUSTER, replicated behind Distributed`, async () => {
      const db = `marketprism_${tier}`;
      const single = [...bootstrapStatements(db), ...MIGRATIONS.flatMap((m) => m.statements(db, ttl)).map((s) => (typeof s === 'string' ? s : s.sql))];
      if (ttl !== undefined) single.push(`ALTER TABLE ${db}.trades MODIFY TTL toDateTime(timestamp) + INTERVAL 7 DAY DELETE`);
      let replicated = 0;
      let distributed = 0;
      for (const sql of single) {
        for (const c of clusterStatements(sql, 'marketprism')) {
          expect(c, sql.slice(0, 60)).toContain('ON CLUSTER marketprism');
          const ast = await engine.astOf(c); // throws on a syntax error, naming it
          expect(ast.length).toBeGreaterThan(0);
          if (/ReplicatedReplacingMergeTree\('\/clickhouse\/tables\/\{shard\}\/\w+\/\w+_local', '\{replica\}'\)/.test(c)) replicated++;
          if (c.includes(`ENGINE = Distributed(marketprism, ${db}, `)) {
            distributed++;
            expect(c).toContain(SHARDING_KEY);
            expect(ast).toContain('Function Distributed');
          }
          expect(c).not.toContain('non_replicated_deduplication_window');
        }
      }
      expect(replicated).toBe(Object.keys(TABLES).length);
      expect(distributed).toBe(Object.keys(TABLES).length);
      const cs = clusterStatements(bootstrapStatements(db)[1]!, 'marketprism')[0]!;
      expect(cs).toContain(`ReplicatedMergeTree('/clickhouse/tables/all/${db}/schema_migrations', '{replica}')`);
    });
  }

  it('column changes go to the local and the Distributed table; TTL to the local one only', () => {
    expect(clusterStatements('ALTER TABLE d.trades ADD COLUMN IF NOT EXISTS x UInt8', 'c')).toEqual([
      'ALTER TABLE d.trades_local ON CLUSTER c ADD COLUMN IF NOT EXISTS x UInt8',
      'ALTER TABLE d.trades ON CLUSTER c ADD COLUMN IF NOT EXISTS x UInt8',
    ]);
    expect(clusterStatements('ALTER TABLE d.trades MODIFY TTL toDateTime(timestamp) + INTERVAL 1 DAY DELETE', 'c')).toEqual([
      'ALTER TABLE d.trades_local ON CLUSTER c MODIFY TTL toDateTime(timestamp) + INTERVAL 1 DAY DELETE',
    ]);
    expect(() => clusterStatements('DROP TABLE d.trades', 'c')).toThrow(ClusterDdlError);
  });

  it('the sharding key is the head of every natural key, so a record and its copies share a shard', () => {
    for (const t of DATA_TYPES) expect(NATURAL_KEYS[t].slice(0, 3)).toEqual(['exchange', 'market_type', 'symbol']);
  });
});
