/**
 * What the cold verifier and the TTL guard compare and copy, written once over "read a
 * tier" (cold-reader.ts: the engine itself when both databases are on one server, or the
 * other daemon's read-only /query with the embedded engine):
 * - `summaries`: per window, row count and the sum of the natural keys' hashes, FINAL;
 * - `missingKeys`: the natural keys of one tier's rows in a time range the other lacks,
 *   by the same key SQL on both sides (natural-key.ts), in slices of at most `maxKeys`
 *   rows (a range with more, or one /query refuses as too large, is split in halves);
 * - `copyRows`: those rows, read from the source in chunks of keys (a chunk /query
 *   refuses as too large is halved), inserted into the target through its engine's
 *   insert with a de-duplication token of the chunk's keys, as the writer inserts.
 * Values go as JSON text (decimals and 64-bit integers quoted by QUERY_SETTINGS), never
 * through a JS number. Re-running copies nothing: only keys the target lacks are read.
 */
import { createHash } from 'node:crypto';
import { NATURAL_KEYS } from '../core/fields.js';
import type { DataType } from '../core/model.js';
import { isTooLarge, type TierReader } from './cold-reader.js';
import { windowSql } from './cold-watermark.js';
import { sqlString, type ClickHouseEngine } from './engines/engine.js';
import { keySql } from './natural-key.js';
import { columnsOf } from './schema.js';

/** How much one read moves. */
export interface BackfillLimits {
  /** Keys read per slice at most (well inside /query's 500 000 rows / 64 MiB); a range with more is split. */
  maxKeys: number;
  /** Keys per row read at most (with at most CHUNK_KEY_BYTES of key text: the statement stays far below ClickHouse's max_query_size). */
  chunkKeys: number;
}

export const BACKFILL_LIMITS: BackfillLimits = { maxKeys: 100_000, chunkKeys: 1000 };
const CHUNK_KEY_BYTES = 100_000;

/** A table of one tier and how to read it. */
export interface TierTable {
  reader: TierReader;
  /** `database.table` */
  table: string;
}

export interface Summary {
  n: number;
  h: string;
}

/** Per window start (Unix ms) of [from, to): row count and sum of the natural keys' hashes, de-duplicated (FINAL). */
export async function summaries(type: DataType, t: TierTable, windowMs: number, from: number, to: number): Promise<Map<number, Summary>> {
  const rows = await t.reader.query<{ w: string; n: string; h: string }>(
    `SELECT toString(intDiv(toUnixTimestamp64Milli(timestamp), ${windowMs}) * ${windowMs}) AS w, count() AS n, ` +
      `toString(sum(cityHash64(${NATURAL_KEYS[type].join(', ')}))) AS h FROM ${t.table} FINAL WHERE ${windowSql(from, to)} GROUP BY w`,
  );
  return new Map(rows.map((r) => [Number(r.w), { n: Number(r.n), h: String(r.h) }]));
}

/** A natural key (natural-key.ts keySql text) and its row's time (Unix ms). */
export interface RowKey {
  k: string;
  t: number;
}

/** The keys of `t`'s rows in [from, to), or null when there are more than `limit` (or /query says the answer is too large). */
async function keysOf(type: DataType, t: TierTable, from: number, to: number, limit: number): Promise<RowKey[] | null> {
  try {
    const rows = await t.reader.query<{ k: string; t: string }>(
      `SELECT ${keySql(type)} AS k, toString(toUnixTimestamp64Milli(timestamp)) AS t FROM ${t.table} FINAL WHERE ${windowSql(from, to)} LIMIT ${limit + 1}`,
    );
    return rows.length > limit ? null : rows.map((r) => ({ k: r.k, t: Number(r.t) }));
  } catch (err) {
    if (isTooLarge(err)) return null;
    throw err;
  }
}

/** The natural keys of `src`'s rows in [from, to) that `dst` lacks, oldest first. */
export async function missingKeys(type: DataType, src: TierTable, dst: TierTable, from: number, to: number, { maxKeys } = BACKFILL_LIMITS): Promise<RowKey[]> {
  const out: RowKey[] = [];
  const slice = async (a: number, b: number): Promise<void> => {
    const s = await keysOf(type, src, a, b, maxKeys);
    // The target may hold more in the range (rows the source's TTL dropped, copies not merged yet): a wider bound.
    const d = s && (await keysOf(type, dst, a, b, 2 * maxKeys));
    if (s && d) {
      const have = new Set(d.map((r) => r.k));
      for (const r of s) if (!have.has(r.k)) out.push(r);
      return;
    }
    if (b - a <= 1) throw new Error(`${src.table}: more than ${maxKeys} rows in the millisecond ${new Date(a).toISOString()}: cannot compare it in slices`);
    const m = a + Math.floor((b - a) / 2);
    await slice(a, m);
    await slice(m, b);
  };
  await slice(from, to);
  return out.sort((x, y) => x.t - y.t);
}

/** Copies the rows of `keys` (missingKeys of `src` against this table) from `src` into `dst` through its engine; returns the rows inserted. */
export async function copyRows(
  type: DataType,
  src: TierTable,
  dst: { engine: ClickHouseEngine; table: string },
  keys: readonly RowKey[],
  { chunkKeys } = BACKFILL_LIMITS,
): Promise<number> {
  const cols = columnsOf(type)
    .map(([c]) => c)
    .join(', ');
  const chunk = async (ks: readonly RowKey[]): Promise<number> => {
    const lo = Math.min(...ks.map((k) => k.t));
    const hi = Math.max(...ks.map((k) => k.t));
    let rows: Record<string, unknown>[];
    try {
      rows = await src.reader.query(
        `SELECT ${cols} FROM ${src.table} FINAL WHERE ${windowSql(lo, hi + 1)} AND ${keySql(type)} IN (${ks.map((k) => sqlString(k.k)).join(', ')})`,
      );
    } catch (err) {
      if (!isTooLarge(err) || ks.length === 1) throw err;
      const half = Math.ceil(ks.length / 2);
      return (await chunk(ks.slice(0, half))) + (await chunk(ks.slice(half)));
    }
    // Same keys, same rows: an insert retried after a lost answer is stored once (as the writer's token does for a batch).
    const dedupToken = createHash('sha256')
      .update(`cold-backfill:${dst.table}:${ks.map((k) => k.k).join('\n')}`)
      .digest('hex');
    await dst.engine.insert(dst.table, rows, { dedupToken });
    return rows.length;
  };
  let copied = 0;
  for (let i = 0; i < keys.length;) {
    let bytes = 0;
    let j = i;
    while (j < keys.length && j - i < chunkKeys && bytes < CHUNK_KEY_BYTES) bytes += keys[j++]!.k.length + 4;
    copied += await chunk(keys.slice(i, j));
    i = j;
  }
  return copied;
}
