/**
 * How the cold verifier reads the hot tier, and the TTL guard the cold tier: one small
 * interface, two ways.
 * - Both databases on one ClickHouse server: the daemon's own engine (`ClickHouseEngine`
 *   is a TierReader as it is).
 * - The embedded engine (each tier its own chDB directory, opened only by its own
 *   process): the other daemon's read-only `/query` endpoint on loopback (query.ts), with
 *   its limits (result rows and bytes, time). An answer too large is `isTooLarge`; the
 *   callers (cold-backfill.ts) split their range and ask again.
 */
import { EngineError } from './engines/engine.js';
import { QueryReplyError, queryDaemon } from './query.js';

/** Read-only SQL on one tier, rows as JSON objects (64-bit integers and decimals as strings). */
export interface TierReader {
  query<T = Record<string, unknown>>(sql: string): Promise<T[]>;
}

/** Longer than /query's own max_execution_time (20 s) plus the transfer: a daemon that stopped answering fails the pass, never wedges it. */
const ANSWER_TIMEOUT_MS = 60_000;

/** The storage daemon whose health port is `port` (loopback), through its /query endpoint. */
export function daemonReader(port: number, what: string): TierReader {
  return {
    async query<T>(sql: string): Promise<T[]> {
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer in ${ANSWER_TIMEOUT_MS / 1000} s`)), ANSWER_TIMEOUT_MS);
      });
      try {
        return await Promise.race([queryDaemon<T>(port, sql), late]);
      } catch (err) {
        if (err instanceof QueryReplyError) throw err;
        // fetch's own error ("fetch failed"): say which daemon was not there.
        throw new Error(`${what} /query on 127.0.0.1:${port} unreachable: ${(err as Error).message}`, { cause: err });
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/** An answer larger than /query returns (query.ts limitMessage), or the engine's TOO_MANY_ROWS_OR_BYTES. */
export function isTooLarge(err: unknown): boolean {
  if (err instanceof QueryReplyError) return err.status === 400 && err.message.startsWith('the result is larger than a query may return');
  return err instanceof EngineError && err.code === 396;
}
