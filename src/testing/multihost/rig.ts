/**
 * The deployment of docs/cluster.md on the hosts of scripts/e2e-multihost.sh: three
 * marketprism-broker nodes (a NATS cluster, auth on, streams with 3 replicas), one
 * marketprism-storage (embedded chDB), one marketprism-collector fed by marketprism-sim on
 * the collector's loopback; later a collector fleet: that collector and one on each of the
 * hosts co2 and co3, all with one configuration but their member_id, all fed by that
 * simulator (the others over the network). Each host has its own directory (its config, the password files
 * it would have copied, its store, its logs) and the standard ports, as a real host would;
 * each knows the others only by the addresses in its config.
 */
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { ensureCredentials } from '../../cli/credentials.js';
import { readPasswordFile } from '../../core/nats.js';
import { natsServerBinary } from '../nats-server.js';
import { waitFor } from '../ports.js';
import * as deployment from '../fault-suite/deployment.js';
import { ROOT, type Proc } from '../fault-suite/procs.js';
import { host, httpOn, runOn, spawnOn, type Host, type Topology } from './hosts.js';

export const STREAM = 'MARKET_DATA';
export const DLQ = 'MARKET_DATA_DLQ';
const PORT = { nats: 4222, route: 6222, monitor: 8222, storage: 8085, health: 8087, metrics: 9093 };

export interface Broker {
  host: Host;
  config: string;
  proc: Proc;
  starts: number;
}

/** A collector host: its process (none while stopped or before it starts) and its counters over process lifetimes. */
export interface CollectorSlot {
  host: Host;
  proc: Proc | undefined;
  /** The lifetimes that ended, and the current one's last reading. */
  done: deployment.CollectorCounts;
  now: deployment.CollectorCounts;
}

export interface FleetView {
  member: string;
  members: string[];
  owned: string[];
  standby: number;
  error?: string;
}

export interface CollectorHealth {
  nats?: { connected?: boolean; buffered?: number; dropped?: number };
  fleet?: FleetView;
}

export interface MultiHostOptions {
  /** The collector's nats.buffer_max_records: small enough that a 60 s cut overflows it. */
  bufferMaxRecords: number;
  say(msg: string): void;
}

export class MultiHostRig {
  brokers: Broker[] = [];
  storage!: Proc;
  sim!: Proc;
  nc!: NatsConnection;
  js!: JetStreamClient;
  jsm!: JetStreamManager;
  readonly st: Host;
  readonly co: Host;
  readonly ops: Host;
  /** co (with the simulator), then co2 and co3: the fleet's other hosts. */
  readonly collectors: CollectorSlot[];
  private starts = new Map<string, number>();

  constructor(
    readonly t: Topology,
    private readonly o: MultiHostOptions,
  ) {
    this.st = host(t, 'st');
    this.co = host(t, 'co');
    this.ops = host(t, 'ops');
    this.collectors = ['co', 'co2', 'co3'].map((n) => ({
      host: host(t, n),
      proc: undefined,
      done: { ...deployment.ZERO_COUNTS },
      now: { ...deployment.ZERO_COUNTS },
    }));
    this.brokers = ['b1', 'b2', 'b3'].map((n) => ({ host: host(t, n), config: '', proc: undefined as unknown as Proc, starts: 0 }));
  }

  dirOf(h: Host): string {
    const d = join(this.t.dir, h.name);
    mkdirSync(d, { recursive: true });
    return d;
  }

  /** Every broker's client URL: the seeds the collector, storage and the driver connect to. */
  get servers(): string[] {
    return this.brokers.map((b) => `nats://${b.host.addr}:${PORT.nats}`);
  }

  /** Which role passwords each host holds, copied from one set (docs/cluster.md step 1; security.md). */
  private writeCredentials(): void {
    const set = join(this.t.dir, 'credentials');
    ensureCredentials(set);
    const give = (h: Host, roles: string[]) => {
      const d = join(this.dirOf(h), 'nats');
      mkdirSync(d, { recursive: true, mode: 0o750 });
      for (const r of roles) copyFileSync(join(set, `${r}.password`), join(d, `${r}.password`));
    };
    for (const b of this.brokers) give(b.host, ['admin', 'collector', 'storage', 'route']);
    give(this.st, ['storage']);
    for (const c of this.collectors) give(c.host, ['collector']);
    give(this.ops, ['admin']);
  }

  async start(): Promise<void> {
    this.writeCredentials();
    this.writeBrokerConfigs();
    for (const b of this.brokers) this.startBroker(b);
    this.nc = await waitFor(
      'a broker accepting the driver (admin)',
      () =>
        connect({
          servers: this.servers,
          name: 'multihost-driver',
          user: 'admin',
          pass: readPasswordFile(join(this.dirOf(this.ops), 'nats/admin.password')),
          maxReconnectAttempts: -1,
          reconnectTimeWait: 250,
          timeout: 5000,
        }).catch(() => undefined),
      90_000,
      500,
    );
    this.js = jetstream(this.nc);
    this.jsm = await jetstreamManager(this.nc, { checkAPI: false });
    for (const s of [STREAM, DLQ]) await this.replicasCurrent(s, 120_000);
    this.o.say(`cluster formed: ${STREAM} and ${DLQ} with 3 current replicas`);
    this.writeStorageConfig();
    await this.startStorage();
    await this.startSim();
    await this.startCollector();
    await deployment.whenPublishing(() => this.readCollector(), 90_000);
  }

