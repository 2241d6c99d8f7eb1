/**
 * `marketprism integrity [--since 1h | --from T --to T] [--bucket 1m] [--config-dir DIR] [--json]`:
 * "is my data complete?" for a time range (issue 11), per table and venue:
 *
 * - rows stored (de-duplicated, `FINAL`), by the record's own timestamp;
 * - trade-id gaps where the venue's trade ids are sequential per instrument (Binance, OKX):
 *   ids missing between two stored trades of one symbol;
 * - empty time buckets of books and trades: a bucket with no row for a symbol that has
 *   rows before and after it in the range;
 * - what the daemons counted since they started (their /metrics; counters are not kept per
 *   range): the collector's records handed over, acknowledged by JetStream, dropped (buffer
 *   full) and invalid, its book resyncs by reason and sequence problems; storage's records
 *   stored and dead-lettered.
 *
 * A problem: a trade-id gap, an empty bucket, records the collector dropped, records storage
 * dead-lettered, or a book resync for a reason other than a reconnect. Exit 1 when there is one.
 */
import { DATA_TYPES, type DataType } from '../core/model.js';
import { parseDurationMs } from '../core/config.js';
import { databaseOf } from '../storage/config.js';
import { TABLES } from '../storage/schema.js';
import { hostModules, reachableHost, type Module } from './ops.js';
import { fetchMetrics, samples } from './prom-text.js';
import { queryStorage } from './storage-rows.js';

/** Venues whose trade ids count up by one per trade of an instrument. */
export const SEQUENTIAL_TRADE_ID_EXCHANGES = ['binance', 'okx'] as const;
/** Tables whose rows come continuously (books at least every publish interval, trades of liquid symbols). */
export const BUCKETED_TYPES: readonly DataType[] = ['orderbook', 'trade'];
/** At most this many examples (gaps, empty buckets) per symbol. */
const EXAMPLES = 10;

export interface Range {
  from_ms: number;
  to_ms: number;
}

export interface Problem {
  kind: 'trade_id_gap' | 'empty_buckets' | 'dropped' | 'dead_letter' | 'resync';
  table?: string;
  venue: string;
  symbol?: string;
  count: number;
  detail: string;
}

export interface IntegrityReport {
  from: string;
  to: string;
  database: string;
  bucket_s: number;
  rows: { table: string; venue: string; rows: number }[];
  trade_id_gaps: { venue: string; symbol: string; gaps: number; missing: number; examples: [string, string][] }[];
  empty_buckets: { table: string; venue: string; symbol: string; empty: number; examples: string[] }[];
  /** Counted by the daemons since they started, from their /metrics. */
  counters: { module: Module; metric: string; labels: Record<string, string>; value: number }[];
  problems: Problem[];
  errors: { module: Module; error: string }[];
}

/** A time as an operator writes it: ISO 8601 (`2026-12-01T16:00:00Z`, `2026-12-01 16:00`), or Unix ms. */
export function parseTime(option: string, text: string): number {
  const ms = /^\d{12,}$/.test(text) ? Number(text) : Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(text) ? text : `${text.replace(' ', 'T')}Z`);
  if (!Number.isFinite(ms)) throw new Error(`${option}: expected a time like 2026-12-01T16:00:00Z (UTC when no zone is given), got ${JSON.stringify(text)}`);
  return ms;
}

export function parseRange(opts: { since?: string; from?: string; to?: string }, now = Date.now()): Range {
  if (opts.since && (opts.from || opts.to)) throw new Error('--since goes alone; or give --from (and --to)');
  if (opts.from) {
    const r = { from_ms: parseTime('--from', opts.from), to_ms: opts.to ? parseTime('--to', opts.to) : now };
    if (r.to_ms <= r.from_ms) throw new Error(`--to must be after --from (${new Date(r.from_ms).toISOString()})`);
    return r;
  }
  if (opts.to) throw new Error('--to needs --from');
  const since = parseDurationMs(opts.since ?? '1h');
  if (since === undefined || since <= 0) throw new Error(`--since: expected a duration like 30m, 1h, 2d, got ${JSON.stringify(opts.since)}`);
  return { from_ms: now - since, to_ms: now };
}

const inRange = (r: Range) => `timestamp >= fromUnixTimestamp64Milli(toInt64(${r.from_ms})) AND timestamp < fromUnixTimestamp64Milli(toInt64(${r.to_ms}))`;
const VENUE = "concat(exchange, '/', market_type)";

export function rowsSql(db: string, r: Range): string {
  return DATA_TYPES.map(
    (t) => `SELECT '${TABLES[t]}' AS table, ${VENUE} AS venue, count() AS rows FROM ${db}.${TABLES[t]} FINAL WHERE ${inRange(r)} GROUP BY venue`,
  ).join(' UNION ALL ');
}

