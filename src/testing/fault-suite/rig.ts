/**
 * The whole path on free loopback ports in one temporary directory, as deployed:
 * marketprism-sim (generated market) → marketprism-collector → a TCP proxy the driver
 * can cut → marketprism-broker (real nats-server, JetStream) → marketprism-storage (hot
 * tier, `clickhouse` engine) → a second TCP proxy → chdb-http (in this process), so the
 * engine can refuse connections or hang, and come back with its data. Every daemon is its own process, so it can be
 * killed with SIGKILL, stopped with SIGSTOP, and started again as systemd would.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { parse, stringify } from 'yaml';
import { ensureCredentials } from '../../cli/credentials.js';
import { startChdbHttp, type ChdbHttpServer } from '../chdb-http.js';
import { natsServerBinary } from '../nats-server.js';
import { freePort, waitFor } from '../ports.js';
import { metricSum, pidAlive, ROOT, spawnProc, type Proc } from './procs.js';
import { startTcpProxy, type TcpProxy } from './proxy.js';

export interface RigOptions {
  /** Collector records held while the broker is unreachable (drops counted beyond). */
  bufferMaxRecords: number;
  say(msg: string): void;
}

/** Collector counters of one process lifetime (they start at 0 with each process). */
export interface CollectorCounts {
  out: number;
  published: number;
  dropped: number;
  invalid: number;
  problems: number;
  buffered: number;
  pendingAcks: number;
}

const ZERO: CollectorCounts = { out: 0, published: 0, dropped: 0, invalid: 0, problems: 0, buffered: 0, pendingAcks: 0 };
const C = 'marketprism_collector_';

export class Rig {
  dir = mkdtempSync(join(tmpdir(), 'mp-faults-'));
  chdb!: ChdbHttpServer;
  proxy!: TcpProxy;
  /** In front of chdb-http: storage's engine URL. */
  engineProxy!: TcpProxy;
  nc!: NatsConnection;
  js!: JetStreamClient;
  jsm!: JetStreamManager;
  broker!: Proc;
  storage!: Proc;
  collector!: Proc;
  sim!: Proc;
  ports!: Record<'nats' | 'monitor' | 'proxy' | 'engine' | 'storage' | 'health' | 'metrics', number>;
  /** Counters of collector processes that ended (summed), and of the current one (last reading). */
  collectorDone: CollectorCounts = { ...ZERO };
  collectorNow: CollectorCounts = { ...ZERO };
  /** Called by the engine after an insert is stored and before it is answered (a crash there tests the de-duplication). */
  afterInsert: ((table: string) => void) | undefined;
  /** nats-server processes found alive after their broker was killed. */
  orphans: number[] = [];
  private brokerStarts = 0;

  constructor(private readonly o: RigOptions) {}

  /** What storage uses, for the driver's own statements. */
  get engineCredentials(): { username: string; password: string } {
    return { username: 'marketprism', password: readFileSync(join(this.dir, 'clickhouse.password'), 'utf8').trim() };
  }

  get natsUrl(): string {
    return `nats://127.0.0.1:${this.ports.nats}`;
  }

  async start(): Promise<void> {
    const p = async () => freePort();
    this.ports = { nats: await p(), monitor: await p(), proxy: await p(), engine: await p(), storage: await p(), health: await p(), metrics: await p() };
    // Secure as shipped: NATS users per role and a ClickHouse password, all from files.
    ensureCredentials(join(this.dir, 'nats'));
    writeFileSync(join(this.dir, 'clickhouse.password'), `${randomBytes(18).toString('base64url')}\n`, { mode: 0o640 });
    this.chdb = await startChdbHttp({
      path: join(this.dir, 'chdb'),
      afterInsert: (table) => this.afterInsert?.(table),
      credentials: this.engineCredentials,
    });
    this.engineProxy = await startTcpProxy(this.ports.engine, this.chdb.port);
    this.writeBrokerConfig();
    await this.startBroker();
    this.proxy = await startTcpProxy(this.ports.proxy, this.ports.nats);
    this.nc = await connect({
      servers: [this.natsUrl],
      name: 'fault-suite',
      user: 'admin',
      pass: readFileSync(join(this.dir, 'nats/admin.password'), 'utf8').trim(),
      maxReconnectAttempts: -1,
      reconnectTimeWait: 250,
      timeout: 5000,
    });
    this.js = jetstream(this.nc);
    this.jsm = await jetstreamManager(this.nc);
    this.writeStorageConfig();
    await this.startStorage();
    await this.startSim();
    await this.startCollector();
    await waitFor('the collector publishing acked records', async () => (await this.readCollector())?.published, 60_000, 500);
  }

