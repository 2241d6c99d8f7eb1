/**
 * `marketprism integrity [--since 1h | --from T --to T] [--bucket 1m] [--max-records N] [--config-dir DIR] [--json]`:
 * "is my data complete?" for a time range (issue 11), per table and venue:
 *
 * - what JetStream acknowledged in the range (publish time in [from, to)), record by record,
 *   against the rows stored, by natural key (integrity-stream.ts reads the stream,
 *   integrity-acked.ts looks the keys up): stored, dead-lettered (accounted for, not stored)
 *   or missing (with examples); whether the stream still held the whole range (retention
 *   drops its oldest messages: the range is then partly covered, not missing data); at most
 *   --max-records records read, the answer then saying up to when it covers;
 * - rows stored (de-duplicated, `FINAL`), by the record's own timestamp;
 * - trade-id gaps where the venue's trade ids are sequential per instrument (Binance, OKX):
 *   ids missing between two stored trades of one symbol;
 * - empty time buckets of books and trades: a bucket with no row for a symbol that has
 *   rows before and after it in the range;
 * - what the collector counted in the range (the counts stream, integrity-counts.ts; whole
 *   intervals only, the edges said): records handed over and acknowledged, dropped (by
 *   stage) and invalid, book resyncs by reason and sequence problems, per venue; when the
 *   counts stream does not exist or cannot be read, its counters since it started (/metrics),
 *   said so; storage's records stored and dead-lettered since it started (/metrics).
 *
 * A problem: an acknowledged record neither stored nor dead-lettered, a record of the range
 * dead-lettered, a trade-id gap, an empty bucket, records the collector dropped, a sequence
 * problem it counted, or a book resync for a reason other than a reconnect (in the range, or
 * since it started when the counts stream cannot be read). Exit 1 when there is one, or when a part could not be checked.
 */
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { DATA_TYPES, type DataType } from '../core/model.js';
import { parseDurationMs } from '../core/config.js';
import { createLogger } from '../core/logger.js';
import { connectNats, type NatsConnection } from '../core/nats.js';
import type { StreamSpec } from '../core/streams.js';
import { deadLetterSubject, isCountsStream } from '../core/subjects.js';
import { databaseOf, durableName, type StorageConfig } from '../storage/config.js';
import { TABLES } from '../storage/schema.js';
import { AckedTally, type AckedTable } from './integrity-acked.js';
import { readCounts, SHIPPED_COUNTS_STREAM, type CountedWindow } from './integrity-counts.js';
import { deadLetterStream, readDeadLetterRefs, readWindow } from './integrity-stream.js';
import { hostModules, reachableHost, type Module } from './ops.js';
import { fetchMetrics, samples } from './prom-text.js';
import { openStorageQuery, type StorageQuery } from './storage-rows.js';

/** Venues whose trade ids count up by one per trade of an instrument. */
export const SEQUENTIAL_TRADE_ID_EXCHANGES = ['binance', 'okx'] as const;
/** Tables whose rows come continuously (books at least every publish interval, trades of liquid symbols). */
export const BUCKETED_TYPES: readonly DataType[] = ['orderbook', 'trade'];
/** At most this many examples (gaps, empty buckets) per symbol. */
const EXAMPLES = 10;
/** Acknowledged records read at most, by default (--max-records). */
export const DEFAULT_MAX_RECORDS = 2_000_000;

export interface Range {
  from_ms: number;
  to_ms: number;
}

export interface Problem {
  kind: 'missing' | 'trade_id_gap' | 'empty_buckets' | 'dropped' | 'dead_letter' | 'resync' | 'sequence';
  table?: string;
  venue: string;
  symbol?: string;
  count: number;
  detail: string;
}

/** What JetStream acknowledged in the range, per table × venue, against what is stored. */
export interface AckedWindow {
  stream: string;
  /** The dead-letter stream read, and where its name came from. */
  dead_letter_stream: { name: string; from: string };
  /** The part of the range checked: [covered_from, covered_to). */
  covered_from: string;
  covered_to: string;
  /** Why the part checked is less than the range (retention dropped its start, --max-records), or empty. */
  partial: string[];
  /** Stream sequences read. */
  first_seq?: number;
  last_seq?: number;
  messages: number;
  records: number;
  tables: AckedTable[];
}

