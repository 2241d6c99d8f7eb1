/**
 * `marketprism status [--config-dir DIR] [--json]`: one screen for this host (issue 11).
 * For each module configured here (its config file exists): the systemd unit's state and
 * uptime ("no systemd" without one), its /health; JetStream's streams and each consumer's
 * lag (nats-server's monitoring /jsz, from the broker's config); the age of the newest
 * record per data type × venue, from the storage engine (hot tier) and the collector's
 * `marketprism_collector_last_record_timestamp_seconds`, coloured against the freshness
 * thresholds; rows per minute per table over the last 5 minutes. Colours only on a
 * terminal. Exit 1 when anything is red (cron, a monitoring check).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { FRESHNESS_DEFAULTS } from '../collector/config.js';
import { parseDurationMs } from '../core/config.js';
import { DATA_TYPES, type DataType } from '../core/model.js';
import { jetstreamManager } from '@nats-io/jetstream';
import { createLogger } from '../core/logger.js';
import { connectNats, type NatsConnection } from '../core/nats.js';
import { databaseOf, durableName, type StorageConfig } from '../storage/config.js';
import { TABLES } from '../storage/schema.js';
import { hostModules, moduleHealth, reachableHost, type Module, type ModuleHealth } from './ops.js';
import { fetchMetrics, samples } from './prom-text.js';
import { queryStorage } from './storage-rows.js';

export type State = 'green' | 'yellow' | 'red';

/** Types that arrive minutes to hours apart: a long silence is reported (yellow), never red alone. */
export const SPORADIC_TYPES: readonly DataType[] = ['liquidation'];
/** Yellow past the threshold, red past this many times it. */
export const RED_FACTOR = 2;
/** A consumer this many messages behind is yellow (the MarketPrismConsumerLagGrowing alert's level). */
export const LAG_YELLOW = 10_000;
/** Rows per minute: counted over this window. */
const RATE_WINDOW_MIN = 5;

/** The default freshness thresholds (ms), as the collector's config defaults them. */
export function defaultFreshnessMs(): Record<DataType, number> {
  return Object.fromEntries(DATA_TYPES.map((t) => [t, parseDurationMs(FRESHNESS_DEFAULTS[t])!])) as Record<DataType, number>;
}

export function freshnessState(type: DataType, ageMs: number, thresholdMs: number): State {
  if (ageMs <= thresholdMs) return 'green';
  if (ageMs <= RED_FACTOR * thresholdMs || SPORADIC_TYPES.includes(type)) return 'yellow';
  return 'red';
}

export interface UnitStatus {
  module: Module;
  unit: string;
  /** False: this host has no systemd (no /run/systemd/system). */
  systemd: boolean;
  active?: string;
  sub?: string;
  uptime_s?: number;
  restarts?: number;
  status_text?: string;
  error?: string;
  state: State;
}

