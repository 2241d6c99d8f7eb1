/**
 * One interface over the two ClickHouse engines: a server over HTTP
 * (@clickhouse/client) and chDB in-process. Everything above it is engine-agnostic.
 */
export interface InsertOptions {
  /** Same token, same rows: the engine stores them once (insert_deduplication_token). */
  dedupToken?: string;
}

export interface ClickHouseEngine {
  readonly kind: 'embedded' | 'clickhouse';
  /** A cheap round trip; throws when the engine cannot serve. */
  ping(): Promise<void>;
  /** DDL and other statements without a result. */
  command(sql: string): Promise<void>;
  /** Rows as JSON objects (64-bit integers and decimals as strings), with extra per-query settings. */
  query<T = Record<string, unknown>>(sql: string, settings?: QuerySettings): Promise<T[]>;
  /** `EXPLAIN AST` of a statement as the engine's text (one node a line, indented by depth); runs nothing. */
  astOf(sql: string): Promise<string>;
  /** Insert objects as JSONEachRow. */
  insert(table: string, rows: readonly object[], opts?: InsertOptions): Promise<void>;
  /**
   * Insert rows already written as JSONCompactEachRow lines (storage/rows.ts `rowJson`),
   * the values of `columns` in that order; columns not named take their DEFAULT. No
   * second encoding. A column the table lacks is a schema failure (NO_SUCH_COLUMN_IN_TABLE),
   * not one of the rows.
   */
  insertRows(table: string, columns: readonly string[], lines: readonly string[], opts?: InsertOptions): Promise<void>;
  close(): Promise<void>;
}

/** ClickHouse settings for one query. */
export type QuerySettings = Readonly<Record<string, string | number>>;

export class EngineError extends Error {
  override name = 'EngineError';
  constructor(
    message: string,
    /** ClickHouse error code when the engine said one. */
    readonly code?: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/**
 * Output settings both engines share, so results look the same from either: 64-bit
 * integers and decimals as exact JSON strings (also inside arrays and tuples), and
 * book levels (named tuples) as `[price, quantity]` pairs, the record's own shape.
 */
export const QUERY_SETTINGS = {
  output_format_json_quote_64bit_integers: 1,
  output_format_json_quote_decimals: 1,
  output_format_json_named_tuples_as_objects: 0,
} as const;

/** Input settings of every insert on either engine: book levels arrive as `[["27150.01","0.5"]]`, not objects. */
export const INSERT_SETTINGS = {
  input_format_json_named_tuples_as_objects: 0,
} as const;

/** A ClickHouse string literal of any text: quoted, backslashes and quotes escaped. */
export function sqlString(v: string): string {
  return `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** Settings as a SQL `SETTINGS` clause body, for engines that take settings in the query text. */
export function settingsSql(settings: QuerySettings): string {
  return Object.entries(settings)
    .map(([k, v]) => `${k}=${typeof v === 'number' ? v : sqlString(v)}`)
    .join(', ');
}

/** QUERY_SETTINGS as a SQL `SETTINGS` clause body. */
export const QUERY_SETTINGS_SQL = settingsSql(QUERY_SETTINGS);
