/**
 * Read-only SQL against the engine a storage config names, as `marketprism query`,
 * `status` and `integrity` ask it: with the embedded engine through the running daemon's
 * /query (chDB allows one process per directory), naming the engine meant; otherwise, or
 * when no daemon listens, by opening the engine. Either way through readOnlyQuery's guard.
 */
import type { StorageConfig } from '../storage/config.js';
import { createEngine } from '../storage/engines/index.js';
import type { ClickHouseEngine } from '../storage/engines/engine.js';
import { QueryReplyError, engineIdentity, queryDaemon, readOnlyQuery } from '../storage/query.js';

export interface StorageQuery {
  query<T = Record<string, unknown>>(sql: string): Promise<T[]>;
  close(): Promise<void>;
}

/**
 * A querier for many statements: the embedded engine's daemon while it answers, else the
 * engine opened once (on the first statement that needs it) and closed by `close`.
 */
export function openStorageQuery(file: string, config: StorageConfig): StorageQuery {
  let engine: ClickHouseEngine | undefined;
  let viaDaemon = config.clickhouse.engine === 'embedded';
  return {
    async query<T>(sql: string): Promise<T[]> {
      if (viaDaemon) {
        // A daemon of another config answers 409, not its rows.
        try {
          return await queryDaemon<T>(config.health.port, sql, engineIdentity(config.clickhouse));
        } catch (err) {
          if (err instanceof QueryReplyError && err.status === 409)
            throw new Error(`127.0.0.1:${config.health.port} (health.port of ${file}): ${err.message}; is another storage daemon on this port?`);
          if (err instanceof QueryReplyError) throw new Error(err.message);
          // fetch's TypeError: no daemon listening, so the CLI opens the engine itself below.
          if (!(err instanceof TypeError)) throw err;
          viaDaemon = false;
        }
      }
      engine ??= createEngine(config.clickhouse);
      return readOnlyQuery<T>(engine, sql);
    },
    async close() {
      await engine?.close();
      engine = undefined;
    },
  };
}

export async function queryStorage<T = Record<string, unknown>>(file: string, config: StorageConfig, sql: string): Promise<T[]> {
  const q = openStorageQuery(file, config);
  try {
    return await q.query<T>(sql);
  } finally {
    await q.close();
  }
}
