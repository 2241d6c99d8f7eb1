/**
 * The live collector as deployed, on loopback: `marketprism-sim generate` (its own
 * process) → `marketprism-collector` (its own process, real WebSocket and REST) → the
 * broker's nats-server. Readings come from the collector's /metrics, /proc, the
 * simulator's /__sim/stats and the stream's state; a measurement is the difference
 * between two readings.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { freePort, waitFor } from '../src/testing/ports.js';
import { startBroker, startEmbeddedStorage, type Broker, type Storage } from './broker.js';
import { load1 } from './measure.js';
import { cpuPercent, procSample, spawnNode, type Daemon, type ProcSample } from './procs.js';
import { parseMetrics, quantile, type Metrics } from './prom.js';

export interface LiveOptions {
  /** Book pushes per second per instrument asked of the simulator (it slows down when the collector cannot keep up). */
  rate: number;
  symbols: string[];
  /** Levels per side in the simulated books. */
  levels: number;
  depth: number;
  publishIntervalMs: number;
  /** Collector venues (default binance_derivatives, okx_spot, okx_derivatives). */
  venues?: CollectorVenue[];
  /** Book updates per push (the simulator's --diff-updates); default the simulator's 1-3. */
  diffUpdates?: readonly [number, number];
  /** The collector's max_streams_per_connection for every venue (default the venue's): more, smaller connections. */
  maxStreamsPerConnection?: number;
  /** Longest wait for every book to be published once (default 60 s; hundreds of symbols take longer). */
  readyTimeoutMs?: number;
}

/** Collector venue key → the simulator venue serving it. */
const SIM_VENUE = { binance_derivatives: 'binance-usdm', okx_spot: 'okx', okx_derivatives: 'okx' } as const;
export type CollectorVenue = keyof typeof SIM_VENUE;
export const DEFAULT_VENUES: CollectorVenue[] = ['binance_derivatives', 'okx_spot', 'okx_derivatives'];

/** `n` symbols: BTC-USDT, ETH-USDT, then made-up bases (the simulator prices them from their names). */
export function symbolList(n: number): string[] {
  return Array.from({ length: n }, (_, i) => (i === 0 ? 'BTC-USDT' : i === 1 ? 'ETH-USDT' : `S${String(i).padStart(3, '0')}-USDT`));
}

export interface LiveRig {
  collector: Daemon;
  sim: Daemon;
  /** Collector venues configured (each a connection set of its own). */
  venues: string[];
  /** Simulator REST base URLs (one per simulator venue): /__sim/stats, /__sim/inject. */
  simUrls: string[];
  /** The collector's /metrics. */
  metricsUrl: string;
  /** Resolves once the collector is healthy and has published every book (again, after reconnects). */
  waitReady(timeoutMs: number): Promise<unknown>;
  read(storage?: Storage): Promise<Reading>;
  stop(): Promise<void>;
}

export interface Reading {
  at: number;
  metrics: Metrics;
  collector: ProcSample;
  sim: ProcSample;
  simFramesSent: number;
  streamMessages: number;
  /** nats-server's own CPU figure (/varz, percent of one core). */
  natsCpu: number;
  /** With storage: rows in the orderbooks and trades tables. */
  rows: number;
  /** RSS of this process (with storage: marketprism-storage and chDB). */
  selfRssMb: number;
}

const C = 'marketprism_collector_';

interface SimVenue {
  ws_url: string;
  rest_url: string;
}

interface Health {
  status: string;
  venues: { data_types: Record<string, { state: string }> }[];
}

