/**
 * How the live collector's cost grows with the number of symbols: one collector, the
 * simulator generating N Binance USDⓈ-M perpetuals (N = 1, 10, 50, 200, 500; the
 * collector config lists them), 400-level books, publish_interval 100 ms, diffs of
 * 20-40 updates. The offered load is the same in total, TOTAL_PUSHES book pushes/s
 * spread over the N books (at most MAX_RATE per book, so 1 symbol gets MAX_RATE): what
 * grows with N is the per-symbol state and the book records (each book at most 10/s).
 * Per count: frames/s in, frames per collector CPU-second, CPU, RSS and peak RSS
 * after warm-up, records acked, the no-drop/no-problem checks.
 *
 * A quick or full run writes the plot (docs/img/cost-growth.svg) and the table between
 * the cost-growth markers of docs/benchmarks.md from its own numbers; smoke writes the
 * plot to .cache/ only.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { startBroker } from './broker.js';
import { checks, flowed, REALISTIC_DIFF_UPDATES } from './collector-live.js';
import { between, startLiveRig, symbolList, type LiveOptions, type Reading } from './live-rig.js';
import { fmt, load1 } from './measure.js';
import { byMode, type BenchMode } from './mode.js';
import type { Bench, BenchResult } from './registry.js';
import { lineChart } from '../src/testing/svg-chart.js';

/** Book pushes/s over all books; MARKETPRISM_BENCH_TOTAL_PUSHES overrides (a whole venue's load: 12500 at 500 symbols). */
const TOTAL_PUSHES = Number(process.env.MARKETPRISM_BENCH_TOTAL_PUSHES ?? 600);
const MAX_RATE = 100;
/** A run with overridden counts or load is not the documented table: its outputs go to .cache/ only. */
const OVERRIDDEN = process.env.MARKETPRISM_BENCH_SYMBOLS !== undefined || process.env.MARKETPRISM_BENCH_TOTAL_PUSHES !== undefined;
export const COUNTS = [1, 10, 50, 200, 500];

const plan = (mode: BenchMode) =>
  byMode(mode, {
    smoke: { counts: [2], warmupMs: 500, windowMs: 2000 },
    quick: { counts: [1, 50, 200], warmupMs: 2000, windowMs: 6000 },
    full: { counts: COUNTS, warmupMs: 5000, windowMs: 20_000 },
  });

export const growthOptions = (n: number): LiveOptions => ({
  rate: Math.min(MAX_RATE, TOTAL_PUSHES / n),
  symbols: symbolList(n),
  levels: 400,
  depth: 400,
  publishIntervalMs: 100,
  venues: ['binance_derivatives'],
  diffUpdates: REALISTIC_DIFF_UPDATES,
  readyTimeoutMs: 180_000,
});

interface Row {
  symbols: number;
  rate: number;
  startS: number;
  r: ReturnType<typeof between> & { checks: string; load1_before: number };
}

export const costGrowthBench: Bench = {
  name: 'cost-growth',
  async run(_smoke, mode = 'full') {
    const p = plan(mode);
    const rows: Row[] = [];
    // MARKETPRISM_BENCH_SYMBOLS=50,500 overrides the counts (a profile of one, say).
    const env = process.env.MARKETPRISM_BENCH_SYMBOLS;
    for (const n of env ? env.split(',').map(Number) : p.counts) {
      const loadBefore = load1();
      const opts = growthOptions(n);
      const broker = await startBroker();
      const t0 = performance.now();
      const rig = await startLiveRig(broker, opts).catch(async (err: unknown) => {
        await broker.close();
        throw err;
      });
      try {
        const startS = Math.round((performance.now() - t0) / 100) / 10;
        await new Promise((r) => setTimeout(r, p.warmupMs));
        const a: Reading = await rig.read();
        await new Promise((r) => setTimeout(r, p.windowMs));
        const b: Reading = await rig.read();
        const r = between(a, b);
        flowed('cost-growth', r);
        const row = { symbols: n, rate: opts.rate, startS, r: { ...r, checks: checks(r), load1_before: loadBefore } };
        if (mode === 'smoke' && row.r.checks !== 'ok') throw new Error(`cost-growth: ${n} symbols: ${row.r.checks}`);
        rows.push(row);
        process.stderr.write(`  ${n} symbols: ${fmt(r.frames_per_cpu_s)} frames/CPU-s, RSS ${r.collector_rss_mb} MiB, ${row.r.checks}\n`);
      } finally {
        await rig.stop();
        await broker.close();
      }
    }
    const out: BenchResult = { summary: '', total_pushes_per_s: TOTAL_PUSHES, max_rate_per_book: MAX_RATE };
    for (const { symbols: n, rate, startS, r } of rows) {
      Object.assign(out, {
        [`s${n}_rate_per_book`]: rate,
        [`s${n}_start_s`]: startS,
        [`s${n}_frames_in_per_s`]: r.messages_in_per_second,
        [`s${n}_frames_sent_per_s`]: r.frames_sent_per_second,
        [`s${n}_frames_per_cpu_s`]: r.frames_per_cpu_s,
        [`s${n}_cpu_percent`]: r.collector_cpu_percent,
        [`s${n}_rss_mb`]: r.collector_rss_mb,
        [`s${n}_peak_rss_mb`]: r.collector_peak_rss_mb,
        [`s${n}_records_acked_per_s`]: r.published_acked_per_second,
        [`s${n}_books_per_s`]: r.orderbook_records_per_second,
        [`s${n}_publish_latency_p99_ms`]: r.publish_latency_p99_ms,
        [`s${n}_eventloop_lag_p99_ms`]: r.eventloop_lag_p99_ms,
        [`s${n}_sim_cpu_percent`]: r.sim_cpu_percent,
        [`s${n}_checks`]: r.checks,
        [`s${n}_load1_before`]: r.load1_before,
      });
    }
    const failed = rows.filter((x) => x.r.checks !== 'ok');
    out.checks = failed.length ? failed.map((x) => `${x.symbols}: ${x.r.checks}`).join('; ') : 'ok';
    writeOutputs(out, mode, new Date(), mode !== 'smoke' && !OVERRIDDEN);
    out.summary = rows
      .map(
        ({ symbols: n, r }) =>
          `${n} sym: ${fmt(r.frames_per_cpu_s)} frames/CPU-s, ${fmt(r.messages_in_per_second)} in/s, CPU ${r.collector_cpu_percent}%, RSS ${r.collector_rss_mb} MiB`,
      )
      .join('; ');
    out.summary += `; checks ${out.checks}`;
    return out;
  },
};