  private writeBrokerConfig(): void {
    // The shipped streams, with store limits that fit a test machine.
    const streams = parse(readFileSync(join(ROOT, 'config/streams.yaml'), 'utf8')) as { streams: Record<string, unknown>[] };
    for (const s of streams.streams) s.max_bytes = s.name === 'MARKET_DATA' ? '2GB' : '256MB';
    writeFileSync(join(this.dir, 'streams.yaml'), stringify(streams));
    writeFileSync(
      join(this.dir, 'broker.yaml'),
      [
        'nats_server:',
        `  binary: ${natsServerBinary()}`,
        '  host: 127.0.0.1',
        `  port: ${this.ports.nats}`,
        `  monitor_port: ${this.ports.monitor}`,
        `  store_dir: ${join(this.dir, 'jetstream')}`,
        '  max_file_store: 4GB',
        '  restart_backoff_ms: { initial: 200, max: 2000 }',
        '  auth:',
        ...['admin', 'collector', 'storage'].map((role) => `    ${role}_password_file: nats/${role}.password`),
        'streams_file: streams.yaml',
        'log_level: info',
        '',
      ].join('\n'),
    );
  }

  async startBroker(): Promise<void> {
    const n = ++this.brokerStarts;
    this.broker = spawnProc('broker', 'bin/marketprism-broker.js', ['--config', join(this.dir, 'broker.yaml')], join(this.dir, `broker.${n}.log`));
    const b = this.broker;
    await waitFor(
      'the broker ready (streams reconciled)',
      () => {
        if (!b.alive()) throw new Error(`broker exited: ${b.log().slice(-2000)}`);
        return b.log().includes('"msg":"streams reconciled"');
      },
      60_000,
      200,
    );
  }

  /** PID of the nats-server the current broker runs now (its last "nats-server started"). */
  natsPid(): number | undefined {
    const pids = [...this.broker.log().matchAll(/"pid":(\d+),"binary"[^\n]*"msg":"nats-server started"/g)];
    return pids.length ? Number(pids.at(-1)![1]) : undefined;
  }

  natsStarts(): number {
    return [...this.broker.log().matchAll(/"msg":"nats-server started"/g)].length;
  }

  private writeStorageConfig(): void {
    writeFileSync(
      join(this.dir, 'storage.yaml'),
      [
        'tier: hot',
        'nats:',
        `  servers: ["${this.natsUrl}"]`,
        '  password_file: nats/storage.password',
        'clickhouse:',
        '  engine: clickhouse',
        `  url: http://127.0.0.1:${this.ports.engine}`,
        '  username: marketprism',
        '  password_file: clickhouse.password',
        '  request_timeout_ms: 3000',
        'batch:',
        '  max_rows: 1000',
        '  max_wait_ms: 300',
        '  ack_wait_ms: 20000',
        'health:',
        '  host: 127.0.0.1',
        `  port: ${this.ports.storage}`,
        'log_level: info',
        '',
      ].join('\n'),
    );
  }

  private storageStarts = 0;
  async startStorage(): Promise<void> {
    const n = ++this.storageStarts;
    this.storage = spawnProc('storage', 'bin/marketprism-storage.js', ['--config', join(this.dir, 'storage.yaml')], join(this.dir, `storage.${n}.log`));
    await this.storageHealthy(90_000);
  }

  async storageHealthy(ms: number): Promise<void> {
    const s = this.storage;
    await waitFor(
      'storage /health 200',
      async () => {
        if (!s.alive()) throw new Error(`storage exited: ${s.log().slice(-2000)}`);
        return (await fetch(`http://127.0.0.1:${this.ports.storage}/health`, { signal: AbortSignal.timeout(2000) })).status === 200;
      },
      ms,
      250,
    );
  }

  private simVenues: Record<string, { ws_url: string; rest_url: string }> = {};
  private async startSim(): Promise<void> {
    this.sim = spawnProc(
      'sim',
      'bin/marketprism-sim.js',
      ['generate', '--venue=binance-usdm,okx', '--symbols=BTC-USDT,ETH-USDT', '--rate=4', '--levels=30', '--periodic-ms=1000', '--seed=7'],
      join(this.dir, 'sim.log'),
    );
    const line = await waitFor(
      'the simulator listening',
      () => {
        if (!this.sim.alive()) throw new Error(`simulator exited: ${this.sim.log().slice(-2000)}`);
        return this.sim
          .log()
          .split('\n')
          .find((l) => l.startsWith('{') && l.includes('"ws_url"') && !l.includes('"level"'));
      },
      30_000,
    );
    this.simVenues = JSON.parse(line) as typeof this.simVenues;
  }

