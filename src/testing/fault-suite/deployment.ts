/**
 * What the fault suite's rig (rig.ts) and the multi-host rig (../multihost/rig.ts) deploy
 * alike: the shipped streams with store limits that fit a test machine, the simulator and
 * the collector it feeds, the collector's counters read from its /metrics, the broker's
 * nats-server read from its log. Each rig says where a daemon runs and how it is reached.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { waitFor } from '../ports.js';
import { metricSum, ROOT, type Proc } from './procs.js';

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

export const ZERO_COUNTS: Readonly<CollectorCounts> = { out: 0, published: 0, dropped: 0, invalid: 0, problems: 0, buffered: 0, pendingAcks: 0 };
/** The counters that add up over lifetimes (the others are levels of the current process). */
const CUMULATIVE = ['out', 'published', 'dropped', 'invalid', 'problems'] as const;
const C = 'marketprism_collector_';

/** The collector's counters in a /metrics text exposition. */
export function collectorCounts(text: string): CollectorCounts {
  return {
    out: metricSum(text, `${C}records_out_total`),
    published: metricSum(text, `${C}records_published_total`),
    dropped: metricSum(text, `${C}dropped_records_total`),
    invalid: metricSum(text, `${C}invalid_records_total`),
    problems: metricSum(text, `${C}problems_total`),
    buffered: metricSum(text, `${C}publish_buffer_records`),
    pendingAcks: metricSum(text, `${C}pending_acks`),
  };
}

/** A collector lifetime ended: its last reading (`now`) joins the totals of those that ended (`done`, in place). */
export function addLifetime(done: CollectorCounts, now: CollectorCounts): void {
  for (const k of CUMULATIVE) done[k] += now[k];
}

/** The lifetimes that ended plus the current one's last reading. */
export function lifetimeTotals(done: CollectorCounts, now: CollectorCounts): CollectorCounts {
  const t = { ...done };
  addLifetime(t, now);
  return t;
}

/** config/streams.yaml with store limits that fit a test machine (MARKET_DATA 2GB, the others 256MB), as YAML. */
export function testStreamsYaml(): string {
  const streams = parse(readFileSync(join(ROOT, 'config/streams.yaml'), 'utf8')) as { streams: Record<string, unknown>[] };
  for (const s of streams.streams) s.max_bytes = s.name === 'MARKET_DATA' ? '2GB' : '256MB';
  return stringify(streams);
}

/**
 * Waits until `ready` gives a truthy value (returned) for the daemon `p` just started; an
 * error naming it (`daemon`) with its log's tail when it exits first, and waitFor's when `ms` pass.
 */
export async function whenReady<T>(
  daemon: string,
  p: Proc,
  what: string,
  ready: () => Promise<T | undefined | false> | T | undefined | false,
  ms: number,
  every?: number,
): Promise<T> {
  return waitFor(
    what,
    () => {
      if (!p.alive()) throw new Error(`${daemon} exited: ${p.log().slice(-2000)}`);
      return ready();
    },
    ms,
    every,
  );
}

/** marketprism-sim: the generated market of both rigs (two venues, two symbols, seeded). */
export const SIM_SCRIPT = 'bin/marketprism-sim.js';
export const SIM_ARGS = ['generate', '--venue=binance-usdm,okx', '--symbols=BTC-USDT,ETH-USDT', '--rate=4', '--levels=30', '--periodic-ms=1000', '--seed=7'];

/** Collector venue → the simulator's URLs for it. */
export type SimVenues = Record<string, { ws_url: string; rest_url: string }>;

/** The venues of a simulator just started, from the line it prints once listening. */
export async function simVenues(sim: Proc): Promise<SimVenues> {
  const line = await whenReady(
    'simulator',
    sim,
    'the simulator listening',
    () =>
      sim
        .log()
        .split('\n')
        .find((l) => l.startsWith('{') && l.includes('"ws_url"') && !l.includes('"level"')),
    30_000,
  );
  return JSON.parse(line) as SimVenues;
}

