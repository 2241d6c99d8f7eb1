/**
 * Read-only SQL for `marketprism query`. chDB locks its directory, so while the
 * storage daemon runs, queries on the embedded engine go through the daemon's
 * /query endpoint (loopback only); otherwise the CLI opens the engine itself.
 */
import type { HttpReply, Route } from '../core/http.js';
import type { ClickHouseEngine } from './engines/engine.js';

const READ_ONLY_RE = /^\s*(SELECT|WITH|SHOW|DESCRIBE|DESC|EXISTS|EXPLAIN)\b/i;

export class QueryError extends Error {
  override name = 'QueryError';
}

export function assertReadOnly(sql: string): void {
  if (!READ_ONLY_RE.test(sql) || /;\s*\S/.test(sql)) {
    throw new QueryError('only a single read-only statement (SELECT, WITH, SHOW, DESCRIBE, EXISTS, EXPLAIN) is allowed');
  }
}

export function queryRoute(engine: () => ClickHouseEngine | undefined): Route {
  return async (req): Promise<HttpReply> => {
    if (!req.local) return { status: 403, body: 'queries are accepted from this machine only\n' };
    const sql = req.method === 'POST' ? req.body : (req.params.get('sql') ?? '');
    try {
      assertReadOnly(sql);
    } catch (err) {
      return { status: 400, body: `${(err as Error).message}\n` };
    }
    const e = engine();
    if (!e) return { status: 503, body: 'the engine is not open yet\n' };
    try {
      const rows = await e.query(sql);
      return { status: 200, body: rows.map((r) => JSON.stringify(r)).join('\n') + (rows.length ? '\n' : ''), contentType: 'application/x-ndjson' };
    } catch (err) {
      return { status: 400, body: `${(err as Error).message}\n` };
    }
  };
}