  private collectorStarts = 0;
  async startCollector(): Promise<void> {
    const types: Record<string, string> = {
      binance_derivatives: 'orderbook, trade, funding_rate, open_interest, liquidation, lsr_top_position, lsr_all_account',
      okx_spot: 'orderbook, trade',
      okx_derivatives: 'orderbook, trade, funding_rate, open_interest',
    };
    const file = join(this.dir, 'collector.yaml');
    writeFileSync(
      file,
      [
        `nats: { servers: ["nats://127.0.0.1:${this.ports.proxy}"], password_file: nats/collector.password, buffer_max_records: ${this.o.bufferMaxRecords}, max_pending_acks: 500 }`,
        `health: { host: 127.0.0.1, port: ${this.ports.health} }`,
        `metrics: { host: 127.0.0.1, port: ${this.ports.metrics} }`,
        'orderbook: { depth: 20, publish_interval_ms: 250 }',
        'venues:',
        ...Object.entries(types).flatMap(([v, t]) => [
          `  ${v}:`,
          '    symbols: [BTC-USDT, ETH-USDT]',
          `    data_types: [${t}]`,
          `    ws_url: ${this.simVenues[v]!.ws_url}`,
          `    rest_url: ${this.simVenues[v]!.rest_url}`,
        ]),
        'log_level: info',
        '',
      ].join('\n'),
    );
    const n = ++this.collectorStarts;
    this.collectorNow = { ...ZERO };
    this.collector = spawnProc('collector', 'bin/marketprism-collector.js', ['--config', file], join(this.dir, `collector.${n}.log`));
    const c = this.collector;
    await waitFor(
      'the collector /metrics',
      async () => {
        if (!c.alive()) throw new Error(`collector exited: ${c.log().slice(-2000)}`);
        return (await this.readCollector()) !== undefined;
      },
      60_000,
      250,
    );
  }

  /** Reads the current collector's counters (kept as its lifetime's last reading); undefined when it does not answer. */
  async readCollector(): Promise<CollectorCounts | undefined> {
    try {
      const text = await (await fetch(`http://127.0.0.1:${this.ports.metrics}/metrics`, { signal: AbortSignal.timeout(2000) })).text();
      const m: CollectorCounts = {
        out: metricSum(text, `${C}records_out_total`),
        published: metricSum(text, `${C}records_published_total`),
        dropped: metricSum(text, `${C}dropped_records_total`),
        invalid: metricSum(text, `${C}invalid_records_total`),
        problems: metricSum(text, `${C}problems_total`),
        buffered: metricSum(text, `${C}publish_buffer_records`),
        pendingAcks: metricSum(text, `${C}pending_acks`),
      };
      this.collectorNow = m;
      return m;
    } catch {
      return undefined;
    }
  }

  /** The collector's process lifetime ended: its last reading joins the totals. */
  collectorEnded(): void {
    for (const k of Object.keys(ZERO) as (keyof CollectorCounts)[]) {
      if (k !== 'buffered' && k !== 'pendingAcks') this.collectorDone[k] += this.collectorNow[k];
    }
    this.collectorNow = { ...ZERO };
  }

  collectorTotals(): CollectorCounts {
    const t = { ...this.collectorDone };
    for (const k of ['out', 'published', 'dropped', 'invalid', 'problems'] as const) t[k] += this.collectorNow[k];
    return t;
  }

  /** Stops everything this rig started; keeps the directory (its logs) for the caller to remove. */
  async close(): Promise<void> {
    const stops = [this.collector, this.sim, this.storage].filter(Boolean).map((p) => {
      if (p.alive()) process.kill(p.pid, 'SIGCONT');
      return p.stop('SIGTERM', 15_000);
    });
    await Promise.all(stops);
    await this.nc?.close().catch(() => undefined);
    await this.broker?.stop('SIGTERM', 20_000);
    for (const pid of this.orphans) if (pidAlive(pid)) process.kill(pid, 'SIGKILL');
    await this.proxy?.close();
    await this.engineProxy?.close();
    await this.chdb?.close();
  }
}