export interface CollectorYamlOptions {
  /** nats.servers. */
  servers: string[];
  bufferMaxRecords: number;
  healthPort: number;
  metricsPort: number;
  venues: SimVenues;
  /** A fleet member (docs/collector.md, Fleet): its member_id; the leases of the default bucket, lease_ttl 6 s, renew 2 s, standby on. */
  fleetMember?: string;
}

/** The collector's orderbook.publish_interval_ms. */
export const BOOK_INTERVAL_MS = 250;

/** The collector's venues (config keys) and the data types it collects of each, and the symbols of every venue. */
export const COLLECTOR_TYPES: Readonly<Record<string, string>> = {
  binance_derivatives: 'orderbook, trade, funding_rate, open_interest, liquidation, lsr_top_position, lsr_all_account',
  okx_spot: 'orderbook, trade',
  okx_derivatives: 'orderbook, trade, funding_rate, open_interest',
};
export const COLLECTOR_SYMBOLS: readonly string[] = ['BTC-USDT', 'ETH-USDT'];

/** The collector's config: every venue of the simulator, both symbols, each venue's data types; password from nats/collector.password. */
export function collectorYaml(o: CollectorYamlOptions): string {
  const types = COLLECTOR_TYPES;
  const venue = (v: string) => {
    const u = o.venues[v];
    if (!u) throw new Error(`the simulator serves no venue ${v} (it serves ${Object.keys(o.venues).join(', ')})`);
    return u;
  };
  return [
    `nats: { servers: ${JSON.stringify(o.servers)}, password_file: nats/collector.password, buffer_max_records: ${o.bufferMaxRecords}, max_pending_acks: 500 }`,
    `health: { host: 127.0.0.1, port: ${o.healthPort} }`,
    `metrics: { host: 127.0.0.1, port: ${o.metricsPort} }`,
    `orderbook: { depth: 20, publish_interval_ms: ${BOOK_INTERVAL_MS} }`,
    ...(o.fleetMember ? [`fleet: { enabled: true, member_id: ${o.fleetMember}, lease_ttl: 6s, renew: 2s }`] : []),
    'venues:',
    ...Object.entries(types).flatMap(([v, t]) => [
      `  ${v}:`,
      `    symbols: [${COLLECTOR_SYMBOLS.join(', ')}]`,
      `    data_types: [${t}]`,
      `    ws_url: ${venue(v).ws_url}`,
      `    rest_url: ${venue(v).rest_url}`,
    ]),
    'log_level: info',
    '',
  ].join('\n');
}

/** Waits (at most `ms`) until the collector's counters (`read`) show records JetStream acknowledged. */
export async function whenPublishing(read: () => Promise<CollectorCounts | undefined>, ms: number): Promise<void> {
  await waitFor('the collector publishing acked records', async () => (await read())?.published, ms, 500);
}

/** PID of the nats-server a broker runs now (the last "nats-server started" of its log). */
export function natsPidIn(brokerLog: string): number | undefined {
  const pids = [...brokerLog.matchAll(/"pid":(\d+),"binary"[^\n]*"msg":"nats-server started"/g)];
  return pids.length ? Number(pids.at(-1)![1]) : undefined;
}

/** How many times a broker started nats-server. */
export function natsStartsIn(brokerLog: string): number {
  return [...brokerLog.matchAll(/"msg":"nats-server started"/g)].length;
}

/** Stops these daemons (SIGTERM, SIGKILL after 15 s), all at once; a stopped (SIGSTOP) one is continued first. */
export async function stopDaemons(procs: (Proc | undefined)[]): Promise<void> {
  await Promise.all(
    procs
      .filter((p): p is Proc => p !== undefined)
      .map((p) => {
        if (p.alive()) process.kill(p.pid, 'SIGCONT');
        return p.stop('SIGTERM', 15_000);
      }),
  );
}
