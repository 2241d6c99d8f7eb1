/**
 * Read-only SQL for `marketprism query`. chDB locks its directory, so while the
 * storage daemon runs, queries on the embedded engine go through the daemon's
 * /query endpoint; otherwise the CLI opens the engine itself. Both run the statement
 * through `readOnlyQuery`:
 *
 * 1. one statement that starts as a read (SELECT, WITH, SHOW, DESCRIBE, EXISTS, EXPLAIN);
 * 2. its syntax tree (`EXPLAIN AST`, which runs nothing) holds no table function that
 *    reaches files, URLs or other servers (only NUMBER_TABLE_FUNCTIONS), no `file()`
 *    scalar, no INTO OUTFILE or FORMAT, and no SETTINGS of its own (a SETTINGS clause
 *    in a subquery could lift the limits below);
 * 3. it runs with `readonly = 1` (the engine refuses writes, DDL and most table
 *    functions) and QUERY_LIMITS: time, result size (an error, never a cut result), memory.
 *
 * The endpoint itself takes only POST with `Content-Type: application/sql` (a
 * cross-site browser request cannot send that without a CORS preflight, which this
 * server never answers), from a loopback peer, addressed to a loopback host name
 * (so a DNS-rebound page cannot reach it either).
 */
import { resolve } from 'node:path';
import type { HttpReply, HttpRequest, Route } from '../core/http.js';
import { EngineError, type ClickHouseEngine } from './engines/engine.js';

export const QUERY_CONTENT_TYPE = 'application/sql';

/** Per-query settings of every /query and `marketprism query` statement. */
export const QUERY_LIMITS = {
  readonly: 1,
  max_execution_time: 20,
  max_result_rows: 500_000,
  max_result_bytes: 64 * 1024 * 1024,
  result_overflow_mode: 'throw',
  max_memory_usage: 2 * 1024 * 1024 * 1024,
} as const;

const READ_ONLY_RE = /^\s*(SELECT|WITH|SHOW|DESCRIBE|DESC|EXISTS|EXPLAIN)\b/i;
/** Root nodes of EXPLAIN AST for the statements READ_ONLY_RE admits. */
const READ_ONLY_ROOT_RE = /^(SelectWithUnionQuery|SelectIntersectExceptQuery|Show\w*|Describe\w*|Exists\w*|Explain)\b/;
/** Table functions that generate rows and touch nothing outside the query. */
const NUMBER_TABLE_FUNCTIONS = new Set(['numbers', 'numbers_mt', 'zeros', 'zeros_mt', 'generate_series', 'generateseries', 'values', 'view']);
/** Scalar functions that read files. */
const FILE_READING_FUNCTIONS = new Set(['file', 'catboostevaluate']);

export class QueryError extends Error {
  override name = 'QueryError';
}

/** The first check, without an engine: one statement that reads. Returns it without a trailing `;`. */
export function assertReadOnly(sql: string): string {
  const statement = sql.trim().replace(/;\s*$/, '');
  if (!READ_ONLY_RE.test(statement) || statement.includes(';')) {
    throw new QueryError('only a single read-only statement (SELECT, WITH, SHOW, DESCRIBE, EXISTS, EXPLAIN) is allowed');
  }
  return statement;
}

interface AstNode {
  depth: number;
  text: string;
  parent: AstNode | undefined;
}

function astNodes(ast: string): AstNode[] {
  const nodes: AstNode[] = [];
  const stack: AstNode[] = [];
  for (const line of ast.split('\n')) {
    const text = line.trim();
    if (!text) continue;
    const depth = line.length - line.trimStart().length;
    while (stack.length > 0 && stack[stack.length - 1]!.depth >= depth) stack.pop();
    const node = { depth, text, parent: stack[stack.length - 1] };
    nodes.push(node);
    stack.push(node);
  }
  return nodes;
}

/** Why the statement's syntax tree is not allowed, or undefined. Exported for tests. */
export function astProblem(ast: string): string | undefined {
  const nodes = astNodes(ast);
  const root = nodes[0];
  if (!root || !READ_ONLY_ROOT_RE.test(root.text)) return `not a read-only statement (${root?.text.split(' ')[0] ?? 'empty'})`;
  for (const n of nodes) {
    if (n.text === 'Set' || n.text.startsWith('Set ')) return 'SETTINGS are not allowed: /query sets its own limits';
    const parent = n.parent?.text.split(' ')[0];
    // INTO OUTFILE is a literal child of the statement (any kind); FORMAT an identifier child of a SELECT.
    const outfile = n.parent === root && n.text.startsWith('Literal');
    if (outfile || (parent === 'SelectWithUnionQuery' && !n.text.startsWith('ExpressionList'))) {
      return 'INTO OUTFILE and FORMAT are not allowed: /query answers JSON lines';
    }
    const fn = /^Function (\S+)/.exec(n.text)?.[1];
    if (!fn) continue;
    const name = fn.toLowerCase();
    if (parent === 'TableExpression' || parent === 'InsertQuery') {
      if (!NUMBER_TABLE_FUNCTIONS.has(name)) return `table function ${fn}() is not allowed: it can reach files, URLs or other servers`;
    } else if (FILE_READING_FUNCTIONS.has(name)) {
      return `function ${fn}() is not allowed: it reads files`;
    }
  }
  return undefined;
}

