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
import { ensureCredentials } from '../../cli/credentials.js';
import { startChdbHttp, type ChdbHttpServer } from '../chdb-http.js';
import { natsServerBinary } from '../nats-server.js';
import { freePort } from '../ports.js';
import {
  addLifetime,
  collectorCounts,
  collectorYaml,
  lifetimeTotals,
  natsPidIn,
  natsStartsIn,
  SIM_ARGS,
  SIM_SCRIPT,
  simVenues,
  stopDaemons,
  testStreamsYaml,
  whenPublishing,
  whenReady,
  ZERO_COUNTS,
  type CollectorCounts,
  type SimVenues,
} from './deployment.js';
import { pidAlive, spawnProc, type Proc } from './procs.js';
import { startTcpProxy, type TcpProxy } from './proxy.js';

export interface RigOptions {
  /** Collector records held while the broker is unreachable (drops counted beyond). */
  bufferMaxRecords: number;
  say(msg: string): void;
}

export type { CollectorCounts } from './deployment.js';

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
  collectorDone: CollectorCounts = { ...ZERO_COUNTS };
  collectorNow: CollectorCounts = { ...ZERO_COUNTS };
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
    await whenPublishing(() => this.readCollector(), 60_000);
  }

  private writeBrokerConfig(): void {
    // The shipped streams, with store limits that fit a test machine.
    writeFileSync(join(this.dir, 'streams.yaml'), testStreamsYaml());
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
    await whenReady('broker', b, 'the broker ready (streams reconciled)', () => b.log().includes('"msg":"streams reconciled"'), 60_000, 200);
  }

  /** PID of the nats-server the current broker runs now (its last "nats-server started"). */
  natsPid(): number | undefined {
    return natsPidIn(this.broker.log());
  }

  natsStarts(): number {
    return natsStartsIn(this.broker.log());
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
    await whenReady(
      'storage',
      this.storage,
      'storage /health 200',
      async () => (await fetch(`http://127.0.0.1:${this.ports.storage}/health`, { signal: AbortSignal.timeout(2000) })).status === 200,
      ms,
      250,
    );
  }

  private simVenues: SimVenues = {};
  private async startSim(): Promise<void> {
    this.sim = spawnProc('sim', SIM_SCRIPT, SIM_ARGS, join(this.dir, 'sim.log'));
    this.simVenues = await simVenues(this.sim);
  }

  private collectorStarts = 0;
  async startCollector(): Promise<void> {
    const file = join(this.dir, 'collector.yaml');
    writeFileSync(
      file,
      collectorYaml({
        servers: [`nats://127.0.0.1:${this.ports.proxy}`],
        bufferMaxRecords: this.o.bufferMaxRecords,
        healthPort: this.ports.health,
        metricsPort: this.ports.metrics,
        venues: this.simVenues,
      }),
    );
    const n = ++this.collectorStarts;
    this.collectorNow = { ...ZERO_COUNTS };
    this.collector = spawnProc('collector', 'bin/marketprism-collector.js', ['--config', file], join(this.dir, `collector.${n}.log`));
    await whenReady('collector', this.collector, 'the collector /metrics', async () => (await this.readCollector()) !== undefined, 60_000, 250);
  }

  /** Reads the current collector's counters (kept as its lifetime's last reading); undefined when it does not answer. */
  async readCollector(): Promise<CollectorCounts | undefined> {
    try {
      const text = await (await fetch(`http://127.0.0.1:${this.ports.metrics}/metrics`, { signal: AbortSignal.timeout(2000) })).text();
      this.collectorNow = collectorCounts(text);
      return this.collectorNow;
    } catch {
      return undefined;
    }
  }

  /** The collector's process lifetime ended: its last reading joins the totals. */
  collectorEnded(): void {
    addLifetime(this.collectorDone, this.collectorNow);
    this.collectorNow = { ...ZERO_COUNTS };
  }

  collectorTotals(): CollectorCounts {
    return lifetimeTotals(this.collectorDone, this.collectorNow);
  }

  /** Stops everything this rig started; keeps the directory (its logs) for the caller to remove. */
  async close(): Promise<void> {
    await stopDaemons([this.collector, this.sim, this.storage]);
    await this.nc?.close().catch(() => undefined);
    await this.broker?.stop('SIGTERM', 20_000);
    for (const pid of this.orphans) if (pidAlive(pid)) process.kill(pid, 'SIGKILL');
    await this.proxy?.close();
    await this.engineProxy?.close();
    await this.chdb?.close();
  }
}
