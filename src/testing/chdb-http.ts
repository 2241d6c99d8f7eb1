/**
 * chdb-http: ClickHouse's HTTP interface, the subset @clickhouse/client uses
 * (ping, queries, commands, JSONEachRow inserts with settings), answered by chDB.
 *
 * No modern ClickHouse server installs on these machines (Debian ships 18.16), so
 * tests and the packaging end-to-end script run the storage daemon's real
 * `clickhouse` engine path against this. It is a test fixture, not a database server:
 * requests run one at a time and it listens on loopback only.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { QUERY_SETTINGS_SQL } from '../storage/engines/engine.js';

interface ChdbSession {
  queryAsync(sql: string, opts?: { format?: string }): Promise<{ text(): string }>;
  insert(p: { table: string; values: Buffer; format: string; columns?: string[]; settings?: Record<string, string> }): Promise<unknown>;
  close(): void;
}

/** URL parameters that are protocol, not ClickHouse settings. */
const NOT_SETTINGS = new Set([
  'query',
  'query_id',
  'database',
  'default_format',
  'session_id',
  'session_timeout',
  'session_check',
  'compress',
  'decompress',
  'enable_http_compression',
  'user',
  'password',
  'wait_end_of_query',
]);
const INSERT_RE = /^\s*INSERT\s+INTO\s+([\w.`"]+)\s*(?:\(([^)]*)\))?\s*(?:SETTINGS\s+.*?)?\s*FORMAT\s+(\w+)\s*$/is;
const SETTING_NAME_RE = /^[a-z_][a-z0-9_]*$/;

export interface ChdbHttpServer {
  readonly url: string;
  readonly port: number;
  /** Requests answered so far, by kind; `insertsAtOnce`: the most inserts received and not yet answered at one moment. */
  readonly stats: { queries: number; inserts: number; errors: number; insertsAtOnce: number };
  /** Stop listening (connections refused) without losing data; `resume` listens again on the same port. */
  pause(): Promise<void>;
  resume(): Promise<void>;
  /** Run SQL directly on the engine (for assertions). */
  query<T = Record<string, unknown>>(sql: string): Promise<T[]>;
  close(): Promise<void>;
}

export interface ChdbHttpOptions {
  path: string;
  port?: number;
  host?: string;
  /** Require these credentials (HTTP basic auth, as @clickhouse/client sends them); else ClickHouse's code 516. */
  credentials?: { username: string; password: string };
  /** Called after an insert is stored and before it is answered: lets a test crash the client in that window. */
  afterInsert?: (table: string, stats: ChdbHttpServer['stats']) => void;
}

export async function startChdbHttp(opts: ChdbHttpOptions): Promise<ChdbHttpServer> {
  const { Session } = createRequire(import.meta.url)('chdb') as { Session: new (p: string) => ChdbSession };
  const session = new Session(opts.path);
  const host = opts.host ?? '127.0.0.1';
  const stats = { queries: 0, inserts: 0, errors: 0, insertsAtOnce: 0 };
  let insertsOpen = 0;
  let chain: Promise<unknown> = Promise.resolve();
  // One request at a time: `SET` for the request's settings must not interleave with another's query.
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const p = chain.then(fn, fn);
    chain = p.catch(() => undefined);
    return p;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/ping') return void res.writeHead(200).end('Ok.\n');
    if (url.pathname !== '/') return void res.writeHead(404).end('not found\n');
    if (opts.credentials) {
      const { username, password } = opts.credentials;
      if (req.headers.authorization !== `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`) {
        return void fail(res, 516, `${username}: Authentication failed: password is incorrect, or there is no user with such name. (AUTHENTICATION_FAILED)`);
      }
    }
    const body = await readBody(req);
    const params = url.searchParams;
    const settings: Record<string, string> = {};
    for (const [k, v] of params) {
      if (NOT_SETTINGS.has(k) || k.startsWith('param_')) continue;
      if (!SETTING_NAME_RE.test(k)) return void fail(res, 115, `unknown setting ${k}`);
      settings[k] = v;
    }
    const queryParam = params.get('query') ?? '';
    const insert = body.length > 0 ? INSERT_RE.exec(queryParam) : null;
    if (insert) stats.insertsAtOnce = Math.max(stats.insertsAtOnce, ++insertsOpen);
    try {
      const out = await serial(async () => {
        if (insert) {
          stats.inserts++;
          const [, table, cols, format] = insert;
          await session.insert({
            table: table!.replace(/[`"]/g, ''),
            values: body,
            format: format!,
            columns: cols ? cols.split(',').map((c) => c.trim().replace(/[`"]/g, '')) : undefined,
            settings: Object.keys(settings).length ? settings : undefined,
          });
          opts.afterInsert?.(table!, stats);
          return '';
        }
        stats.queries++;
        const sql = [queryParam, body.toString('utf8')].filter((s) => s.trim()).join('\n');
        const format = /\bFORMAT\s+\w+\s*$/i.test(sql) ? undefined : (params.get('default_format') ?? 'TabSeparated');
        // `SET readonly = 1` would leave the shared session read-only for every later request:
        // a request that sets readonly gets all its settings as the query's own SETTINGS clause.
        if ('readonly' in settings) return (await session.queryAsync(withSettingsClause(sql, settings), { format })).text();
        for (const [k, v] of Object.entries(settings)) await session.queryAsync(`SET ${k} = ${quote(v)}`);
        return (await session.queryAsync(sql, { format })).text();
      });
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'x-clickhouse-summary': '{}' }).end(out);
    } catch (err) {
      const e = err as { message?: string; clickhouseCode?: number };
      fail(res, e.clickhouseCode ?? 1000, e.message ?? String(err));
    } finally {
      if (insert) insertsOpen--;
    }
  };

  const fail = (res: ServerResponse, code: number, message: string) => {
    stats.errors++;
    const text = message.startsWith('Code:') ? message : `Code: ${code}. DB::Exception: ${message}`;
    res.writeHead(500, { 'x-clickhouse-exception-code': String(code), 'content-type': 'text/plain' }).end(text + '\n');
  };

  let server: Server | undefined;
  let port = opts.port ?? 0;
  const listen = async () => {
    const s = createServer((req, res) => void handle(req, res));
    s.keepAliveTimeout = 1000;
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.listen(port, host, () => resolve());
    });
    port = (s.address() as AddressInfo).port;
    server = s;
  };
  const unlisten = async () => {
    const s = server;
    server = undefined;
    if (!s) return;
    await new Promise<void>((r) => {
      s.close(() => r());
      s.closeAllConnections();
    });
  };
  await listen();

  return {
    get url() {
      return `http://${host}:${port}`;
    },
    get port() {
      return port;
    },
    stats,
    pause: unlisten,
    resume: listen,
    async query<T>(sql: string) {
      const text = await serial(async () => (await session.queryAsync(`${sql} SETTINGS ${QUERY_SETTINGS_SQL}`, { format: 'JSONEachRow' })).text());
      return text
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as T);
    },
    async close() {
      await unlisten();
      await chain.catch(() => undefined);
      session.close();
    },
  };
}

/** `SELECT ... SETTINGS a = 1, b = 'x' FORMAT F`: the clause goes before a trailing FORMAT. */
function withSettingsClause(sql: string, settings: Record<string, string>): string {
  const clause = Object.entries(settings)
    .map(([k, v]) => `${k} = ${quote(v)}`)
    .join(', ');
  const format = /\s+FORMAT\s+\w+\s*$/i.exec(sql);
  const body = format ? sql.slice(0, format.index) : sql;
  return `${body} SETTINGS ${clause}${format ? format[0] : ''}`;
}

function quote(v: string): string {
  return /^-?\d+(\.\d+)?$/.test(v) ? v : `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}