export function tradeIdGapsSql(db: string, r: Range): string {
  const id = 'toUInt64OrZero(trade_id)';
  return (
    `SELECT venue, symbol, count() AS gaps, toString(sum(id - prev - 1)) AS missing, groupArray(${EXAMPLES})((toString(prev), toString(id))) AS examples FROM (` +
    `SELECT ${VENUE} AS venue, symbol, ${id} AS id, lagInFrame(${id}, 1, 0) OVER (PARTITION BY exchange, market_type, symbol ORDER BY ${id} ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) AS prev ` +
    `FROM ${db}.trades FINAL WHERE exchange IN (${SEQUENTIAL_TRADE_ID_EXCHANGES.map((e) => `'${e}'`).join(', ')}) AND ${inRange(r)}` +
    `) WHERE prev > 0 AND id > prev + 1 GROUP BY venue, symbol ORDER BY venue, symbol`
  );
}

export function bucketsSql(db: string, r: Range, bucketS: number): string {
  return BUCKETED_TYPES.map(
    (t) =>
      `SELECT '${TABLES[t]}' AS table, venue, symbol, arraySort(groupArray(b)) AS buckets FROM (` +
      `SELECT ${VENUE} AS venue, symbol, toUnixTimestamp(toStartOfInterval(timestamp, INTERVAL ${bucketS} SECOND)) AS b FROM ${db}.${TABLES[t]} WHERE ${inRange(r)} GROUP BY venue, symbol, b` +
      `) GROUP BY venue, symbol`,
  ).join(' UNION ALL ');
}

/** The buckets (Unix s) missing between the first and the last present one. */
export function emptyBuckets(present: number[], bucketS: number): number[] {
  const out: number[] = [];
  for (let i = 1; i < present.length; i++) for (let b = present[i - 1]! + bucketS; b < present[i]!; b += bucketS) out.push(b);
  return out;
}

const COLLECTOR_COUNTERS = [
  'marketprism_collector_records_out_total',
  'marketprism_collector_records_published_total',
  'marketprism_collector_dropped_records_total',
  'marketprism_collector_invalid_records_total',
  'marketprism_collector_book_resyncs_total',
  'marketprism_collector_problems_total',
];
const STORAGE_COUNTERS = ['marketprism_storage_messages_total'];

export async function integrityReport(range: Range, opts: { configDir?: string; bucketS: number }): Promise<IntegrityReport> {
  const { fileOf, loaded, errors } = hostModules(opts.configDir);
  const storage = loaded.get('storage');
  if (storage?.module !== 'storage')
    throw new Error(`integrity needs the hot storage config (${fileOf('storage')}): ${errors.map((e) => e.error).join('; ') || 'not found'}`);
  const db = databaseOf(storage.config);
  const ask = <T>(sql: string) => queryStorage<T>(fileOf('storage'), storage.config, sql);
  const report: IntegrityReport = {
    from: new Date(range.from_ms).toISOString(),
    to: new Date(range.to_ms).toISOString(),
    database: db,
    bucket_s: opts.bucketS,
    rows: [],
    trade_id_gaps: [],
    empty_buckets: [],
    counters: [],
    problems: [],
    errors,
  };
  report.rows = (await ask<{ table: string; venue: string; rows: string }>(rowsSql(db, range))).map((r) => ({ ...r, rows: Number(r.rows) }));
  for (const g of await ask<{ venue: string; symbol: string; gaps: string; missing: string; examples: [string, string][] }>(tradeIdGapsSql(db, range))) {
    const gap = { venue: g.venue, symbol: g.symbol, gaps: Number(g.gaps), missing: Number(g.missing), examples: g.examples };
    report.trade_id_gaps.push(gap);
    const shown = gap.examples.map(([a, b]) => `${a} → ${b}`).join(', ');
    report.problems.push({
      kind: 'trade_id_gap',
      table: `${db}.trades`,
      venue: g.venue,
      symbol: g.symbol,
      count: gap.missing,
      detail: `${gap.missing} trade ids missing in ${gap.gaps} gaps (${shown})`,
    });
  }
  for (const b of await ask<{ table: string; venue: string; symbol: string; buckets: (string | number)[] }>(bucketsSql(db, range, opts.bucketS))) {
    const empty = emptyBuckets(b.buckets.map(Number), opts.bucketS);
    if (empty.length === 0) continue;
    const examples = empty.slice(0, EXAMPLES).map((s) => new Date(s * 1000).toISOString());
    report.empty_buckets.push({ table: `${db}.${b.table}`, venue: b.venue, symbol: b.symbol, empty: empty.length, examples });
    report.problems.push({
      kind: 'empty_buckets',
      table: `${db}.${b.table}`,
      venue: b.venue,
      symbol: b.symbol,
      count: empty.length,
      detail: `${empty.length} empty ${opts.bucketS}s buckets between rows (${examples.join(', ')}${empty.length > EXAMPLES ? ', ...' : ''})`,
    });
  }

  const scrape = async (module: Module, url: string, names: string[]) => {
    try {
      const text = await fetchMetrics(url);
      for (const metric of names) for (const s of samples(text, metric)) report.counters.push({ module, metric, labels: s.labels, value: s.value });
    } catch (err) {
      errors.push({ module, error: `cannot read ${url}: ${(err as Error).message}` });
    }
  };
  const collector = loaded.get('collector');
  if (collector?.module === 'collector') {
    const m = collector.config.metrics;
    await scrape('collector', `http://${reachableHost(m.host)}:${m.port}/metrics`, COLLECTOR_COUNTERS);
  }
  const h = storage.config.health;
  await scrape('storage', `http://${reachableHost(h.host)}:${h.port}/metrics`, STORAGE_COUNTERS);
  for (const c of report.counters) {
    if (c.value <= 0) continue;
    if (c.metric === 'marketprism_collector_dropped_records_total')
      report.problems.push({
        kind: 'dropped',
        venue: 'collector',
        count: c.value,
        detail: `${c.value} ${c.labels.data_type} records dropped (publish buffer full) since the collector started`,
      });
    if (c.metric === 'marketprism_storage_messages_total' && c.labels.outcome === 'dead_letter')
      report.problems.push({
        kind: 'dead_letter',
        venue: 'storage',
        count: c.value,
        detail: `${c.value} ${c.labels.data_type} messages dead-lettered since storage started (MARKET_DATA_DLQ)`,
      });
    if (c.metric === 'marketprism_collector_book_resyncs_total' && c.labels.reason !== 'reconnect')
      report.problems.push({
        kind: 'resync',
        venue: c.labels.venue ?? '',
        count: c.value,
        detail: `${c.value} book resyncs (${c.labels.reason}) since the collector started`,
      });
  }
  return report;
}

