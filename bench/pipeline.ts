/**
 * The durable pipeline, per engine: publisher (multi-record messages, the collector's
 * defaults) → nats-server (JetStream, file storage, acked) → marketprism-storage's
 * consumers (the daemon's code, default batch config) → ClickHouse, rows visible. Engines:
 * embedded chDB, and the HTTP engine against chDB served over ClickHouse's HTTP interface
 * (src/testing/chdb-http.ts) by a process of its own, where a ClickHouse server would be.
 * The rest runs in this process. RSS is this process's (publisher worker, storage,
 * embedded chDB); CPU counts every process, nats-server and the HTTP server included.
 *
 * The publisher runs in a worker thread (bench/pipeline-publisher.ts), as the collector
 * is a process of its own; storage and the engine in this thread.
 *
 * Throughput: records offered as fast as storage keeps up (the publisher at most
 * MAX_BACKLOG records ahead of the rows stored, its own buffer at most 50k records),
 * rows counted in ClickHouse over a timed window after a warm-up.
 * Latency: 5,000 records/s offered in 5 ms ticks; each record's receipt time is its
 * `local_timestamp` and is kept per symbol in order; the table is polled every POLL_MS
 * for its row count per symbol, and a record is visible at the first poll whose count
 * passes it (one subject's records reach the table in order: one lane in the publisher,
 * stream order in JetStream, one consumer inserting whole messages in order). The error
 * is at most one poll interval, always late.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { procSample } from './procs.js';
import { waitFor } from '../src/testing/ports.js';
import { startBenchStorage, startBroker, type Storage } from './broker.js';
import { fmt, load1 } from './measure.js';
import { SYMBOLS, type Command, type Reply } from './pipeline-publisher.js';
import type { Bench, BenchResult } from './registry.js';

const POLL_MS = 20;
const LATENCY_RATE = 5000;
type Engine = 'embedded' | 'clickhouse';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** The publisher worker, with a request/reply over its port. */
class PublisherWorker {
  private readonly w: Worker;
  constructor(url: string) {
    this.w = new Worker(new URL('./pipeline-publisher.js', import.meta.url), { workerData: { url } });
  }
  ask<C extends Reply['cmd']>(c: Command & { cmd: C }): Promise<Extract<Reply, { cmd: C }>> {
    return new Promise((resolve, reject) => {
      const onMsg = (r: Reply) => {
        if (r.cmd !== c.cmd) return;
        this.w.off('message', onMsg);
        this.w.off('error', reject);
        resolve(r as Extract<Reply, { cmd: C }>);
      };
      this.w.on('message', onMsg);
      this.w.once('error', reject);
      this.w.postMessage(c);
    });
  }
  tell(c: Command): void {
    this.w.postMessage(c);
  }
  async close(): Promise<void> {
    await this.ask({ cmd: 'close' });
    await this.w.terminate();
  }
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

const countsBySymbol = async (storage: Storage) =>
  new Map(
    (await storage.query<{ symbol: string; n: string }>('SELECT symbol, count() AS n FROM marketprism_hot.trades GROUP BY symbol')).map((r) => [
      r.symbol,
      Number(r.n),
    ]),
  );

interface Throughput {
  records_per_s: number;
  acked_per_s: number;
  seconds: number;
  /** CPU time of this process (publisher worker, storage, embedded chDB), of nats-server and of the HTTP engine's server over the window, per record stored. */
  cpu_us_per_record: number;
  /** Cores those used over the window (2 on this machine, shared with other work). */
  cores_used: number;
}

/** The nats-server serving `port` (its command line names the port). */
function natsPid(port: number): number | undefined {
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const argv = readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0');
      if (argv[0]?.endsWith('nats-server') && argv.includes(String(port))) return Number(d);
    } catch {
      // gone meanwhile
    }
  }
  return undefined;
}

