/**
 * The cold tier's watermark: per table, the time before which every hot row is known to
 * be in cold (migrations/0003_cold_watermark.ts). Written by the cold verifier
 * (cold-verifier.ts) once a run of windows verified; read by it, by the hot tier's TTL
 * guard (cold-ttl-guard.ts: from the cold engine, or with the embedded engine through the
 * cold daemon's /query) and for /health.
 */
import type { TierReader } from './cold-reader.js';
import type { ClickHouseEngine } from './engines/engine.js';
import { msToDateTime64 } from './rows.js';

export const WATERMARK_TABLE = 'cold_watermark';

/** A time as a ClickHouse DateTime64(3) expression, from Unix milliseconds (exact: no text parsing). */
export function msSql(ms: number): string {
  return `fromUnixTimestamp64Milli(toInt64(${Math.trunc(ms)}), 'UTC')`;
}

/** `timestamp` in [fromMs, toMs). */
export function windowSql(fromMs: number, toMs: number): string {
  return `timestamp >= ${msSql(fromMs)} AND timestamp < ${msSql(toMs)}`;
}

/** Each table's watermark (Unix ms); a table that was never verified is absent. `cold`: the cold engine, or the cold daemon's /query. */
export async function readWatermarks(cold: TierReader, coldDb: string): Promise<Map<string, number>> {
  const rows = await cold.query<{ table: string; ms: string }>(
    `SELECT table, toString(toUnixTimestamp64Milli(max(watermark))) AS ms FROM ${coldDb}.${WATERMARK_TABLE} GROUP BY table`,
  );
  return new Map(rows.map((r) => [r.table, Number(r.ms)]));
}

export interface WatermarkRow {
  table: string;
  windowStartMs: number;
  watermarkMs: number;
  windows: number;
  hotRows: number;
  backfilledRows: number;
}

export async function advanceWatermark(engine: ClickHouseEngine, coldDb: string, w: WatermarkRow): Promise<void> {
  await engine.insert(`${coldDb}.${WATERMARK_TABLE}`, [
    {
      table: w.table,
      window_start: msToDateTime64(w.windowStartMs),
      watermark: msToDateTime64(w.watermarkMs),
      windows: w.windows,
      hot_rows: String(w.hotRows),
      backfilled_rows: String(w.backfilledRows),
    },
  ]);
}