export function formatIntegrity(r: IntegrityReport): string {
  const out = [`marketprism integrity  ${r.from} .. ${r.to}  (${r.database})`, '', 'rows stored (de-duplicated)'];
  const stored = r.rows.filter((x) => x.rows > 0);
  if (!stored.length) out.push('  none');
  const w = Math.max(0, ...stored.map((x) => `${x.table}  ${x.venue}`.length));
  for (const x of stored) out.push(`  ${`${x.table}  ${x.venue}`.padEnd(w)}  ${x.rows}`);
  out.push('', `trade-id gaps (${SEQUENTIAL_TRADE_ID_EXCHANGES.join(', ')})`);
  if (!r.trade_id_gaps.length) out.push('  none');
  for (const g of r.trade_id_gaps)
    out.push(`  ${g.venue} ${g.symbol}: ${g.missing} ids missing in ${g.gaps} gaps (${g.examples.map(([a, b]) => `${a} → ${b}`).join(', ')})`);
  out.push('', `empty ${r.bucket_s}s buckets (${BUCKETED_TYPES.map((t) => TABLES[t]).join(', ')})`);
  if (!r.empty_buckets.length) out.push('  none');
  for (const b of r.empty_buckets)
    out.push(`  ${b.table} ${b.venue} ${b.symbol}: ${b.empty} (${b.examples.join(', ')}${b.empty > b.examples.length ? ', ...' : ''})`);
  if (r.counters.length) {
    out.push('', 'counted since the daemons started (/metrics)');
    for (const c of r.counters)
      out.push(
        `  ${c.module}  ${c.metric}{${Object.entries(c.labels)
          .map(([k, v]) => `${k}="${v}"`)
          .join(',')}}  ${c.value}`,
      );
  }
  for (const e of r.errors) out.push('', `${e.module}: ${e.error}`);
  out.push('', r.problems.length ? `${r.problems.length} problem(s):` : 'no problem found');
  for (const p of r.problems) out.push(`  ${p.kind}: ${[p.table, p.venue, p.symbol].filter(Boolean).join(' ')}: ${p.detail}`);
  return out.join('\n') + '\n';
}

/** `marketprism integrity ...`: exit 1 when a problem (or an error reaching a daemon) was found. */
export async function integrity(
  args: string[],
  opts: { since?: string; from?: string; to?: string; bucket?: string; configDir?: string; json: boolean },
): Promise<number> {
  if (args.length > 0) throw new Error(`integrity: unexpected ${args.join(' ')}`);
  const range = parseRange(opts);
  const bucketMs = parseDurationMs(opts.bucket ?? '1m');
  if (bucketMs === undefined || bucketMs < 1000 || bucketMs % 1000 !== 0)
    throw new Error(`--bucket: expected whole seconds like 1m, 30s, 5m, got ${JSON.stringify(opts.bucket)}`);
  const r = await integrityReport(range, { configDir: opts.configDir, bucketS: bucketMs / 1000 });
  process.stdout.write(opts.json ? JSON.stringify(r, null, 2) + '\n' : formatIntegrity(r));
  return r.problems.length || r.errors.length ? 1 : 0;
}