  private writeBrokerConfigs(): void {
    const streams = deployment.testStreamsYaml();
    const routes = this.brokers.map((b) => `${b.host.addr}:${PORT.route}`);
    for (const b of this.brokers) {
      const d = this.dirOf(b.host);
      writeFileSync(join(d, 'streams.yaml'), streams);
      b.config = join(d, 'broker.yaml');
      writeFileSync(
        b.config,
        [
          'nats_server:',
          `  binary: ${natsServerBinary()}`,
          `  server_name: ${b.host.name}`,
          '  host: 0.0.0.0',
          `  port: ${PORT.nats}`,
          `  monitor_port: ${PORT.monitor}`,
          `  store_dir: ${join(d, 'jetstream')}`,
          '  max_file_store: 4GB',
          '  restart_backoff_ms: { initial: 300, max: 2000 }',
          '  auth:',
          ...['admin', 'collector', 'storage'].map((r) => `    ${r}_password_file: nats/${r}.password`),
          '  cluster:',
          '    name: marketprism',
          `    host: ${b.host.addr}`,
          `    port: ${PORT.route}`,
          `    routes: [${routes.join(', ')}]`,
          '    password_file: nats/route.password',
          'streams_file: streams.yaml',
          'log_level: info',
          '',
        ].join('\n'),
      );
    }
  }

  private logFile(h: Host, daemon: string): string {
    const key = `${h.name}/${daemon}`;
    const n = (this.starts.get(key) ?? 0) + 1;
    this.starts.set(key, n);
    return join(this.dirOf(h), `${daemon}.${n}.log`);
  }

  startBroker(b: Broker): void {
    b.starts++;
    b.proc = spawnOn(b.host, 'broker', 'bin/marketprism-broker.js', ['--config', b.config], this.logFile(b.host, 'broker'));
  }

  /** PID of the nats-server the broker runs now (its last "nats-server started"). */
  natsPid(b: Broker): number | undefined {
    return deployment.natsPidIn(b.proc.log());
  }

  /** The stream's leader and replicas, each current or not (as JetStream reports them). */
  async placement(stream: string): Promise<{ leader: string; peers: { name: string; current: boolean; lag?: number }[] } | undefined> {
    const i = await this.jsm.streams.info(stream).catch(() => undefined);
    if (!i?.cluster?.leader) return undefined;
    return { leader: i.cluster.leader, peers: [{ name: i.cluster.leader, current: true }, ...(i.cluster.replicas ?? [])] };
  }

  async replicasCurrent(stream: string, ms: number, including?: string): Promise<void> {
    let last = '';
    await waitFor(
      `${stream} with 3 current replicas${including ? ` (${including} among them)` : ''}`,
      async () => {
        const p = await this.placement(stream);
        last = JSON.stringify(p);
        return p && p.peers.length === 3 && p.peers.every((r) => r.current) && (!including || p.peers.some((r) => r.name === including));
      },
      ms,
      500,
    ).catch((err: Error) => {
      throw new Error(`${err.message}; last: ${last}`);
    });
  }

  private writeStorageConfig(): void {
    const d = this.dirOf(this.st);
    writeFileSync(
      join(d, 'storage.yaml'),
      [
        'tier: hot',
        'nats:',
        `  servers: [${this.servers.join(', ')}]`,
        '  password_file: nats/storage.password',
        'clickhouse:',
        '  engine: embedded',
        `  embedded_path: ${join(d, 'chdb')}`,
        'health:',
        '  host: 127.0.0.1',
        `  port: ${PORT.storage}`,
        'log_level: info',
        '',
      ].join('\n'),
    );
  }

  get storageConfig(): string {
    return join(this.dirOf(this.st), 'storage.yaml');
  }

  async startStorage(): Promise<number> {
    this.storage = spawnOn(this.st, 'storage', 'bin/marketprism-storage.js', ['--config', this.storageConfig], this.logFile(this.st, 'storage'));
    const at = Date.now();
    await deployment.whenReady(
      'storage',
      this.storage,
      'storage /health 200',
      async () => (await httpOn(this.st, PORT.storage, '/health')) !== undefined,
      120_000,
      500,
    );
    return at;
  }

