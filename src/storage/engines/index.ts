import { readPasswordFile } from '../../core/nats.js';
import type { StorageConfig } from '../config.js';
import { EmbeddedEngine } from './embedded.js';
import type { ClickHouseEngine } from './engine.js';
import { HttpEngine } from './http.js';

export function createEngine(c: StorageConfig['clickhouse']): ClickHouseEngine {
  return c.engine === 'embedded'
    ? new EmbeddedEngine(c.embedded_path)
    : new HttpEngine({
        url: c.url,
        username: c.username,
        password: c.password_file ? readPasswordFile(c.password_file) : '',
        requestTimeoutMs: c.request_timeout_ms,
        // Through a Distributed table, acknowledge an insert only once every shard has its rows.
        insertSettings: c.cluster ? { distributed_foreground_insert: 1 } : {},
      });
}