export async function startLiveRig(broker: Broker, o: LiveOptions): Promise<LiveRig> {
  const venues = o.venues ?? DEFAULT_VENUES;
  const sim = await spawnNode('bin/marketprism-sim.js', [
    'generate',
    `--venue=${[...new Set(venues.map((v) => SIM_VENUE[v]))].join(',')}`,
    `--symbols=${o.symbols.join(',')}`,
    `--rate=${o.rate}`,
    `--levels=${o.levels}`,
    '--periodic-ms=1000',
    // The collector's REST pacing is not what is measured: hundreds of 1000-level snapshots fit in a minute.
    '--rest-weight-per-min=1000000',
    ...(o.diffUpdates ? [`--diff-updates=${o.diffUpdates[0]}-${o.diffUpdates[1]}`] : []),
  ]);
  const sims = JSON.parse(await sim.firstLine) as Record<string, SimVenue>;
  const [healthPort, metricsPort] = [await freePort(), await freePort()];
  const file = join(broker.dir, 'collector.yaml');
  writeFileSync(
    file,
    [
      `nats: { servers: ["${broker.nats.url}"] }`,
      `health: { host: 127.0.0.1, port: ${healthPort} }`,
      `metrics: { host: 127.0.0.1, port: ${metricsPort} }`,
      `orderbook: { depth: ${o.depth}, publish_interval_ms: ${o.publishIntervalMs} }`,
      'venues:',
      ...venues.flatMap((v) => [
        `  ${v}:`,
        `    symbols: [${o.symbols.join(', ')}]`,
        '    data_types: [orderbook, trade]',
        `    ws_url: ${sims[v]!.ws_url}`,
        `    rest_url: ${sims[v]!.rest_url}`,
        // As the simulator's: start-up under the venues' real budgets (Binance USDⓈ-M 1200/min, 20 per
        // 1000-level snapshot: 60 books a minute) would measure the pacing, not the collector.
        '    rest_weight_per_minute: 100000',
        ...(o.maxStreamsPerConnection ? [`    max_streams_per_connection: ${o.maxStreamsPerConnection}`] : []),
      ]),
      'log_level: warn',
      '',
    ].join('\n'),
  );
  // MARKETPRISM_BENCH_PROFILE=FILE: the collector logs V8 ticks there (`node --prof-process FILE`);
  // MARKETPRISM_BENCH_CPU_PROF=DIR: it writes a .cpuprofile there at exit (`node build/bench/profile-summary.js FILE`).
  const prof = process.env.MARKETPRISM_BENCH_PROFILE;
  const cpuProf = process.env.MARKETPRISM_BENCH_CPU_PROF;
  const collector = await spawnNode('bin/marketprism-collector.js', ['--config', file], {
    nodeArgs: [...(prof ? ['--prof', `--logfile=${prof}`, '--no-logfile-per-isolate'] : []), ...(cpuProf ? ['--cpu-prof', `--cpu-prof-dir=${cpuProf}`] : [])],
  });
  const stop = async () => {
    await collector.stop();
    await sim.stop();
  };
  const books = venues.length * o.symbols.length;
  const metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
  const waitReady = (timeoutMs: number) =>
    waitFor(
      `a book from every collector venue and all ${books} books published`,
      async () => {
        const body = (await (await fetch(`http://127.0.0.1:${healthPort}/health`)).json()) as Health;
        if (body.status !== 'healthy' || !body.venues.every((v) => v.data_types.orderbook?.state === 'fresh')) return false;
        // One depth gauge series per book side once that book has been published.
        const m = parseMetrics(await (await fetch(metricsUrl)).text());
        return m.count(`${C}book_depth_levels`) >= 2 * books;
      },
      timeoutMs,
      250,
    );
  try {
    await waitReady(o.readyTimeoutMs ?? 60_000);
  } catch (err) {
    await stop();
    throw new Error(`${(err as Error).message}\ncollector: ${collector.stderr()}${collector.stdoutTail()}\nsim: ${sim.stderr()}`);
  }
  const simUrls = [...new Set(Object.values(sims).map((s) => s.rest_url))];
  const jsm = await jetstreamManager(broker.nc);
  return {
    collector,
    sim,
    venues,
    simUrls,
    metricsUrl,
    waitReady,
    stop,
    async read(storage) {
      const text = await (await fetch(metricsUrl)).text();
      const sent = await Promise.all(simUrls.map(async (u) => ((await (await fetch(`${u}/__sim/stats`)).json()) as { framesSent: number }).framesSent));
      return {
        at: performance.now(),
        metrics: parseMetrics(text),
        collector: procSample(collector.pid),
        sim: procSample(sim.pid),
        simFramesSent: sent.reduce((a, b) => a + b, 0),
        streamMessages: (await jsm.streams.info('MARKET_DATA')).state.messages,
        natsCpu: ((await (await fetch(`http://127.0.0.1:${broker.nats.monitorPort}/varz`)).json()) as { cpu: number }).cpu,
        rows: storage ? (await storage.count('orderbooks')) + (await storage.count('trades')) : 0,
        selfRssMb: Math.round(process.memoryUsage().rss / 2 ** 20),
      };
    },
  };
}

