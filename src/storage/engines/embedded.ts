/** chDB: ClickHouse in-process, data in a directory. For a single machine with no server. */
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { EngineError, INSERT_SETTINGS, QUERY_SETTINGS, settingsSql, type ClickHouseEngine, type InsertOptions, type QuerySettings } from './engine.js';

interface ChdbResult {
  text(): string;
}
interface ChdbSession {
  queryAsync(sql: string, opts?: { format?: string }): Promise<ChdbResult>;
  insert(p: {
    table: string;
    values: Buffer;
    format: 'JSONEachRow' | 'JSONCompactEachRow';
    columns?: readonly string[];
    settings?: Record<string, string | number>;
  }): Promise<unknown>;
  close(): void;
}
type ChdbModule = { Session: new (path: string) => ChdbSession };

function loadChdb(): ChdbModule {
  try {
    return createRequire(import.meta.url)('chdb') as ChdbModule;
  } catch (err) {
    throw new EngineError('the embedded engine needs the chdb package (npm install chdb), or set clickhouse.engine: clickhouse', undefined, { cause: err });
  }
}

export class EmbeddedEngine implements ClickHouseEngine {
  readonly kind = 'embedded' as const;
  private session: ChdbSession;

  constructor(readonly path: string) {
    mkdirSync(path, { recursive: true });
    this.session = new (loadChdb().Session)(path);
  }

  async ping(): Promise<void> {
    await this.run('SELECT 1');
  }

  async command(sql: string): Promise<void> {
    await this.run(sql);
  }

  async query<T>(sql: string, settings: QuerySettings = {}): Promise<T[]> {
    const text = await this.run(`${sql.trim().replace(/;$/, '')} SETTINGS ${settingsSql({ ...QUERY_SETTINGS, ...settings })}`, 'JSONEachRow');
    return text
      .split('\n')
      .filter((l) => l.length > 0)
      .map((l) => JSON.parse(l) as T);
  }

  async astOf(sql: string): Promise<string> {
    return this.run(`EXPLAIN AST ${sql}`);
  }

  async insert(table: string, rows: readonly object[], opts: InsertOptions = {}): Promise<void> {
    if (rows.length === 0) return;
    await this.insertText({ table, values: Buffer.from(rows.map((r) => JSON.stringify(r)).join('\n')), format: 'JSONEachRow' }, opts);
  }

  async insertRows(table: string, columns: readonly string[], lines: readonly string[], opts: InsertOptions = {}): Promise<void> {
    if (lines.length === 0) return;
    await this.insertText({ table, columns, values: Buffer.from(lines.join('\n')), format: 'JSONCompactEachRow' }, opts);
  }

  private async insertText(p: Omit<Parameters<ChdbSession['insert']>[0], 'settings'>, opts: InsertOptions): Promise<void> {
    const settings = { ...INSERT_SETTINGS, ...(opts.dedupToken ? { insert_deduplication_token: opts.dedupToken } : {}) };
    try {
      await this.session.insert({ ...p, settings });
    } catch (err) {
      throw translate(err);
    }
  }

  async close(): Promise<void> {
    this.session.close();
  }

  private async run(sql: string, format = 'TabSeparated'): Promise<string> {
    try {
      return (await this.session.queryAsync(sql, { format })).text();
    } catch (err) {
      throw translate(err);
    }
  }
}

/** chDB's error as an EngineError with ClickHouse's code (its `clickhouseCode`, else the `Code: N.` its message starts with). */
function translate(err: unknown): EngineError {
  const e = err as { message?: string; clickhouseCode?: number; code?: number };
  const message = e.message ?? String(err);
  const fromText = /^Code: (\d+)\./.exec(message)?.[1];
  const code = e.clickhouseCode ?? (typeof e.code === 'number' ? e.code : fromText === undefined ? undefined : Number(fromText));
  return new EngineError(message, code, { cause: err });
}
