/**
 * The cold tier's verifier: per table and time window (window_minutes, aligned to UTC
 * midnight, only windows that ended settle_minutes ago), compares hot and cold — row
 * count and a checksum of the natural keys, both with FINAL, the same SQL on each side —
 * and when cold lacks rows, copies exactly those from hot (cold-backfill.ts: the hot keys
 * cold lacks, then their rows, inserted into cold through this daemon's engine). A run of
 * windows that all verified advances the table's watermark (cold-watermark.ts); a window
 * still short after its backfill stops the table there, and the next pass tries again.
 *
 * Re-running a window changes nothing: the backfill reads only keys cold lacks, and
 * verified windows are not read again. A crash between a backfill and the watermark
 * leaves the watermark where it was: the windows are compared again, now equal.
 *
 * With the embedded engine the hot TTL guard cannot copy rows hot got after their day was
 * verified; it holds the day and lists it as late on its /health (`lateDays`), and each
 * pass copies the hot rows of those days cold lacks, by the same backfill.
 *
 * Hot is read through `hot` (cold-reader.ts): the engine itself when both databases are
 * on one ClickHouse server, the hot daemon's /query with the embedded engine. Cold is
 * always this daemon's engine.
 */
import type { Logger } from '../core/logger.js';
import { DATA_TYPES, type DataType } from '../core/model.js';
import { logsFailure } from '../core/retry.js';
import { BACKFILL_LIMITS, copyRows, missingKeys, summaries, type BackfillLimits, type Summary, type TierTable } from './cold-backfill.js';
import type { TierReader } from './cold-reader.js';
import type { ColdConfig } from './config.js';
import { advanceWatermark, readWatermarks, windowSql } from './cold-watermark.js';
import type { ClickHouseEngine } from './engines/engine.js';
import type { ColdMetrics } from './metrics.js';
import { TABLES } from './schema.js';

const MINUTE_MS = 60_000;
const DAY_MS = 1440 * MINUTE_MS;

export interface ColdVerifierOptions {
  /** The cold tier's engine: cold is read and written through it. */
  engine: ClickHouseEngine;
  /** Read-only SQL on hot: `engine` when both databases are on one server, else the hot daemon's /query. */
  hot: TierReader;
  /** The hot TTL guard's late days (`table/YYYYMMDD`, its /health), with the embedded engine: copied to cold each pass. */
  lateDays?: () => Promise<string[]>;
  /** Rows moved per read (cold-backfill.ts); the defaults unless a test makes them small. */
  limits?: BackfillLimits;
  hotDb: string;
  coldDb: string;
  cold: Pick<ColdConfig, 'window_minutes' | 'settle_minutes' | 'max_windows_per_pass' | 'max_lag_minutes'>;
  metrics: ColdMetrics;
  log: Logger;
  now?: () => number;
}

/** What one pass did to one table. */
export interface TablePass {
  windows: number;
  backfilledWindows: number;
  backfilledRows: number;
  /** The watermark after the pass (Unix ms); null: nothing to verify yet. */
  watermarkMs: number | null;
}

interface TableState {
  watermarkMs: number | null;
  /** The start of the first window not verified yet, while there is no watermark. */
  firstWindowMs: number | null;
  lastVerifiedAt: number | null;
  windowsVerified: number;
  rowsBackfilled: number;
  error: string | null;
  failures: number;
}

export class ColdVerifier {
  private readonly windowMs: number;
  private readonly tables = new Map<DataType, TableState>();
  private lastPassAt: number | null = null;
  private readonly now: () => number;
  private readonly limits: BackfillLimits;

  constructor(private readonly o: ColdVerifierOptions) {
    this.limits = o.limits ?? BACKFILL_LIMITS;
    this.windowMs = o.cold.window_minutes * MINUTE_MS;
    this.now = o.now ?? Date.now;
    for (const t of DATA_TYPES) {
      this.tables.set(t, { watermarkMs: null, firstWindowMs: null, lastVerifiedAt: null, windowsVerified: 0, rowsBackfilled: 0, error: null, failures: 0 });
    }
  }