/** What happened between two readings, per second where it is a rate. */
export function between(a: Reading, b: Reading) {
  const ms = b.at - a.at;
  const rate = (f: (r: Reading) => number) => Math.round((f(b) - f(a)) / (ms / 1000));
  const lat = (q: number) =>
    Math.round(quantile(q, a.metrics.buckets(`${C}publish_duration_seconds`), b.metrics.buckets(`${C}publish_duration_seconds`)) * 10_000) / 10;
  return {
    seconds: Math.round(ms / 100) / 10,
    frames_sent_per_second: rate((r) => r.simFramesSent),
    messages_in_per_second: rate((r) => r.metrics.sum(`${C}messages_in_total`, 'source="ws"')),
    records_out_per_second: rate((r) => r.metrics.sum(`${C}records_out_total`)),
    orderbook_records_per_second: rate((r) => r.metrics.sum(`${C}records_out_total`, 'data_type="orderbook"')),
    published_acked_per_second: rate((r) => r.metrics.sum(`${C}records_published_total`)),
    stream_messages_per_second: rate((r) => r.streamMessages),
    publish_latency_p50_ms: lat(0.5),
    publish_latency_p99_ms: lat(0.99),
    dropped: b.metrics.sum(`${C}dropped_records_total`) - a.metrics.sum(`${C}dropped_records_total`),
    problems: b.metrics.sum(`${C}problems_total`) - a.metrics.sum(`${C}problems_total`),
    resyncs: b.metrics.sum(`${C}book_resyncs_total`) - a.metrics.sum(`${C}book_resyncs_total`),
    reconnects: b.metrics.sum(`${C}reconnects_total`) - a.metrics.sum(`${C}reconnects_total`),
    invalid: b.metrics.sum(`${C}invalid_records_total`) - a.metrics.sum(`${C}invalid_records_total`),
    collector_cpu_seconds: Math.round((b.collector.cpuSeconds - a.collector.cpuSeconds) * 100) / 100,
    /** Frames received per CPU-second of the collector process (user + system, all its threads). */
    frames_per_cpu_s: Math.round(
      (b.metrics.sum(`${C}messages_in_total`, 'source="ws"') - a.metrics.sum(`${C}messages_in_total`, 'source="ws"')) /
        Math.max(0.01, b.collector.cpuSeconds - a.collector.cpuSeconds),
    ),
    pending_acks_end: b.metrics.sum(`${C}pending_acks`),
    publish_buffer_end: b.metrics.sum(`${C}publish_buffer_records`),
    eventloop_lag_p99_ms: Math.round(b.metrics.sum('marketprism_nodejs_eventloop_lag_p99_seconds') * 10_000) / 10,
    collector_cpu_percent: cpuPercent(a.collector, b.collector, ms),
    collector_rss_mb: b.collector.rssMb,
    collector_peak_rss_mb: b.collector.peakRssMb,
    sim_cpu_percent: cpuPercent(a.sim, b.sim, ms),
    nats_cpu_percent: Math.round(b.natsCpu),
    stored_rows_per_second: rate((r) => r.rows),
    // Records, not stream messages: a message carries several records since multi-record publishing.
    storage_behind_end: b.rows ? b.metrics.sum(`${C}records_published_total`) - b.rows : 0,
    storage_process_rss_mb: b.rows ? b.selfRssMb : 0,
  };
}

/**
 * Broker, simulator and collector (and, with `storage`, marketprism-storage on embedded
 * chDB in this process); readings `warmupMs` after the collector has books from every
 * venue and `windowMs` later.
 */
export async function measureLive(opts: LiveOptions, timing: { warmupMs: number; windowMs: number }, withStorage = false) {
  const loadBefore = load1();
  const broker = await startBroker();
  let storage: Storage | undefined;
  let rig: LiveRig | undefined;
  try {
    storage = withStorage ? await startEmbeddedStorage(broker) : undefined;
    rig = await startLiveRig(broker, opts);
    await new Promise((r) => setTimeout(r, timing.warmupMs));
    const a = await rig.read(storage);
    await new Promise((r) => setTimeout(r, timing.windowMs));
    const b = await rig.read(storage);
    return { ...between(a, b), load1_before: loadBefore, load1_end: load1() };
  } finally {
    await rig?.stop();
    await storage?.stop();
    await broker.close();
  }
}