export interface IntegrityReport {
  from: string;
  to: string;
  database: string;
  bucket_s: number;
  /** Absent when JetStream could not be read (then an error says why). */
  acknowledged?: AckedWindow;
  rows: { table: string; venue: string; rows: number }[];
  trade_id_gaps: { venue: string; symbol: string; gaps: number; missing: number; examples: [string, string][] }[];
  empty_buckets: { table: string; venue: string; symbol: string; empty: number; examples: string[] }[];
  /** What the daemons counted in the range (the counts stream); absent when it could not be read (counted_error says why). */
  counted?: CountedWindow;
  counted_error?: string;
  /** Counted by the daemons since they started (not per range), from their /metrics. */
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

const quietLog = createLogger({ name: 'marketprism', level: 'silent' });

/**
 * Every record JetStream acknowledged in the range, per table × venue, against the tables:
 * the dead letters since `from` first (a set of originals), then the window streamed through
 * the key lookups. Through the storage config's NATS servers and credentials, as `status` does.
 */
export async function ackedWindow(
  range: Range,
  storage: StorageConfig,
  q: StorageQuery,
  opts: { streams?: readonly StreamSpec[]; maxRecords: number },
): Promise<AckedWindow> {
  let nc: NatsConnection | undefined;
  try {
    nc = await connectNats({ servers: storage.nats.servers, name: 'marketprism-integrity', auth: storage.nats.auth, connectTimeoutMs: 5000 }, quietLog);
    const js = jetstream(nc, { timeout: 10_000 });
    const jsm = await jetstreamManager(nc, { timeout: 10_000 });
    const stream = storage.nats.stream;
    const partial: string[] = [];
    // What storage's consumers had acknowledged before the read: a missing record after that is one not yet consumed.
    const consumed = new Map<DataType, number>();
    for (const t of DATA_TYPES) {
      const c = await jsm.consumers.info(stream, durableName(storage.tier, t)).catch(() => undefined);
      consumed.set(t, c?.ack_floor.stream_seq ?? 0);
    }
    const dls = await deadLetterStream(jsm, deadLetterSubject(storage.nats.dead_letter_subject_prefix, 'trade'), stream, opts.streams);
    const dead = await readDeadLetterRefs(js, jsm, dls.name, range.from_ms, opts.maxRecords);
    if (dead.truncated) partial.push(`more than ${opts.maxRecords} dead letters since ${new Date(range.from_ms).toISOString()}: only the first were matched`);
    const tally = new AckedTally(databaseOf(storage), dead.refs, consumed, (sql) => q.query<{ k: string }>(sql));
    const read = await readWindow(js, jsm, stream, range, opts.maxRecords, (m) => tally.add(m));
    const coveredFrom = Math.max(range.from_ms, read.retained?.from_ms ?? range.from_ms);
    if (read.retained) partial.push(read.retained.note);
    const coveredTo = read.stopped ? Math.min(range.to_ms, read.stopped.at_ms) : range.to_ms;
    if (read.stopped) partial.push(`${read.stopped.reason}: covers up to ${new Date(coveredTo).toISOString()} only`);
    return {
      stream,
      dead_letter_stream: dls,
      covered_from: new Date(coveredFrom).toISOString(),
      covered_to: new Date(coveredTo).toISOString(),
      partial,
      first_seq: read.read_from_seq,
      last_seq: read.read_to_seq,
      messages: read.messages,
      records: read.records,
      tables: await tally.finish(),
    };
  } finally {
    await nc?.close().catch(() => undefined);
  }
}

/** What the daemons counted in the range, from the counts stream (named by the broker's streams when this host has them). */
export async function countedWindow(range: Range, storage: StorageConfig, specs: readonly StreamSpec[] | undefined): Promise<CountedWindow> {
  let nc: NatsConnection | undefined;
  try {
    nc = await connectNats({ servers: storage.nats.servers, name: 'marketprism-integrity', auth: storage.nats.auth, connectTimeoutMs: 5000 }, quietLog);
    const stream = specs?.find((s) => isCountsStream(s.subjects))?.name ?? SHIPPED_COUNTS_STREAM;
    return await readCounts(jetstream(nc, { timeout: 10_000 }), await jetstreamManager(nc, { timeout: 10_000 }), stream, range);
  } finally {
    await nc?.close().catch(() => undefined);
  }
}

/** Problems in what the collector counted in the range: drops, sequence problems, resyncs other than reconnects. */
function countedProblems(w: CountedWindow): Problem[] {
  const out: Problem[] = [];
  for (const c of w.counted) {
    if (c.daemon !== 'collector' || c.count <= 0) continue;
    const venue = c.scope === '*' ? 'collector' : c.scope;
    if (c.section === 'dropped')
      out.push({ kind: 'dropped', venue, count: c.count, detail: `${c.count} records dropped (publish buffer full, stage ${c.key}) in the range` });
    if (c.section === 'problems') out.push({ kind: 'sequence', venue, count: c.count, detail: `${c.count} ${c.key} problems counted in the range` });
    if (c.section === 'resyncs' && c.key !== 'reconnect')
      out.push({ kind: 'resync', venue, count: c.count, detail: `${c.count} book resyncs (${c.key}) in the range` });
  }
  return out;
}

export async function integrityReport(range: Range, opts: { configDir?: string; bucketS: number; maxRecords?: number }): Promise<IntegrityReport> {
  const { fileOf, loaded, errors } = hostModules(opts.configDir);
  const storage = loaded.get('storage');
  if (storage?.module !== 'storage')
    throw new Error(`integrity needs the hot storage config (${fileOf('storage')}): ${errors.map((e) => e.error).join('; ') || 'not found'}`);
  const db = databaseOf(storage.config);
  const q = openStorageQuery(fileOf('storage'), storage.config);
  try {
    const ask = <T>(sql: string) => q.query<T>(sql);
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
    const broker = loaded.get('broker');
    try {
      const acked = await ackedWindow(range, storage.config, q, {
        streams: broker?.module === 'broker' ? broker.config.streams : undefined,
        maxRecords: opts.maxRecords ?? DEFAULT_MAX_RECORDS,
      });
      report.acknowledged = acked;
      for (const t of acked.tables) {
        if (t.missing > 0) {
          const e = t.examples[0]!;
          report.problems.push({
            kind: 'missing',
            table: `${db}.${t.table}`,
            venue: t.venue,
            count: t.missing,
            detail:
              `${t.missing} of ${t.acknowledged} records JetStream acknowledged are neither stored nor dead-lettered` +
              `${t.missing_unconsumed ? ` (${t.missing_unconsumed} not yet consumed by storage)` : ''}, e.g. ${e.subject} seq ${e.seq} key ${e.key}`,
          });
        }
        if (t.dead_lettered > 0)
          report.problems.push({
            kind: 'dead_letter',
            table: `${db}.${t.table}`,
            venue: t.venue,
            count: t.dead_lettered,
            detail: `${t.dead_lettered} of ${t.acknowledged} records JetStream acknowledged were dead-lettered (${acked.dead_letter_stream.name}), not stored`,
          });
      }
    } catch (err) {
      errors.push({ module: 'storage', error: `cannot read what JetStream acknowledged (${storage.config.nats.stream}): ${(err as Error).message}` });
    }
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
    try {
      report.counted = await countedWindow(range, storage.config, broker?.module === 'broker' ? broker.config.streams : undefined);
      report.problems.push(...countedProblems(report.counted));
    } catch (err) {
      report.counted_error = `cannot read what the daemons counted in the range: ${(err as Error).message}; the collector's counters since it started stand in`;
    }
    const collector = loaded.get('collector');
    // Since-start counters of the collector only when its per-range counts could not be read.
    if (collector?.module === 'collector' && !report.counted) {
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
      // Dead letters of the range are counted above; the counter since start stands in only when the stream could not be read.
      if (c.metric === 'marketprism_storage_messages_total' && c.labels.outcome === 'dead_letter' && !report.acknowledged)
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
  } finally {
    await q.close();
  }
}

export function formatIntegrity(r: IntegrityReport): string {
  const out = [`marketprism integrity  ${r.from} .. ${r.to}  (${r.database})`];
  if (r.acknowledged) out.push('', ...formatAcked(r.acknowledged));
  out.push('', 'rows stored (de-duplicated, by record timestamp)');
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
  if (r.counted) out.push('', ...formatCounted(r.counted));
  if (r.counted_error) out.push('', r.counted_error);
  if (r.counters.length) {
    out.push('', 'counted since the daemons started (/metrics; not per range)');
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

function formatCounted(w: CountedWindow): string[] {
  const out = [`counted in the range (${w.stream}: ${w.messages} whole intervals from ${w.sources.join(', ') || 'no daemon'})`];
  for (const e of w.edges) out.push(`  partly covered: ${e}`);
  if (w.unreadable) out.push(`  ${w.unreadable} messages not readable as counts (skipped)`);
  if (!w.counted.length) out.push('  none');
  for (const c of w.counted) out.push(`  ${c.daemon}  ${c.scope}  ${c.section}  ${c.key}  ${c.count}`);
  return out;
}

function formatAcked(a: AckedWindow): string[] {
  const seqs = a.first_seq === undefined ? 'no message' : `sequences ${a.first_seq}..${a.last_seq}, ${a.messages} messages, ${a.records} records`;
  const out = [`acknowledged by JetStream (${a.stream}, by publish time ${a.covered_from} .. ${a.covered_to}; ${seqs})`];
  for (const p of a.partial) out.push(`  partly covered: ${p}`);
  if (!a.tables.length) out.push('  none');
  const rows = [
    ['table', 'venue', 'acknowledged', 'stored', 'dead-lettered', 'missing'],
    ...a.tables.map((t) => [t.table, t.venue, String(t.acknowledged), String(t.stored), String(t.dead_lettered), String(t.missing)]),
  ];
  if (a.tables.length) {
    const w = rows[0]!.map((_c, i) => Math.max(...rows.map((x) => x[i]!.length)));
    for (const x of rows) out.push(`  ${x.map((c, i) => (i < 2 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join('  ')}`);
  }
  for (const t of a.tables.filter((x) => x.missing > 0)) {
    const unconsumed = t.missing_unconsumed ? ` (${t.missing_unconsumed} not yet consumed by storage)` : '';
    out.push(`  missing ${t.table} ${t.venue}: ${t.missing}${unconsumed}${t.missing > t.examples.length ? `, the first ${t.examples.length}` : ''}:`);
    for (const e of t.examples) out.push(`    seq ${e.seq}  ${e.subject}  ${e.key}`);
  }
  return out;
}

/** `marketprism integrity ...`: exit 1 when a problem (or an error reaching a daemon) was found. */
export async function integrity(
  args: string[],
  opts: { since?: string; from?: string; to?: string; bucket?: string; maxRecords?: string; configDir?: string; json: boolean },
): Promise<number> {
  if (args.length > 0) throw new Error(`integrity: unexpected ${args.join(' ')}`);
  const range = parseRange(opts);
  const maxRecords = opts.maxRecords === undefined ? DEFAULT_MAX_RECORDS : Number(opts.maxRecords);
  if (!/^\d+$/.test(opts.maxRecords ?? '1') || !Number.isSafeInteger(maxRecords) || maxRecords < 1)
    throw new Error(`--max-records: expected a whole number of records, at least 1, got ${JSON.stringify(opts.maxRecords)}`);
  const bucketMs = parseDurationMs(opts.bucket ?? '1m');
  if (bucketMs === undefined || bucketMs < 1000 || bucketMs % 1000 !== 0)
    throw new Error(`--bucket: expected whole seconds like 1m, 30s, 5m, got ${JSON.stringify(opts.bucket)}`);
  const r = await integrityReport(range, { configDir: opts.configDir, bucketS: bucketMs / 1000, maxRecords });
  process.stdout.write(opts.json ? JSON.stringify(r, null, 2) + '\n' : formatIntegrity(r));
  return r.problems.length || r.errors.length ? 1 : 0;
}