  /** One pass over every table; a table's failure is recorded and the others go on. */
  async pass(): Promise<Map<DataType, TablePass | Error>> {
    const out = new Map<DataType, TablePass | Error>();
    const marks = await readWatermarks(this.o.engine, this.o.coldDb).catch((err: Error) => err);
    // The hot daemon away: no late days to learn of, the tables fail on reading hot below.
    const late = (await this.o.lateDays?.().catch(() => [])) ?? [];
    for (const type of DATA_TYPES) {
      const st = this.tables.get(type)!;
      try {
        if (marks instanceof Error) throw marks;
        for (const day of late) if (day.startsWith(`${TABLES[type]}/`)) st.rowsBackfilled += await this.copyLateDay(type, day);
        const r = await this.verifyTable(type, marks.get(TABLES[type]) ?? null, st);
        st.error = null;
        st.failures = 0;
        out.set(type, r);
      } catch (err) {
        const e = err instanceof Error ? err : new Error(String(err));
        st.error = e.message.split('\n')[0]!.slice(0, 300);
        this.o.metrics.errors.inc({ data_type: type });
        if (logsFailure(st.failures++))
          this.o.log.warn({ data_type: type, err: st.error, attempt: st.failures }, 'cold verification failed; retrying next pass');
        out.set(type, e);
      }
    }
    this.lastPassAt = this.now();
    return out;
  }

  private async verifyTable(type: DataType, watermarkMs: number | null, st: TableState): Promise<TablePass> {
    const table = TABLES[type];
    const hot: TierTable = { reader: this.o.hot, table: `${this.o.hotDb}.${table}` };
    const cold: TierTable = { reader: this.o.engine, table: `${this.o.coldDb}.${table}` };
    const W = this.windowMs;
    st.watermarkMs = watermarkMs;
    if (watermarkMs !== null) this.o.metrics.watermark.set({ data_type: type }, watermarkMs / 1000);
    const start = watermarkMs ?? (await this.firstHotWindow(hot));
    st.firstWindowMs = watermarkMs === null ? start : null;
    const nothing: TablePass = { windows: 0, backfilledWindows: 0, backfilledRows: 0, watermarkMs };
    if (start === null) return nothing;
    const limit = Math.floor((this.now() - this.o.cold.settle_minutes * MINUTE_MS) / W) * W;
    if (limit <= start) return nothing;
    // Windows without a hot row have nothing to lose: skip to the first one with rows (a pause or a quiet table costs no passes).
    const from = await this.nextHotWindow(hot, start, limit);
    const end = Math.min(limit, from + this.o.cold.max_windows_per_pass * W);

    const [hs, cs] =
      from < end
        ? await Promise.all([summaries(type, hot, W, from, end), summaries(type, cold, W, from, end)])
        : [new Map<number, Summary>(), new Map<number, Summary>()];
    const pass = { windows: 0, backfilledWindows: 0, backfilledRows: 0, hotRows: 0 };
    let verifiedTo = from;
    let failure: Error | undefined;
    for (let w = from; w < end; w += W) {
      const h = hs.get(w) ?? { n: 0, h: '0' };
      const c = cs.get(w) ?? { n: 0, h: '0' };
      // Equal, or nothing in hot to lose (cold may hold more: rows hot's TTL already dropped).
      if ((h.n !== c.n || h.h !== c.h) && h.n > 0) {
        const keys = await missingKeys(type, hot, cold, w, w + W, this.limits);
        const missing = keys.length;
        if (missing > 0) {
          await copyRows(type, hot, { engine: this.o.engine, table: cold.table }, keys, this.limits);
          const left = (await missingKeys(type, hot, cold, w, w + W, this.limits)).length;
          if (left > 0) {
            failure = new Error(`${cold.table}: window ${new Date(w).toISOString()}: ${left} of ${h.n} hot rows still missing after the backfill`);
            break;
          }
          pass.backfilledWindows++;
          pass.backfilledRows += missing;
          this.o.log.info({ data_type: type, window: new Date(w).toISOString(), rows: missing }, 'cold lacked hot rows; backfilled');
        }
      }
      pass.hotRows += h.n;
      verifiedTo = w + W;
    }
    pass.windows = (verifiedTo - start) / W;
    if (verifiedTo > start) {
      await advanceWatermark(this.o.engine, this.o.coldDb, {
        table,
        windowStartMs: start,
        watermarkMs: verifiedTo,
        windows: pass.windows,
        hotRows: pass.hotRows,
        backfilledRows: pass.backfilledRows,
      });
      st.watermarkMs = verifiedTo;
      st.firstWindowMs = null;
      st.lastVerifiedAt = this.now();
      st.windowsVerified += pass.windows;
      st.rowsBackfilled += pass.backfilledRows;
      const labels = { data_type: type };
      this.o.metrics.watermark.set(labels, verifiedTo / 1000);
      this.o.metrics.verifiedWindows.inc(labels, pass.windows);
      this.o.metrics.backfilledWindows.inc(labels, pass.backfilledWindows);
      this.o.metrics.backfilledRows.inc(labels, pass.backfilledRows);
    }
    if (failure) throw failure;
    return { windows: pass.windows, backfilledWindows: pass.backfilledWindows, backfilledRows: pass.backfilledRows, watermarkMs: st.watermarkMs };
  }

