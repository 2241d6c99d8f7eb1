/**
 * Read-only SQL against the engine a storage config names, as `marketprism query`,
 * `status` and `integrity` ask it: with the embedded engine through the running daemon's
 * /query (chDB allows one process per directory), naming the engine meant; otherwise, or
 * when no daemon listens, by opening the engine. Either way through readOnlyQuery's guard.
 */
import type { StorageConfig } from '../storage/config.js';
import { createEngine } from '../storage/engines/index.js';
import { QueryReplyError, engineIdentity, queryDaemon, readOnlyQuery } from '../storage/query.js';

export async function queryStorage<T = Record<string, unknown>>(file: string, config: StorageConfig, sql: string): Promise<T[]> {
  if (config.clickhouse.engine === 'embedded') {
    // A daemon of another config answers 409, not its rows.
    try {
      return await queryDaemon<T>(config.health.port, sql, engineIdentity(config.clickhouse));
    } catch (err) {
      if (err instanceof QueryReplyError && err.status === 409)
        throw new Error(`127.0.0.1:${config.health.port} (health.port of ${file}): ${err.message}; is another storage daemon on this port?`);
      if (err instanceof QueryReplyError) throw new Error(err.message);
      // fetch's TypeError: no daemon listening, so the CLI opens the engine itself below.
      if (!(err instanceof TypeError)) throw err;
    }
  }
  const engine = createEngine(config.clickhouse);
  try {
    return await readOnlyQuery<T>(engine, sql);
  } finally {
    await engine.close();
  }
}