export function unitStatus(module: Module): UnitStatus {
  const unit = `marketprism-${module}.service`;
  if (!existsSync('/run/systemd/system')) return { module, unit, systemd: false, state: 'green' };
  const props = ['LoadState', 'ActiveState', 'SubState', 'ActiveEnterTimestampMonotonic', 'NRestarts', 'StatusText'];
  const r = spawnSync('systemctl', ['show', unit, ...props.flatMap((p) => ['-p', p])], { encoding: 'utf8', timeout: 5000 });
  if (r.error || r.status !== 0) return { module, unit, systemd: true, error: (r.error?.message ?? r.stderr).trim(), state: 'red' };
  const v = Object.fromEntries(
    r.stdout
      .split('\n')
      .filter((l) => l.includes('='))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
  const since = Number(v.ActiveEnterTimestampMonotonic ?? 0);
  const uptimeNow = Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
  const active = v.ActiveState as string;
  return {
    module,
    unit,
    systemd: true,
    active,
    sub: v.SubState,
    uptime_s: active === 'active' && since > 0 ? Math.max(0, Math.round(uptimeNow - since / 1e6)) : undefined,
    restarts: v.NRestarts !== undefined ? Number(v.NRestarts) : undefined,
    status_text: v.StatusText || undefined,
    state: v.LoadState === 'not-found' || active === 'failed' || active === 'inactive' ? 'red' : active === 'active' ? 'green' : 'yellow',
  };
}

export interface ConsumerLag {
  name: string;
  pending: number;
  ack_pending: number;
  redelivered: number;
  state: State;
}

export interface JetStreamStatus {
  source: string;
  store?: { used_bytes: number; max_bytes: number };
  streams: { name: string; messages: number; bytes: number; consumers: ConsumerLag[] }[];
  error?: string;
  state: State;
}

interface Jsz {
  storage: number;
  config?: { max_storage?: number };
  account_details?: {
    stream_detail?: {
      name: string;
      state: { messages: number; bytes: number };
      consumer_detail?: { name: string; num_pending: number; num_ack_pending: number; num_redelivered: number }[];
    }[];
  }[];
}

/** Streams and consumers from nats-server's monitoring port (no authentication: loopback). */
export async function jetStreamStatus(monitorUrl: string): Promise<JetStreamStatus> {
  const source = `${monitorUrl}/jsz`;
  try {
    const res = await fetch(`${source}?accounts=true&streams=true&consumers=true`, { signal: AbortSignal.timeout(5000) });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    const jsz = (await res.json()) as Jsz;
    const streams = (jsz.account_details ?? []).flatMap((a) =>
      (a.stream_detail ?? []).map((s) => ({
        name: s.name,
        messages: s.state.messages,
        bytes: s.state.bytes,
        consumers: (s.consumer_detail ?? []).map((c) => {
          const lag = c.num_pending + c.num_ack_pending;
          return {
            name: c.name,
            pending: c.num_pending,
            ack_pending: c.num_ack_pending,
            redelivered: c.num_redelivered,
            state: lag > LAG_YELLOW ? 'yellow' : 'green',
          } as ConsumerLag;
        }),
      })),
    );
    const max = jsz.config?.max_storage ?? 0;
    const nearFull = max > 0 && jsz.storage > 0.9 * max;
    return {
      source,
      store: { used_bytes: jsz.storage, max_bytes: max },
      streams,
      state: nearFull ? 'yellow' : worst(streams.flatMap((s) => s.consumers.map((c) => c.state))),
    };
  } catch (err) {
    return { source, streams: [], error: (err as Error).message, state: 'red' };
  }
}

/**
 * The stream and this tier's consumers over NATS with storage's own credentials (its role
 * may read the info of its stream and consumers, not list them): when no broker runs here.
 */
export async function jetStreamViaNats(config: StorageConfig): Promise<JetStreamStatus> {
  const source = `${config.nats.servers.join(',')} (as ${config.nats.auth.user || 'anonymous'})`;
  let nc: NatsConnection | undefined;
  try {
    nc = await connectNats({ servers: config.nats.servers, name: 'marketprism-status', auth: config.nats.auth, connectTimeoutMs: 5000 }, quietLog);
    const jsm = await jetstreamManager(nc, { timeout: 5000 });
    const info = await jsm.streams.info(config.nats.stream);
    const consumers: ConsumerLag[] = [];
    for (const type of DATA_TYPES) {
      // The durable name storage/service.ts gives each type's consumer.
      const name = durableName(config.tier, type);
      const c = await jsm.consumers.info(config.nats.stream, name).catch(() => undefined);
      if (!c) continue;
      const lag = c.num_pending + c.num_ack_pending;
      consumers.push({
        name,
        pending: c.num_pending,
        ack_pending: c.num_ack_pending,
        redelivered: c.num_redelivered,
        state: lag > LAG_YELLOW ? 'yellow' : 'green',
      });
    }
    return {
      source,
      streams: [{ name: info.config.name, messages: info.state.messages, bytes: info.state.bytes, consumers }],
      state: worst(consumers.map((c) => c.state)),
    };
  } catch (err) {
    return { source, streams: [], error: (err as Error).message, state: 'red' };
  } finally {
    await nc?.close().catch(() => undefined);
  }
}

const quietLog = createLogger({ name: 'marketprism', level: 'silent' });

export interface Freshness {
  /** `storage` (the hot tier's newest row) or `collector` (its last record handed over). */
  source: string;
  data_type: DataType;
  venue: string;
  newest: string;
  age_s: number;
  threshold_s: number;
  state: State;
}

export interface TableRate {
  /** The storage module asked. */
  module: Module;
  table: string;
  rows_per_minute: number;
}

interface NewestRow {
  data_type: DataType;
  venue: string;
  newest_ms: string;
  recent: string | number;
}

/** The newest row and the rows of the last minutes per data type × venue, in one statement. */
export function newestRowsSql(database: string): string {
  return DATA_TYPES.map(
    (t) =>
      `SELECT '${t}' AS data_type, concat(exchange, '/', market_type) AS venue, toString(toUnixTimestamp64Milli(max(local_timestamp))) AS newest_ms, ` +
      `countIf(local_timestamp > now64(3) - INTERVAL ${RATE_WINDOW_MIN} MINUTE) AS recent FROM ${database}.${TABLES[t]} GROUP BY venue`,
  ).join(' UNION ALL ');
}

function freshness(source: string, type: DataType, venue: string, newestMs: number, now: number, thresholds: Record<DataType, number>): Freshness {
  const age = Math.max(0, now - newestMs);
  return {
    source,
    data_type: type,
    venue,
    newest: new Date(newestMs).toISOString(),
    age_s: Math.round(age / 1000),
    threshold_s: thresholds[type] / 1000,
    state: freshnessState(type, age, thresholds[type]),
  };
}

/** The collector's last record per venue × type, from its /metrics. */
export function parseLastRecordMetrics(text: string): { venue: string; data_type: DataType; ms: number }[] {
  return samples(text, 'marketprism_collector_last_record_timestamp_seconds')
    .filter((x) => x.labels.venue && DATA_TYPES.includes(x.labels.data_type as DataType))
    .map((x) => ({ venue: x.labels.venue!, data_type: x.labels.data_type as DataType, ms: x.value * 1000 }));
}

export interface HostStatus {
  time: string;
  state: State;
  units: UnitStatus[];
  health: (ModuleHealth & { state: State })[];
  jetstream?: JetStreamStatus;
  freshness: Freshness[];
  rates: TableRate[];
  /** The collector's fleet view (its /health), when it runs in a fleet: this member, the members it sees, what it owns. */
  fleet?: { member: string; members: string[]; owned: string[]; standby: number; error?: string };
  errors: { module: Module; error: string }[];
}

function worst(states: State[]): State {
  return states.includes('red') ? 'red' : states.includes('yellow') ? 'yellow' : 'green';
}

function healthState(status: string): State {
  return status === 'healthy' ? 'green' : status === 'degraded' ? 'yellow' : 'red';
}

/** Everything `status` shows, for the modules configured in `configDir` (default: as the daemons find their files). */
export async function hostStatus(configDir?: string, root?: string): Promise<HostStatus> {
  const now = Date.now();
  const { modules, fileOf, loaded, envs, errors } = hostModules(configDir, root);
  const units = modules.map(unitStatus);
  const health = await Promise.all(
    [...loaded.keys()].map(async (m) => {
      const h = await moduleHealth(m, fileOf(m), envs.get(m));
      return { ...h, state: healthState(h.status) };
    }),
  );

  const broker = loaded.get('broker');
  const hot = loaded.get('storage') ?? loaded.get('storage-cold');
  const jetstream =
    broker?.module === 'broker'
      ? await jetStreamStatus(`http://${reachableHost(broker.config.nats_server.monitor_host)}:${broker.config.nats_server.monitor_port}`)
      : hot?.module === 'storage'
        ? await jetStreamViaNats(hot.config)
        : undefined;

  const collector = loaded.get('collector');
  const thresholds = collector?.module === 'collector' ? collector.config.freshness_ms : defaultFreshnessMs();
  const fresh: Freshness[] = [];
  const rates: TableRate[] = [];
  for (const m of ['storage', 'storage-cold'] as const) {
    const s = loaded.get(m);
    if (s?.module !== 'storage') continue;
    try {
      const rows = await queryStorage<NewestRow>(fileOf(m), s.config, newestRowsSql(databaseOf(s.config)));
      if (m === 'storage') for (const r of rows) fresh.push(freshness('storage', r.data_type, r.venue, Number(r.newest_ms), now, thresholds));
      for (const t of DATA_TYPES) {
        const recent = rows.filter((r) => r.data_type === t).reduce((a, r) => a + Number(r.recent), 0);
        rates.push({ module: m, table: `${databaseOf(s.config)}.${TABLES[t]}`, rows_per_minute: Math.round((recent / RATE_WINDOW_MIN) * 10) / 10 });
      }
    } catch (err) {
      errors.push({ module: m, error: `cannot read the newest rows: ${(err as Error).message.split('\n')[0]}` });
    }
  }
  if (collector?.module === 'collector') {
    const c = collector.config.metrics;
    try {
      const text = await fetchMetrics(`http://${reachableHost(c.host)}:${c.port}/metrics`);
      for (const r of parseLastRecordMetrics(text)) fresh.push(freshness('collector', r.data_type, r.venue, r.ms, now, thresholds));
    } catch (err) {
      errors.push({ module: 'collector', error: `cannot read /metrics: ${(err as Error).message}` });
    }
  }
  const state = worst([
    ...units.map((u) => u.state),
    ...health.map((h) => h.state),
    jetstream?.state ?? 'green',
    ...fresh.map((f) => f.state),
    ...(errors.length ? (['red'] as const) : []),
  ]);
  const fleet = (health.find((h) => h.module === 'collector')?.body as { fleet?: HostStatus['fleet'] } | undefined)?.fleet;
  return { time: new Date(now).toISOString(), state, units, health, jetstream, freshness: fresh, rates, ...(fleet ? { fleet } : {}), errors };
}

const COLOURS: Record<State, string> = { green: '\x1b[32m', yellow: '\x1b[33m', red: '\x1b[31m' };

export function formatDurationS(s: number): string {
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  return `${Math.floor(s / 86_400)}d${String(Math.floor((s % 86_400) / 3600)).padStart(2, '0')}h`;
}

function columns(rows: string[][]): string[] {
  if (rows.length === 0) return [];
  const w = rows[0]!.map((_c, i) => Math.max(...rows.map((r) => stripAnsi(r[i] ?? '').length)));
  return rows.map((r) => '  ' + r.map((c, i) => (i === r.length - 1 ? c : c + ' '.repeat(w[i]! - stripAnsi(c).length))).join('  '));
}

function stripAnsi(s: string): string {
  // eslint-disable-next-line no-control-regex -- the colour codes this module writes
  return s.replace(/\x1b\[\d+m/g, '');
}

export function formatStatus(s: HostStatus, colour: boolean): string {
  const paint = (state: State, text: string) => (colour ? `${COLOURS[state]}${text}\x1b[0m` : text);
  const out: string[] = [`marketprism status  ${s.time}  ${paint(s.state, s.state.toUpperCase())}`, '', 'units'];
  out.push(
    ...columns(
      s.units.map((u) => {
        const h = s.health.find((x) => x.module === u.module);
        const unit = !u.systemd
          ? 'no systemd'
          : u.error
            ? `systemctl: ${u.error}`
            : `${u.active} (${u.sub})${u.uptime_s !== undefined ? ` for ${formatDurationS(u.uptime_s)}` : ''}${u.restarts ? `, ${u.restarts} restarts` : ''}`;
        const reasons = (h?.body as { reasons?: string[] } | undefined)?.reasons;
        const said = h ? `${h.status}${h.error ? ` (${h.error})` : reasons?.length ? ` (${reasons.join('; ')})` : ''}` : 'config invalid';
        return [u.module, paint(u.state, unit), `health ${paint(h?.state ?? 'red', said)}`];
      }),
    ),
  );
  if (s.jetstream) {
    const j = s.jetstream;
    out.push('', `jetstream (${j.source})${j.store ? `  store ${mb(j.store.used_bytes)} of ${j.store.max_bytes ? mb(j.store.max_bytes) : 'unlimited'}` : ''}`);
    if (j.error) out.push(`  ${paint('red', `unreachable: ${j.error}`)}`);
    for (const st of j.streams) {
      out.push(`  ${st.name}: ${st.messages} messages, ${mb(st.bytes)}`);
      if (st.consumers.length)
        out.push(
          ...columns(
            st.consumers.map((c) => [
              `  ${c.name}`,
              paint(c.state, `lag ${c.pending + c.ack_pending}`),
              `(pending ${c.pending}, unacked ${c.ack_pending}, redelivered ${c.redelivered})`,
            ]),
          ),
        );
    }
  }
  if (s.freshness.length) {
    out.push('', 'newest record per data type × venue');
    const rows = [...s.freshness].sort((a, b) => a.source.localeCompare(b.source) || a.data_type.localeCompare(b.data_type) || a.venue.localeCompare(b.venue));
    out.push(
      ...columns([
        ['source', 'data type', 'venue', 'age', 'threshold', 'newest'],
        ...rows.map((f) => [f.source, f.data_type, f.venue, paint(f.state, formatDurationS(f.age_s)), formatDurationS(f.threshold_s), f.newest]),
      ]),
    );
  }
  if (s.rates.length) {
    out.push('', `rows per minute (last ${RATE_WINDOW_MIN} minutes)`);
    out.push(...columns(s.rates.map((r) => [r.table, String(r.rows_per_minute)])));
  }
  if (s.fleet) {
    const f = s.fleet;
    out.push('', `collector fleet: member ${f.member}, ${f.members.length} members (${f.members.join(', ')})`);
    if (f.error) out.push(`  ${paint('yellow', f.error)}`);
    out.push(`  owns ${f.owned.length}: ${f.owned.join(' ') || '-'}${f.standby ? `; standby for ${f.standby}` : ''}`);
  }
  for (const e of s.errors) out.push('', paint('red', `${e.module}: ${e.error}`));
  return out.join('\n') + '\n';
}

function mb(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/** `marketprism status [--config-dir DIR] [--color] [--json]`: exit 1 when anything is red. */
export async function status(args: string[], opts: { configDir?: string; root?: string; json: boolean; colour?: boolean }): Promise<number> {
  if (args.length > 0) throw new Error(`status: unexpected ${args.join(' ')}`);
  const s = await hostStatus(opts.configDir, opts.root);
  const colour = opts.colour || (Boolean(process.stdout.isTTY) && !process.env.NO_COLOR);
  process.stdout.write(opts.json ? JSON.stringify(s, null, 2) + '\n' : formatStatus(s, colour));
  return s.state === 'red' ? 1 : 0;
}