  /** The hot rows cold lacks of a day the hot TTL guard holds as late (`table/YYYYMMDD`), copied; their number. */
  private async copyLateDay(type: DataType, day: string): Promise<number> {
    const d = /^[a-z_]+\/(\d{4})(\d{2})(\d{2})$/.exec(day);
    if (!d) return 0;
    const from = Date.UTC(Number(d[1]), Number(d[2]) - 1, Number(d[3]));
    const hot: TierTable = { reader: this.o.hot, table: `${this.o.hotDb}.${TABLES[type]}` };
    const cold = { reader: this.o.engine, engine: this.o.engine, table: `${this.o.coldDb}.${TABLES[type]}` };
    const keys = await missingKeys(type, hot, cold, from, from + DAY_MS, this.limits);
    if (keys.length === 0) return 0;
    const copied = await copyRows(type, hot, cold, keys, this.limits);
    this.o.metrics.backfilledRows.inc({ data_type: type }, copied);
    this.o.log.warn(
      { data_type: type, day, rows: copied },
      'hot rows that arrived after their day was verified copied to cold (the hot TTL guard held the day)',
    );
    return copied;
  }

  /** The window holding hot's oldest row: where a table never verified starts. */
  private async firstHotWindow(hot: TierTable): Promise<number | null> {
    const [r] = await hot.reader.query<{ n: string; ms: string }>(
      `SELECT count() AS n, toString(toUnixTimestamp64Milli(min(timestamp))) AS ms FROM ${hot.table}`,
    );
    if (!r || Number(r.n) === 0) return null;
    return Math.floor(Number(r.ms) / this.windowMs) * this.windowMs;
  }

  /** The window of hot's first row in [fromMs, toMs); `toMs` when there is none. */
  private async nextHotWindow(hot: TierTable, fromMs: number, toMs: number): Promise<number> {
    const [r] = await hot.reader.query<{ n: string; ms: string }>(
      `SELECT count() AS n, toString(toUnixTimestamp64Milli(min(timestamp))) AS ms FROM ${hot.table} WHERE ${windowSql(fromMs, toMs)}`,
    );
    if (!r || Number(r.n) === 0) return toMs;
    return Math.max(fromMs, Math.floor(Number(r.ms) / this.windowMs) * this.windowMs);
  }

  /** For /health: per table watermark and lag, the last verification and error. */
  health(): { reasons: string[]; report: Record<string, unknown> } {
    const now = this.now();
    const reasons: string[] = [];
    const tables: Record<string, unknown> = {};
    const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
    for (const [type, st] of this.tables) {
      const behind = st.watermarkMs ?? st.firstWindowMs;
      const lagS = behind === null ? null : Math.round((now - behind) / 1000);
      if (lagS !== null && lagS > this.o.cold.max_lag_minutes * 60) {
        reasons.push(`cold verifier: ${TABLES[type]} ${Math.round(lagS / 60)} min behind (max ${this.o.cold.max_lag_minutes})`);
      }
      if (st.error) reasons.push(`cold verifier: ${TABLES[type]}: ${st.error}`);
      tables[TABLES[type]] = {
        watermark: iso(st.watermarkMs),
        lag_s: lagS,
        last_verified_at: iso(st.lastVerifiedAt),
        windows_verified: st.windowsVerified,
        rows_backfilled: st.rowsBackfilled,
        last_error: st.error,
      };
    }
    return { reasons, report: { last_pass_at: iso(this.lastPassAt), window_minutes: this.o.cold.window_minutes, tables } };
  }
}