const DOC = 'docs/benchmarks.md';
const BEGIN = '<!-- cost-growth-table:begin (written by the cost-growth bench) -->';
const END = '<!-- cost-growth-table:end -->';

/** One row of the table and plot, from the bench's flat figures (`s<N>_<metric>`). */
function rowsOf(res: BenchResult) {
  const counts = [...new Set(Object.keys(res).flatMap((k) => /^s(\d+)_frames_per_cpu_s$/.exec(k)?.[1] ?? []))].map(Number).sort((a, b) => a - b);
  const f = (n: number, m: string) => res[`s${n}_${m}`]!;
  return counts.map((n) => ({
    symbols: n,
    rate: Number(f(n, 'rate_per_book')),
    framesIn: Number(f(n, 'frames_in_per_s')),
    framesPerCpuS: Number(f(n, 'frames_per_cpu_s')),
    cpu: f(n, 'cpu_percent'),
    rss: Number(f(n, 'rss_mb')),
    peakRss: f(n, 'peak_rss_mb'),
    acked: Number(f(n, 'records_acked_per_s')),
    books: Number(f(n, 'books_per_s')),
    p99: f(n, 'publish_latency_p99_ms'),
    lag: f(n, 'eventloop_lag_p99_ms'),
    checks: f(n, 'checks'),
    load: f(n, 'load1_before'),
    startS: f(n, 'start_s'),
  }));
}

/**
 * The plot and, `toDocs` (quick and full runs of the documented counts and load), the table
 * in docs/benchmarks.md, from the bench's figures; otherwise the plot goes to .cache/ only
 * (also re-drawn from a saved result: `node build/bench/cost-growth-plot.js FILE`).
 */
export function writeOutputs(res: BenchResult, mode: BenchMode, at = new Date(), toDocs = mode !== 'smoke'): void {
  const rows = rowsOf(res);
  const when = at.toISOString().slice(0, 16).replace('T', ' ');
  const machine = `${cpus().length} × ${cpus()[0]?.model.trim() ?? 'CPU'}`;
  const note = `${when} UTC, ${mode} run, ${machine} (shared), load ${rows.map((r) => r.load).join('/')}; ${String(res.total_pushes_per_s ?? TOTAL_PUSHES)} pushes/s in total`;
  const svg = lineChart({
    title: 'Live collector: cost growth with symbols (Binance USD-M perpetuals, 400-level books, publish every 100 ms)',
    xLabel: 'symbols on one collector (log scale)',
    logX: rows.length > 1,
    note,
    panels: [
      {
        title: 'frames per collector CPU-second',
        yLabel: 'frames / CPU-s',
        points: rows.map((r) => [r.symbols, r.framesPerCpuS]),
        marks: [{ y: 30_000, label: 'target 30,000' }],
      },
      { title: 'frames in per second', yLabel: 'frames / s', points: rows.map((r) => [r.symbols, r.framesIn]) },
      {
        title: 'collector RSS (MiB)',
        yLabel: 'MiB',
        points: rows.map((r) => [r.symbols, r.rss]),
        marks: [
          { y: 200, label: '< 200 at 50' },
          { y: 500, label: '< 500 at 500' },
        ],
      },
    ],
  });
  if (!toDocs) {
    mkdirSync('.cache', { recursive: true });
    writeFileSync('.cache/cost-growth.svg', svg);
    return;
  }
  mkdirSync('docs/img', { recursive: true });
  writeFileSync('docs/img/cost-growth.svg', svg);
  if (!existsSync(DOC)) return;
  const doc = readFileSync(DOC, 'utf8');
  const i = doc.indexOf(BEGIN);
  const j = doc.indexOf(END);
  if (i < 0 || j < i) {
    process.stderr.write(`cost-growth: no ${BEGIN} … ${END} in ${DOC}; table not written\n`);
    return;
  }
  const table = [
    BEGIN,
    '',
    `${note}.`,
    '',
    '| symbols | pushes/s per book | frames/s in | frames per CPU-second | collector CPU | RSS (peak) MiB | records/s acked (books) | publish p99 | event-loop lag p99 | checks | start-up |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...rows.map(
      (r) =>
        `| ${r.symbols} | ${Math.round(r.rate * 10) / 10} | ${fmt(r.framesIn)} | ${fmt(r.framesPerCpuS)} | ${r.cpu} % | ${r.rss} (${r.peakRss}) | ` +
        `${fmt(r.acked)} (${fmt(r.books)}) | ${r.p99} ms | ${r.lag} ms | ${r.checks} | ${r.startS} s |`,
    ),
    '',
    END,
  ].join('\n');
  writeFileSync(DOC, doc.slice(0, i) + table + doc.slice(j + END.length));
}
