/** The shape of one schema migration (see ../migrations.ts for how they are applied). */

/**
 * A statement that is not idempotent by itself (e.g. RENAME COLUMN) runs only when
 * `onlyIf` (a query) returns at least one row, so re-running a migration that crashed
 * half way converges instead of failing.
 */
export interface GuardedStatement {
  sql: string;
  onlyIf: string;
}

export type Statement = string | GuardedStatement;

export interface Migration {
  version: number;
  name: string;
  /**
   * The statements, in order, as literal SQL text. Parameterised only by the database
   * name and the hot tier's TTL (undefined: the cold tier); never derived from the
   * fields table, which keeps changing after a migration has shipped.
   */
  statements(db: string, ttlDays: number | undefined): Statement[];
}
