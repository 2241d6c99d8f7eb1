/**
 * The hot tier's TTL guard (with cold.verify): the hot TTL never drops a window the cold
 * tier has not verified.
 *
 * The hot tables then have no table TTL (migrate(..., ttlGuard: true) removes it; the
 * state lives in the tables, so any later `schema migrate` leaves it). Instead this guard,
 * every interval, drops a hot day partition (toYYYYMMDD(timestamp)) once both hold:
 * - the whole day is past the TTL: day end + hot_ttl_days ≤ now — what the table TTL with
 *   ttl_only_drop_parts did, whose parts went once all their rows had expired;
 * - the cold watermark of that table (cold_watermark in the cold database) has reached
 *   the day's end: every hot row of the day is in cold.
 * Right before a drop, the day's hot keys are checked against cold once more, and any cold
 * lacks (rows that reached hot after cold verified their window) are copied first — when
 * both databases are on one server; with the embedded engine the hot daemon cannot write
 * to cold, so the day is held and listed as `late_partitions` on /health, where the cold
 * verifier reads it and copies the rows itself (cold-verifier.ts).
 * Cold is read through `cold` (cold-reader.ts): the engine itself on one server, the cold
 * daemon's /query with the embedded engine.
 * `ALTER TABLE ... DROP PARTITION` removes whole parts at once, as the TTL did. While the
 * watermark cannot be read (cold never migrated or stopped, ClickHouse errors), nothing is dropped.
 */
import type { Logger } from '../core/logger.js';
import { DATA_TYPES, type DataType } from '../core/model.js';
import { logsFailure } from '../core/retry.js';
import { copyRows, missingKeys, summaries, type TierTable } from './cold-backfill.js';
import type { TierReader } from './cold-reader.js';
import { readWatermarks } from './cold-watermark.js';
import type { ClickHouseEngine } from './engines/engine.js';
import type { TtlGuardMetrics } from './metrics.js';
import { TABLES } from './schema.js';

const DAY_MS = 86_400_000;
const DAY_PARTITION = /^(\d{4})(\d{2})(\d{2})$/;

export interface TtlGuardOptions {
  /** The hot tier's engine. */
  engine: ClickHouseEngine;
  /** Read-only SQL on cold (watermarks, keys): `engine` when both databases are on one server, else the cold daemon's /query. */
  cold: TierReader;
  /** Where late rows are copied: `engine` on one server; absent (embedded): a day with late rows is held for the cold verifier. */
  coldWriter?: ClickHouseEngine;
  hotDb: string;
  coldDb: string;
  ttlDays: number;
  /** A held partition this long past its TTL makes /health degraded. */
  maxLagMinutes: number;
  metrics: TtlGuardMetrics;
  log: Logger;
  now?: () => number;
}

export interface GuardPass {
  dropped: { table: string; partition: string }[];
  held: { table: string; partition: string; expiredAt: number }[];
  /** Held because cold lacks rows of the day that hot got after cold verified it, and the guard cannot copy them (embedded). */
  late: { table: string; partition: string }[];
}

const TYPE_OF_TABLE = new Map<string, DataType>(DATA_TYPES.map((t) => [TABLES[t], t]));

export class TtlGuard {
  private readonly now: () => number;
  private last: GuardPass = { dropped: [], held: [], late: [] };
  private lastPassAt: number | null = null;
  private error: string | null = null;
  private failures = 0;
  private watermarks = new Map<string, number>();
  /** Late days already logged (embedded: held until the cold verifier copies them), so each is logged once. */
  private readonly lateLogged = new Set<string>();

  constructor(private readonly o: TtlGuardOptions) {
    this.now = o.now ?? Date.now;
  }

  async pass(): Promise<GuardPass> {
    try {
      const r = await this.guard();
      this.error = null;
      this.failures = 0;
      this.last = r;
      this.lastPassAt = this.now();
      return r;
    } catch (err) {
      this.error = (err as Error).message.split('\n')[0]!.slice(0, 300);
      if (logsFailure(this.failures++)) this.o.log.warn({ err: this.error, attempt: this.failures }, 'TTL guard: pass failed, dropping nothing; retrying');
      throw err;
    }
  }

