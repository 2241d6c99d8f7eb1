/** A ClickHouse server over its HTTP interface, through @clickhouse/client. */
import type { Readable } from 'node:stream';
import { createClient, ClickHouseError, ClickHouseLogLevel, type ClickHouseClient, type InsertParams } from '@clickhouse/client';
import { EngineError, INSERT_SETTINGS, QUERY_SETTINGS, type ClickHouseEngine, type InsertOptions, type QuerySettings } from './engine.js';

export interface HttpEngineOptions {
  url: string;
  username: string;
  password: string;
  requestTimeoutMs: number;
  /** Settings of every insert beyond INSERT_SETTINGS (a cluster's distributed_foreground_insert). */
  insertSettings?: Readonly<Record<string, number>>;
}

export class HttpEngine implements ClickHouseEngine {
  readonly kind = 'clickhouse' as const;
  private client: ClickHouseClient;
  private readonly insertSettings: Readonly<Record<string, number>>;

  constructor(opts: HttpEngineOptions) {
    this.insertSettings = { ...INSERT_SETTINGS, ...opts.insertSettings };
    this.client = createClient({
      url: opts.url,
      username: opts.username,
      password: opts.password,
      request_timeout: opts.requestTimeoutMs,
      max_open_connections: 4,
      clickhouse_settings: { ...QUERY_SETTINGS },
      // Failures are returned to us and logged once per state change; the client's own log would repeat each.
      log: { level: ClickHouseLogLevel.OFF },
      // A value that is a string is rows already written as JSON text (insertRows); a row object or array is never a string.
      json: { parse: JSON.parse, stringify: (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v)) },
    });
  }

  async ping(): Promise<void> {
    const r = await this.client.ping();
    if (!r.success) throw new EngineError(`ClickHouse ping failed: ${(r as { error: Error }).error.message}`);
  }

  async command(sql: string): Promise<void> {
    await this.wrap(() => this.client.command({ query: sql }));
  }

  async query<T>(sql: string, settings?: QuerySettings): Promise<T[]> {
    return this.wrap(async () => {
      const rs = await this.client.query({
        query: sql,
        format: 'JSONEachRow',
        // With per-query limits, the server holds the answer until the end, so a limit hit is an error status, not a cut stream.
        ...(settings ? { clickhouse_settings: { ...settings, wait_end_of_query: 1 } } : {}),
      });
      return rs.json<T>();
    });
  }

  async astOf(sql: string): Promise<string> {
    // exec, not query: query() appends `FORMAT ...`, which the parser would take as the explained statement's own.
    return this.wrap(async () => {
      const r = await this.client.exec({ query: `EXPLAIN AST ${sql}`, clickhouse_settings: { default_format: 'TabSeparated' } });
      const chunks: Buffer[] = [];
      for await (const c of r.stream) chunks.push(c as Buffer);
      return Buffer.concat(chunks).toString('utf8');
    });
  }

  async insert(table: string, rows: readonly object[], opts: InsertOptions = {}): Promise<void> {
    if (rows.length > 0) await this.insertValues({ table, values: rows as object[], format: 'JSONEachRow' }, opts);
  }

  async insertRows(table: string, columns: readonly string[], lines: readonly string[], opts: InsertOptions = {}): Promise<void> {
    // One text of all the rows, a line each, goes out as it is (the client's stringify above
    // passes a string through and ends it with a newline): no per-row work in the client.
    if (lines.length === 0) return;
    await this.insertValues(
      { table, values: [lines.join('\n')] as unknown as object[], format: 'JSONCompactEachRow', columns: columns as [string, ...string[]] },
      opts,
    );
  }

  private async insertValues(p: Omit<InsertParams<Readable, object>, 'clickhouse_settings'>, opts: InsertOptions): Promise<void> {
    await this.wrap(() =>
      this.client.insert({
        ...p,
        clickhouse_settings: { ...this.insertSettings, ...(opts.dedupToken ? { insert_deduplication_token: opts.dedupToken } : {}) },
      }),
    );
  }

  async close(): Promise<void> {
    await this.client.close();
  }

  private async wrap<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      const code = err instanceof ClickHouseError ? Number(err.code) : undefined;
      throw new EngineError((err as Error).message, code, { cause: err });
    }
  }
}
