/**
 * Migration 3: the cold tier's verification record (docs/cold-tier.md).
 *
 * `cold_watermark` in the cold database only: one row per table and verification pass,
 * written once every window of [window_start, watermark) has been compared with the hot
 * tier (and backfilled) and found complete. A table's watermark is the max(watermark) of
 * its rows; rows are never updated, so a crash before the row is written leaves the
 * watermark where it was and the windows are verified again. The hot tier gets nothing
 * (its TTL guard reads this table in the cold database).
 *
 * Literal SQL; never edit once shipped.
 */
import type { Migration } from './types.js';

export const m0003: Migration = {
  version: 3,
  name: 'cold tier verification watermark',
  statements: (db, ttlDays) =>
    ttlDays !== undefined
      ? []
      : [
          `CREATE TABLE IF NOT EXISTS ${db}.cold_watermark (
  table LowCardinality(String),
  window_start DateTime64(3, 'UTC'),
  watermark DateTime64(3, 'UTC'),
  windows UInt32,
  hot_rows UInt64,
  backfilled_rows UInt64,
  verified_at DateTime64(3, 'UTC') DEFAULT now64(3)
) ENGINE = MergeTree
ORDER BY (table, watermark)`,
        ],
};