  /** One read-only statement through `marketprism query` on the storage host (the daemon's /query). */
  async query<T = Record<string, unknown>>(sql: string): Promise<T[]> {
    const out = await runOn(
      this.st,
      process.execPath,
      [join(ROOT, 'bin/marketprism.js'), 'query', '--config', this.storageConfig, '--format', 'JSONEachRow', sql],
      60_000,
    );
    return out
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as T);
  }

  private simVenues: deployment.SimVenues = {};
  /** The simulator listens on every address of co: its collector reaches it on co's loopback, the fleet's others at co's address. */
  private async startSim(): Promise<void> {
    this.sim = spawnOn(this.co, 'sim', deployment.SIM_SCRIPT, [...deployment.SIM_ARGS, '--host=0.0.0.0'], this.logFile(this.co, 'sim'));
    this.simVenues = await deployment.simVenues(this.sim);
  }

  /** The simulator's URLs as seen from `h`. */
  venuesFrom(h: Host): deployment.SimVenues {
    const at = h === this.co ? '127.0.0.1' : this.co.addr;
    const swap = (u: string) => u.replace('//0.0.0.0:', `//${at}:`);
    return Object.fromEntries(Object.entries(this.simVenues).map(([v, u]) => [v, { ws_url: swap(u.ws_url), rest_url: swap(u.rest_url) }]));
  }

  /** The collector on co, alone (not a fleet member). */
  get collector(): CollectorSlot {
    return this.collectors[0]!;
  }

  /** Starts the collector of `c` (by default co's); `fleet`: as a fleet member named after its host. */
  async startCollector(c: CollectorSlot = this.collector, fleet = false): Promise<void> {
    const file = join(this.dirOf(c.host), fleet ? 'collector-fleet.yaml' : 'collector.yaml');
    writeFileSync(
      file,
      deployment.collectorYaml({
        servers: this.servers,
        bufferMaxRecords: this.o.bufferMaxRecords,
        healthPort: PORT.health,
        metricsPort: PORT.metrics,
        venues: this.venuesFrom(c.host),
        ...(fleet ? { fleetMember: c.host.name } : {}),
      }),
    );
    c.now = { ...deployment.ZERO_COUNTS };
    const proc = spawnOn(c.host, 'collector', 'bin/marketprism-collector.js', ['--config', file], this.logFile(c.host, 'collector'));
    c.proc = proc;
    await deployment.whenReady(
      `collector on ${c.host.name}`,
      proc,
      'the collector /metrics',
      async () => (await this.readCollector(c)) !== undefined,
      60_000,
      500,
    );
  }

  /** A collector's counters of this process lifetime (kept as its last reading); undefined when it does not answer. */
  async readCollector(c: CollectorSlot = this.collector): Promise<deployment.CollectorCounts | undefined> {
    const text = await httpOn(c.host, PORT.metrics, '/metrics');
    if (text === undefined) return undefined;
    c.now = deployment.collectorCounts(text);
    return c.now;
  }

  /** A collector's /health document (nats.connected, buffered, dropped; a member's fleet view). */
  async collectorHealth(c: CollectorSlot = this.collector): Promise<CollectorHealth | undefined> {
    const text = await httpOn(c.host, PORT.health, '/health');
    if (text === undefined) return undefined;
    try {
      return JSON.parse(text) as CollectorHealth;
    } catch {
      return undefined;
    }
  }

  /** Stops a collector (`signal`; its last reading taken first, since SIGKILL leaves none): that lifetime joins its totals. */
  async stopCollector(c: CollectorSlot = this.collector, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    await this.readCollector(c);
    await c.proc?.stop(signal, 30_000);
    c.proc = undefined;
    deployment.addLifetime(c.done, c.now);
    c.now = { ...deployment.ZERO_COUNTS };
  }

  /** Every collector's counters over all its lifetimes, added up. */
  collectorTotals(): deployment.CollectorCounts {
    const t = { ...deployment.ZERO_COUNTS };
    for (const c of this.collectors) deployment.addLifetime(t, deployment.lifetimeTotals(c.done, c.now));
    return t;
  }

  /** The named server's JetStream view of `stream` (its own copy), from its monitoring port on its own host. */
  async jszStream(b: Broker, stream: string): Promise<{ messages: number; last_seq: number } | undefined> {
    const text = await httpOn(b.host, PORT.monitor, '/jsz?accounts=true&streams=true');
    if (!text) return undefined;
    const j = JSON.parse(text) as { account_details?: { stream_detail?: { name: string; state: { messages: number; last_seq: number } }[] }[] };
    for (const a of j.account_details ?? []) for (const s of a.stream_detail ?? []) if (s.name === stream) return s.state;
    return undefined;
  }

  /** Whether the collector holds a client connection to this broker (its /connz). */
  async collectorOn(b: Broker): Promise<boolean> {
    const text = await httpOn(b.host, PORT.monitor, '/connz');
    return (
      text !== undefined && (JSON.parse(text) as { connections?: { name?: string }[] }).connections?.some((c) => c.name === 'marketprism-collector') === true
    );
  }

  async close(): Promise<void> {
    await deployment.stopDaemons([...this.collectors.map((c) => c.proc), this.sim, this.storage]);
    await this.nc?.close().catch(() => undefined);
    await Promise.all(this.brokers.filter((b) => b.proc).map((b) => b.proc.stop('SIGTERM', 20_000)));
  }
}