/** CPU seconds of this process and of the others the pipeline runs on (nats-server, the HTTP engine's server). */
const cpuSeconds = (pids: readonly (number | undefined)[]) => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6 + pids.reduce<number>((sum, pid) => sum + (pid ? procSample(pid).cpuSeconds : 0), 0);
};

/**
 * Sustained, not a burst: the publisher may run ahead of the rows stored by at most
 * this many records (acked in JetStream, not yet in the table), a few seconds of
 * storage's work, so storage never waits for input and nothing piles up. Without the
 * bound the publisher ran at 2-3 times the stored rate, filling the stream, and its
 * CPU on the same 2 cores was charged to the records stored.
 */
const MAX_BACKLOG = 150_000;
const CREDIT_MS = 50;

/** Records offered as fast as storage keeps up (MAX_BACKLOG); rows/s stored over `windowMs` after `warmupMs`. */
async function throughput(storage: Storage, pub: PublisherWorker, natsPort: number, warmupMs: number, windowMs: number): Promise<Throughput> {
  const pids = [natsPid(natsPort), storage.serverPid];
  const base = await storage.count('trades');
  pub.tell({ cmd: 'credit', upTo: MAX_BACKLOG });
  pub.tell({ cmd: 'throughput' });
  let crediting = true;
  const credits = (async () => {
    while (crediting) {
      pub.tell({ cmd: 'credit', upTo: (await storage.count('trades')) - base + MAX_BACKLOG });
      await sleep(CREDIT_MS);
    }
  })();
  await sleep(warmupMs);
  const n0 = await storage.count('trades');
  const a0 = (await pub.ask({ cmd: 'stats' })).published;
  const c0 = cpuSeconds(pids);
  const t0 = performance.now();
  await sleep(windowMs);
  const n1 = await storage.count('trades');
  const a1 = (await pub.ask({ cmd: 'stats' })).published;
  const ms = performance.now() - t0;
  const cpu = cpuSeconds(pids) - c0;
  crediting = false;
  await credits;
  pub.tell({ cmd: 'credit', upTo: Infinity });
  const { offered } = await pub.ask({ cmd: 'stop' });
  await waitFor('the throughput run stored', async () => (await storage.count('trades')) >= base + offered, 300_000, 200);
  return {
    records_per_s: Math.round((n1 - n0) / (ms / 1000)),
    acked_per_s: Math.round((a1 - a0) / (ms / 1000)),
    seconds: Math.round(ms / 100) / 10,
    cpu_us_per_record: Math.round((cpu * 1e6) / Math.max(1, n1 - n0)),
    cores_used: Math.round((cpu / (ms / 1000)) * 100) / 100,
  };
}

interface Latency {
  p50_ms: number;
  p99_ms: number;
  max_ms: number;
  samples: number;
  offered_per_s: number;
}

/** LATENCY_RATE records/s for `ms`; receipt → row visible, per record, after `warmupMs`. */
async function latency(storage: Storage, pub: PublisherWorker, warmupMs: number, ms: number): Promise<Latency> {
  const before = await countsBySymbol(storage);
  const polls: { at: number; counts: Map<string, number> }[] = [];
  let done: Extract<Reply, { cmd: 'latency' }> | undefined;
  void pub.ask({ cmd: 'latency', rate: LATENCY_RATE, warmupMs, ms }).then((r) => (done = r));
  const t0 = Date.now();
  for (;;) {
    const counts = await countsBySymbol(storage);
    polls.push({ at: Date.now(), counts });
    if (done && SYMBOLS.every((s) => (counts.get(s) ?? 0) - (before.get(s) ?? 0) >= done!.receipts[s]!.length)) break;
    if (Date.now() - t0 > warmupMs + ms + 60_000) throw new Error('pipeline latency: records not visible within 60 s');
    await sleep(POLL_MS);
  }
  // Record k of a symbol is visible at the first poll whose count (since the start) exceeds k.
  const lat: number[] = [];
  for (const s of SYMBOLS) {
    const rs = done!.receipts[s]!;
    let k = 0;
    for (const p of polls) {
      const n = (p.counts.get(s) ?? 0) - (before.get(s) ?? 0);
      for (; k < n && k < rs.length; k++) if (rs[k]! >= done!.warmupEnd) lat.push(p.at - rs[k]!);
    }
  }
  lat.sort((a, b) => a - b);
  return {
    p50_ms: percentile(lat, 50),
    p99_ms: percentile(lat, 99),
    max_ms: lat.at(-1) ?? NaN,
    samples: lat.length,
    offered_per_s: Math.round(done!.sent / ((warmupMs + ms) / 1000)),
  };
}

