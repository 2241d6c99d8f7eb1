/**
 * The cold tier's verifier: per table and time window (window_minutes, aligned to UTC
 * midnight, only windows that ended settle_minutes ago), compares hot and cold — row
 * count and a checksum of the natural keys, both with FINAL — and when cold lacks rows,
 * copies exactly those from hot (INSERT ... SELECT of the hot keys not in cold). A run of
 * windows that all verified advances the table's watermark (cold-watermark.ts); a window
 * still short after its backfill stops the table there, and the next pass tries again.
 *
 * Re-running a window changes nothing: the backfill selects only keys cold lacks, and
 * verified windows are not read again. A crash between a backfill and the watermark
 * leaves the watermark where it was: the windows are compared again, now equal.
 *
 * Hot and cold are read through one engine: both databases on one ClickHouse server
 * (config.ts refuses cold.verify with the embedded engine, whose tiers are separate chDB
 * directories of separate processes).
 */
import { NATURAL_KEYS } from '../core/fields.js';
import type { Logger } from '../core/logger.js';
import { DATA_TYPES, type DataType } from '../core/model.js';
import { logsFailure } from '../core/retry.js';
import type { ColdConfig } from './config.js';
import { advanceWatermark, readWatermarks, windowSql } from './cold-watermark.js';
import type { ClickHouseEngine } from './engines/engine.js';
import type { ColdMetrics } from './metrics.js';
import { TABLES, columnsOf } from './schema.js';

const MINUTE_MS = 60_000;

export interface ColdVerifierOptions {
  engine: ClickHouseEngine;
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

interface Summary {
  n: number;
  h: string;
}

export class ColdVerifier {
  private readonly windowMs: number;
  private readonly tables = new Map<DataType, TableState>();
  private lastPassAt: number | null = null;
  private readonly now: () => number;

  constructor(private readonly o: ColdVerifierOptions) {
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
    for (const type of DATA_TYPES) {
      const st = this.tables.get(type)!;
      try {
        if (marks instanceof Error) throw marks;
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
    const hot = `${this.o.hotDb}.${table}`;
    const cold = `${this.o.coldDb}.${table}`;
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
        ? await Promise.all([this.summaries(type, hot, from, end), this.summaries(type, cold, from, end)])
        : [new Map<number, Summary>(), new Map<number, Summary>()];
    const pass = { windows: 0, backfilledWindows: 0, backfilledRows: 0, hotRows: 0 };
    let verifiedTo = from;
    let failure: Error | undefined;
    for (let w = from; w < end; w += W) {
      const h = hs.get(w) ?? { n: 0, h: '0' };
      const c = cs.get(w) ?? { n: 0, h: '0' };
      // Equal, or nothing in hot to lose (cold may hold more: rows hot's TTL already dropped).
      if ((h.n !== c.n || h.h !== c.h) && h.n > 0) {
        const missing = await this.missing(type, hot, cold, w);
        if (missing > 0) {
          await this.o.engine.command(this.backfillSql(type, hot, cold, w));
          const left = await this.missing(type, hot, cold, w);
          if (left > 0) {
            failure = new Error(`${cold}: window ${new Date(w).toISOString()}: ${left} of ${h.n} hot rows still missing after the backfill`);
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

  /** The window holding hot's oldest row: where a table never verified starts. */
  private async firstHotWindow(hot: string): Promise<number | null> {
    const [r] = await this.o.engine.query<{ n: string; ms: string }>(`SELECT count() AS n, toString(toUnixTimestamp64Milli(min(timestamp))) AS ms FROM ${hot}`);
    if (!r || Number(r.n) === 0) return null;
    return Math.floor(Number(r.ms) / this.windowMs) * this.windowMs;
  }

  /** The window of hot's first row in [fromMs, toMs); `toMs` when there is none. */
  private async nextHotWindow(hot: string, fromMs: number, toMs: number): Promise<number> {
    const [r] = await this.o.engine.query<{ n: string; ms: string }>(
      `SELECT count() AS n, toString(toUnixTimestamp64Milli(min(timestamp))) AS ms FROM ${hot} WHERE ${windowSql(fromMs, toMs)}`,
    );
    if (!r || Number(r.n) === 0) return toMs;
    return Math.max(fromMs, Math.floor(Number(r.ms) / this.windowMs) * this.windowMs);
  }

  /** Per window start (Unix ms): row count and sum of the natural keys' hashes, de-duplicated (FINAL). */
  private async summaries(type: DataType, table: string, from: number, to: number): Promise<Map<number, Summary>> {
    const rows = await this.o.engine.query<{ w: string; n: string; h: string }>(
      `SELECT toString(intDiv(toUnixTimestamp64Milli(timestamp), ${this.windowMs}) * ${this.windowMs}) AS w, count() AS n, ` +
        `sum(cityHash64(${NATURAL_KEYS[type].join(', ')})) AS h FROM ${table} FINAL WHERE ${windowSql(from, to)} GROUP BY w`,
    );
    return new Map(rows.map((r) => [Number(r.w), { n: Number(r.n), h: String(r.h) }]));
  }

  private missing(type: DataType, hot: string, cold: string, w: number): Promise<number> {
    return missingInCold(this.o.engine, type, hot, cold, w, w + this.windowMs);
  }

  private backfillSql(type: DataType, hot: string, cold: string, w: number): string {
    return backfillSql(type, hot, cold, w, w + this.windowMs);
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

/** The rows of `hot FINAL` in [fromMs, toMs) whose natural key `cold` lacks, as a WHERE clause. */
function lackingSql(type: DataType, cold: string, fromMs: number, toMs: number): string {
  const keys = NATURAL_KEYS[type].join(', ');
  const win = windowSql(fromMs, toMs);
  return `${win} AND (${keys}) NOT IN (SELECT ${keys} FROM ${cold} WHERE ${win})`;
}

/** How many hot rows of [fromMs, toMs) cold lacks. */
export async function missingInCold(engine: ClickHouseEngine, type: DataType, hot: string, cold: string, fromMs: number, toMs: number): Promise<number> {
  const [r] = await engine.query<{ n: string }>(`SELECT count() AS n FROM ${hot} FINAL WHERE ${lackingSql(type, cold, fromMs, toMs)}`);
  return Number(r?.n ?? 0);
}

/** Copies into cold exactly the hot rows of [fromMs, toMs) whose natural key it lacks. */
export function backfillSql(type: DataType, hot: string, cold: string, fromMs: number, toMs: number): string {
  // Every column, by name (schema.ts; both tiers run the same migrations, tested against it).
  const cols = columnsOf(type)
    .map(([c]) => c)
    .join(', ');
  return `INSERT INTO ${cold} (${cols}) SELECT ${cols} FROM ${hot} FINAL WHERE ${lackingSql(type, cold, fromMs, toMs)}`;
}