  private async guard(): Promise<GuardPass> {
    this.watermarks = await readWatermarks(this.o.cold, this.o.coldDb);
    const parts = await this.o.engine.query<{ table: string; partition_id: string }>(
      `SELECT table, partition_id FROM system.parts WHERE database = '${this.o.hotDb}' AND active GROUP BY table, partition_id ORDER BY table, partition_id`,
    );
    const now = this.now();
    const out: GuardPass = { dropped: [], held: [], late: [] };
    const held = new Map<DataType, number>(DATA_TYPES.map((t) => [t, 0]));
    for (const { table, partition_id: partition } of parts) {
      const type = TYPE_OF_TABLE.get(table);
      const day = DAY_PARTITION.exec(partition);
      if (!type || !day) continue;
      const dayEnd = Date.UTC(Number(day[1]), Number(day[2]) - 1, Number(day[3])) + DAY_MS;
      const expiredAt = dayEnd + this.o.ttlDays * DAY_MS;
      if (expiredAt > now) continue;
      const wm = this.watermarks.get(table);
      if (wm === undefined || wm < dayEnd) {
        out.held.push({ table, partition, expiredAt });
        held.set(type, held.get(type)! + 1);
        continue;
      }
      // Rows that reached hot after cold verified their window (the verifier does not look back): copied now, never dropped unseen.
      const late = await this.copyLate(type, table, dayEnd);
      if (late < 0) {
        if (!this.o.coldWriter) out.late.push({ table, partition });
        out.held.push({ table, partition, expiredAt });
        held.set(type, held.get(type)! + 1);
        continue;
      }
      await this.o.engine.command(`ALTER TABLE ${this.o.hotDb}.${table} DROP PARTITION ID '${partition}'`);
      out.dropped.push({ table, partition });
      this.o.metrics.dropped.inc({ data_type: type });
      this.o.log.info({ table, partition, cold_watermark: new Date(wm).toISOString() }, 'TTL guard: dropped a hot day past the TTL that cold verified');
    }
    for (const [t, n] of held) this.o.metrics.held.set({ data_type: t }, n);
    return out;
  }

  /**
   * Hot rows of the day cold lacks, copied to cold first: their number, or -1 when some are
   * still missing (after the copy; or, with no `coldWriter`, left for the cold verifier).
   */
  private async copyLate(type: DataType, table: string, dayEnd: number): Promise<number> {
    const from = dayEnd - DAY_MS;
    const hot: TierTable = { reader: this.o.engine, table: `${this.o.hotDb}.${table}` };
    const cold: TierTable = { reader: this.o.cold, table: `${this.o.coldDb}.${table}` };
    // The usual case first, one aggregate a side: cold has the day as hot has it.
    const [h, c] = await Promise.all([summaries(type, hot, DAY_MS, from, dayEnd), summaries(type, cold, DAY_MS, from, dayEnd)]);
    const [hs, cs] = [h.get(from), c.get(from)];
    if (!hs || (cs && hs.n === cs.n && hs.h === cs.h)) return 0;
    const keys = await missingKeys(type, hot, cold, from, dayEnd);
    if (keys.length === 0) return 0;
    const day = new Date(from).toISOString().slice(0, 10);
    if (!this.o.coldWriter) {
      const id = `${table}/${day}`;
      if (!this.lateLogged.has(id)) {
        this.lateLogged.add(id);
        this.o.log.warn({ table, day, rows: keys.length }, 'TTL guard: cold lacks hot rows of a verified day; holding it until the cold verifier copies them');
      }
      return -1;
    }
    await copyRows(type, hot, { engine: this.o.coldWriter, table: cold.table }, keys);
    const left = (await missingKeys(type, hot, cold, from, dayEnd)).length;
    this.o.log.warn(
      { table, day, rows: keys.length, still_missing: left },
      'TTL guard: hot rows that arrived after cold verified their day copied to cold before the drop',
    );
    this.o.metrics.lateRows.inc({ data_type: type }, keys.length - left);
    return left > 0 ? -1 : keys.length;
  }

  health(): { reasons: string[]; report: Record<string, unknown> } {
    const now = this.now();
    const reasons: string[] = [];
    if (this.error) reasons.push(`TTL guard: cannot read the cold watermark, dropping nothing (${this.error})`);
    const overdue = this.last.held.filter((h) => now - h.expiredAt > this.o.maxLagMinutes * 60_000);
    if (overdue.length > 0) {
      reasons.push(`TTL guard: ${overdue.length} hot day partitions past the TTL kept: the cold tier has not verified them`);
    }
    return {
      reasons,
      report: {
        ttl_days: this.o.ttlDays,
        last_pass_at: this.lastPassAt === null ? null : new Date(this.lastPassAt).toISOString(),
        cold_watermarks: Object.fromEntries([...this.watermarks].map(([t, ms]) => [t, new Date(ms).toISOString()])),
        held_partitions: this.last.held.map((h) => `${h.table}/${h.partition}`),
        // Read by the cold verifier (embedded engine): days it must check again and copy to cold.
        late_partitions: this.last.late.map((h) => `${h.table}/${h.partition}`),
        last_error: this.error,
      },
    };
  }
}

/** The late days (`table/YYYYMMDD`) the hot daemon whose health port is `port` holds: its /health `ttl_guard.late_partitions`. */
export async function guardLateDays(port: number): Promise<string[]> {
  const res = await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(10_000) });
  const h = (await res.json()) as { ttl_guard?: { late_partitions?: unknown } };
  const late = h.ttl_guard?.late_partitions;
  return Array.isArray(late) ? late.filter((d): d is string => typeof d === 'string') : [];
}