async function runEngine(engine: Engine, smoke: boolean): Promise<{ tp: Throughput; lat: Latency; rssMb: number }> {
  const broker = await startBroker();
  // MP_PIPELINE_BATCH="max_rows=20000,max_wait_ms=200": storage.yaml batch keys other than the defaults.
  const batch = process.env.MP_PIPELINE_BATCH
    ? Object.fromEntries(process.env.MP_PIPELINE_BATCH.split(',').map((kv) => [kv.split('=')[0]!, Number(kv.split('=')[1])]))
    : undefined;
  const storage = await startBenchStorage(broker, engine, batch);
  const pub = new PublisherWorker(broker.nats.url);
  let peakRss = 0;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 100);
  try {
    const lat = await latency(storage, pub, smoke ? 500 : 3000, smoke ? 1500 : 20_000);
    const tp = await throughput(storage, pub, broker.nats.port, smoke ? 1000 : 5000, smoke ? 2000 : 20_000);
    return { tp, lat, rssMb: Math.round(peakRss / 2 ** 20) };
  } finally {
    clearInterval(sampler);
    await pub.close();
    await storage.stop();
    await broker.close();
  }
}

export const pipelineBench: Bench = {
  name: 'pipeline',
  async run(smoke) {
    const out: BenchResult = { summary: '' };
    const parts: string[] = [];
    out.load1_before = load1();
    // MP_PIPELINE_ENGINES=embedded (or clickhouse): one engine, e.g. under --cpu-prof.
    const engines = (process.env.MP_PIPELINE_ENGINES?.split(',') ?? ['embedded', 'clickhouse']) as Engine[];
    for (const engine of engines) {
      const { tp, lat, rssMb } = await runEngine(engine, smoke);
      Object.assign(out, {
        [`${engine}_records_per_s`]: tp.records_per_s,
        [`${engine}_acked_per_s`]: tp.acked_per_s,
        [`${engine}_window_s`]: tp.seconds,
        [`${engine}_cpu_us_per_record`]: tp.cpu_us_per_record,
        [`${engine}_cores_used`]: tp.cores_used,
        [`${engine}_p50_ms`]: lat.p50_ms,
        [`${engine}_p99_ms`]: lat.p99_ms,
        [`${engine}_max_ms`]: lat.max_ms,
        [`${engine}_latency_samples`]: lat.samples,
        [`${engine}_latency_offered_per_s`]: lat.offered_per_s,
        [`${engine}_peak_rss_mb`]: rssMb,
      });
      parts.push(
        `${engine}: ${fmt(tp.records_per_s)} records/s stored (${fmt(tp.acked_per_s)}/s acked, ${tp.seconds} s window, ${tp.cores_used} cores, ${tp.cpu_us_per_record} µs CPU/record), ` +
          `at ${fmt(lat.offered_per_s)}/s offered p50 ${lat.p50_ms} ms p99 ${lat.p99_ms} ms (max ${lat.max_ms}, ${fmt(lat.samples)} records), peak RSS ${rssMb} MiB`,
      );
    }
    out.summary = `${parts.join('; ')}; load ${out.load1_before}`;
    return out;
  },
};