/** What a limit error means for the person who asked. */
function limitMessage(err: EngineError): string | undefined {
  switch (err.code) {
    case 396: // TOO_MANY_ROWS_OR_BYTES
      return `the result is larger than a query may return (${QUERY_LIMITS.max_result_rows} rows or ${QUERY_LIMITS.max_result_bytes / 1024 / 1024} MiB): add a LIMIT or aggregate`;
    case 159: // TIMEOUT_EXCEEDED
      return `the query ran longer than ${QUERY_LIMITS.max_execution_time} s`;
    case 241: // MEMORY_LIMIT_EXCEEDED
      return `the query needed more than ${QUERY_LIMITS.max_memory_usage / 1024 / 1024 / 1024} GiB of memory`;
    case 164: // READONLY
      return 'only reads are allowed';
    default:
      return undefined;
  }
}

/** Run one read-only statement under QUERY_LIMITS; a refusal or limit is a QueryError naming it. */
export async function readOnlyQuery<T = Record<string, unknown>>(engine: ClickHouseEngine, sql: string): Promise<T[]> {
  const statement = assertReadOnly(sql);
  let ast: string;
  try {
    ast = await engine.astOf(statement);
  } catch (err) {
    if (err instanceof EngineError && err.code !== undefined) throw new QueryError(`cannot parse the statement: ${err.message}`);
    throw err;
  }
  const problem = astProblem(ast);
  if (problem) throw new QueryError(problem);
  try {
    return await engine.query<T>(statement, QUERY_LIMITS);
  } catch (err) {
    const limit = err instanceof EngineError ? limitMessage(err) : undefined;
    throw limit ? new QueryError(`${limit} (${(err as Error).message.split('\n')[0]})`) : err;
  }
}

const LOOPBACK_HOST_RE = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\])(:\d+)?$/i;

/** /query refused or failed the statement: its status and the daemon's reason. */
export class QueryReplyError extends Error {
  override name = 'QueryReplyError';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The client side of /query: one statement to the storage daemon whose health port is
 * `port`, its rows (JSON lines) parsed. `engine`: the engine meant (ENGINE_HEADER), so a
 * daemon of another engine answers 409. A refusal throws QueryReplyError; a daemon not
 * listening, fetch's own error.
 */
export async function queryDaemon<T = Record<string, unknown>>(port: number, sql: string, engine?: string): Promise<T[]> {
  const headers: Record<string, string> = { 'content-type': QUERY_CONTENT_TYPE, ...(engine ? { [ENGINE_HEADER]: engine } : {}) };
  const res = await fetch(`http://127.0.0.1:${port}/query`, { method: 'POST', headers, body: sql });
  const text = await res.text();
  if (!res.ok) throw new QueryReplyError(res.status, text.trim());
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as T);
}

/** An engine as /query and `marketprism query` name it: the embedded engine's directory, or the server's URL. */
export function engineIdentity(c: { engine: 'embedded' | 'clickhouse'; embedded_path: string; url: string }): string {
  return c.engine === 'embedded' ? `embedded:${resolve(c.embedded_path)}` : `clickhouse:${c.url}`;
}

/** Why this HTTP request may not run SQL, as a reply; undefined when it may. */
function refusal(req: HttpRequest): HttpReply | undefined {
  if (!req.local) return { status: 403, body: 'queries are accepted from this machine only\n' };
  if (!LOOPBACK_HOST_RE.test(req.headers.host ?? '')) {
    return { status: 403, body: 'queries are accepted for a loopback host name only (127.0.0.1, localhost, [::1])\n' };
  }
  if (req.method !== 'POST') {
    return { status: 405, body: `/query runs SQL only from a POST body with Content-Type: ${QUERY_CONTENT_TYPE}\n` };
  }
  const type = String(req.headers['content-type'] ?? '')
    .split(';')[0]!
    .trim()
    .toLowerCase();
  if (type !== QUERY_CONTENT_TYPE) {
    return { status: 415, body: `/query needs Content-Type: ${QUERY_CONTENT_TYPE}, got ${JSON.stringify(type || '(none)')}\n` };
  }
  return undefined;
}

/** The header naming the engine a client means (`marketprism query` sends its config's); another daemon's engine answers 409. */
export const ENGINE_HEADER = 'x-marketprism-engine';

/**
 * The /query route. `identity`: this daemon's engine as `engineIdentity` names it; a
 * request naming another engine in ENGINE_HEADER is refused (409), so a client never
 * reads one database's rows as another's.
 */
export function queryRoute(engine: () => ClickHouseEngine | undefined, identity?: string): Route {
  return async (req): Promise<HttpReply> => {
    const refused = refusal(req);
    if (refused) return refused;
    const asked = req.headers[ENGINE_HEADER];
    if (identity !== undefined && asked !== undefined && asked !== identity) {
      return { status: 409, body: `this storage daemon's engine is ${identity}, not ${String(asked)}\n` };
    }
    const e = engine();
    if (!e) return { status: 503, body: 'the engine is not open yet\n' };
    try {
      const rows = await readOnlyQuery(e, req.body);
      return { status: 200, body: rows.map((r) => JSON.stringify(r)).join('\n') + (rows.length ? '\n' : ''), contentType: 'application/x-ndjson' };
    } catch (err) {
      return { status: 400, body: `${(err as Error).message}\n` };
    }
  };
}
