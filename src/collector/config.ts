/**
 * marketprism-collector configuration: shape, defaults and validation. All defaults
 * are here; every error names the key and the bad value; unknown keys are errors.
 */
import { hostname } from 'node:os';
import { ConfigReader, readYamlFile } from '../core/config.js';
import type { Env } from '../core/env-overrides.js';
import { LOG_LEVELS, type LogLevel } from '../core/logger.js';
import { readNatsClientAuth, type NatsClientAuth } from '../core/nats.js';
import { DATA_TYPES, type DataType } from '../core/model.js';
import { DEFAULT_BATCH } from './publisher.js';
import { isSymbolPattern } from './symbol-patterns.js';
import { CONFIG_VENUES, venueOf, type ConfigVenue } from './venues/registry.js';

export { CONFIG_VENUES, type ConfigVenue } from './venues/registry.js';

export interface VenueConfig {
  name: ConfigVenue;
  enabled: boolean;
  symbols: string[];
  data_types: DataType[];
  ws_url: string;
  rest_url: string;
  snapshot_limit: number;
  rest_weight_per_minute: number;
  /** The least time between two REST requests to the venue (snapshots, polls). */
  rest_spacing_ms: number;
  max_streams_per_connection: number;
  /** 0: never rotate. */
  rotate_after_ms: number;
  stale_after_ms: number;
  /** Open interest polling (Binance; OKX and Deribit stream it). */
  open_interest_poll_ms: number;
  lsr_poll_ms: number;
  /** Long/short ratio aggregation period, e.g. "5m". */
  lsr_period: string;
  /** Deribit: spacing of ticker-derived funding/open-interest records. */
  ticker_interval_ms: number;
  /** How often the instrument list (contract sizes, symbol patterns) is reloaded. */
  instruments_refresh_ms: number;
  /** At most this many symbols from patterns (`*-USDT`, `all`). */
  max_symbols: number;
}

/** Several collectors sharing this configuration split its (venue, symbol) set through leases (docs/collector.md, Fleet). */
export interface FleetConfig {
  enabled: boolean;
  /** The JetStream key-value bucket (config/streams.yaml kv_buckets). */
  bucket: string;
  /** A member or lease not renewed for this long expires (whole seconds: JetStream counts TTLs in seconds). */
  lease_ttl_ms: number;
  renew_ms: number;
  /** This collector's name among the members: letters, digits, _ and -. */
  member_id: string;
  /** Also keep each symbol's feed in sync on its second-ranked member, which takes over without a gap. */
  standby: boolean;
}

export interface CollectorConfig {
  nats: { servers: string[]; auth: NatsClientAuth; max_pending_acks: number; buffer_max_records: number; buffer_max_bytes: number; ack_timeout_ms: number };
  /** Multi-record messages: per subject, at most max_records records / max_bytes bytes, sent after linger_ms at the latest. */
  publish: { max_records: number; max_bytes: number; linger_ms: number; data_types: DataType[] };
  health: { host: string; port: number };
  metrics: { host: string; port: number };
  orderbook: { depth: number; publish_interval_ms: number };
  /** Health: a data type × venue with no record for longer than this is stale (ms). */
  freshness_ms: Record<DataType, number>;
  venues: VenueConfig[];
  fleet: FleetConfig;
  /** What it counted per interval (core/interval-counts.ts), published every interval_ms, aligned to the clock. */
  counts: { interval_ms: number };
  log_level: LogLevel;
}

/** Liquidations are rare (minutes to hours apart): a long threshold, reported but not failing alone. */
export const FRESHNESS_DEFAULTS: Record<DataType, string> = {
  orderbook: '30s',
  trade: '5m',
  funding_rate: '5m',
  open_interest: '10m',
  liquidation: '6h',
  lsr_top_position: '20m',
  lsr_all_account: '20m',
  volatility_index: '5m',
};

/** BTC-USDT; a dated future keeps its expiry, BTC-USD-250627; Deribit currencies: BTC. */
const SYMBOL_RE = /^[A-Z0-9]+(?:-[A-Z0-9]+(?:-\d{6})?)?$/;
/** `all`, or a symbol with `*` for (part of) a name part: `*-USDT`, `BTC-*`, `*-USD-*`. */
const PATTERN_RE = /^(?:all|[A-Z0-9*]+(?:-[A-Z0-9*]+(?:-[0-9*]+)?)?)$/;
const PERIODS = ['5m', '15m', '30m', '1h', '2h', '4h', '6h', '12h', '1d'];

/** `env`: the daemon's environment, whose variables override keys of the file (core/env-overrides.ts). */
export function loadCollectorConfig(file: string, env: Env = process.env): CollectorConfig {
  const root = new ConfigReader(file, readYamlFile(file, { module: 'collector', env }));

  const n = root.child('nats');
  const nats = {
    servers: n.natsServers('servers', ['nats://127.0.0.1:4222']),
    auth: readNatsClientAuth(n, 'collector'),
    max_pending_acks: n.int('max_pending_acks', 2000, 1, 100_000),
    buffer_max_records: n.int('buffer_max_records', 200_000, 100, 10_000_000),
    buffer_max_bytes: n.bytes('buffer_max_bytes', '256MiB'),
    ack_timeout_ms: n.int('ack_timeout_ms', 5000, 100, 120_000),
  };
  // At least a few of the largest records (a 400-level book is about 20 KB; one message at most 512 KiB).
  if (nats.buffer_max_bytes < 1024 * 1024) n.fail('buffer_max_bytes', `expected at least 1MiB, got ${nats.buffer_max_bytes} bytes`);
  n.done();

  const p = root.child('publish');
  const publish = {
    max_records: p.int('max_records', DEFAULT_BATCH.maxRecords, 1, 10_000),
    // Well under NATS' max_payload (1 MiB) and the stream's max_msg_size, headers included.
    max_bytes: p.int('max_bytes', DEFAULT_BATCH.maxBytes, 1024, 512 * 1024),
    linger_ms: p.int('linger_ms', DEFAULT_BATCH.lingerMs, 0, 10_000),
    data_types: p.strings('data_types', [...DEFAULT_BATCH.types]) as DataType[],
  };
  for (const t of publish.data_types) {
    if (!(DATA_TYPES as readonly string[]).includes(t))
      p.fail('data_types', `unknown data type ${JSON.stringify(t)}; expected some of ${DATA_TYPES.join(', ')}`);
  }
  p.done();

  const endpoint = (key: 'health' | 'metrics', port: number) => {
    const r = root.child(key);
    const v = { host: r.string('host', '127.0.0.1'), port: r.int('port', port, 1, 65535) };
    r.done();
    return v;
  };
  const health = endpoint('health', 8087);
  const metrics = endpoint('metrics', 9093);

  const o = root.child('orderbook');
  const orderbook = { depth: o.int('depth', 400, 1, 5000), publish_interval_ms: o.int('publish_interval_ms', 100, 0, 60_000) };
  o.done();

  const f = root.child('freshness');
  const freshness_ms = Object.fromEntries(DATA_TYPES.map((t) => [t, f.durationMs(t, FRESHNESS_DEFAULTS[t])])) as Record<DataType, number>;
  f.done();

  const v = root.child('venues');
  for (const key of v.keys()) {
    if (!(CONFIG_VENUES as readonly string[]).includes(key)) v.fail(key, `unknown venue; expected one of ${CONFIG_VENUES.join(', ')}`);
  }
  const venues = CONFIG_VENUES.filter((name) => v.has(name)).map((name) => readVenue(v.child(name), name));
  v.done();

  const fleet = readFleet(root.child('fleet'));

  const c = root.child('counts');
  const counts = { interval_ms: c.durationMs('interval', '60s', 3_600_000) };
  if (counts.interval_ms < 1000 || counts.interval_ms % 1000 !== 0)
    c.fail('interval', `expected whole seconds, at least 1s (60s: one message a UTC minute), got ${counts.interval_ms} ms`);
  c.done();

  const log_level = root.oneOf('log_level', LOG_LEVELS, 'info');
  root.done();
  return { nats, publish, health, metrics, orderbook, freshness_ms, venues, fleet, counts, log_level };
}

const MEMBER_RE = /^[A-Za-z0-9_-]{1,64}$/;

/** This host's name and the process id, as a member id can hold them. */
export function defaultMemberId(): string {
  return `${hostname()
    .replace(/[^A-Za-z0-9_-]/g, '_')
    .slice(0, 50)}-${process.pid}`;
}

function readFleet(r: ConfigReader): FleetConfig {
  const fleet: FleetConfig = {
    enabled: r.bool('enabled', false),
    bucket: r.string('bucket', 'marketprism_leases'),
    lease_ttl_ms: r.durationMs('lease_ttl', '6s'),
    renew_ms: r.durationMs('renew', '2s'),
    member_id: r.string('member_id', defaultMemberId()),
    standby: r.bool('standby', true),
  };
  if (!/^[A-Za-z0-9_-]+$/.test(fleet.bucket))
    r.fail('bucket', `expected letters, digits, _ and - (a JetStream bucket name), got ${JSON.stringify(fleet.bucket)}`);
  if (!MEMBER_RE.test(fleet.member_id)) r.fail('member_id', `expected 1 to 64 letters, digits, _ and -, got ${JSON.stringify(fleet.member_id)}`);
  if (fleet.lease_ttl_ms < 2000 || fleet.lease_ttl_ms % 1000 !== 0)
    r.fail('lease_ttl', `expected whole seconds, at least 2s (JetStream counts TTLs in seconds), got ${fleet.lease_ttl_ms} ms`);
  if (fleet.renew_ms < 100 || fleet.renew_ms * 2 > fleet.lease_ttl_ms)
    r.fail(
      'renew',
      `expected at least 100ms and at most half of lease_ttl (${fleet.lease_ttl_ms} ms), so one lost renewal does not lose the lease; got ${fleet.renew_ms} ms`,
    );
  r.done();
  return fleet;
}

function readVenue(r: ConfigReader, name: ConfigVenue): VenueConfig {
  const spec = venueOf(name);
  const d = spec.defaults;
  const allowed = spec.types;
  const data_types = r.strings('data_types', d.data_types) as DataType[];
  for (const t of data_types) {
    if (!allowed.includes(t)) r.fail('data_types', `${name} does not deliver ${JSON.stringify(t)}; it can: ${allowed.join(', ')}`);
  }
  const symbols = r.strings('symbols', d.symbols);
  for (const s of symbols) {
    if (isSymbolPattern(s)) {
      if (spec.market === 'index') r.fail('symbols', `${name} takes currencies (BTC, ETH), not patterns; got ${JSON.stringify(s)}`);
      else if (!PATTERN_RE.test(s)) r.fail('symbols', `expected a pattern like *-USDT, BTC-* or all, got ${JSON.stringify(s)}`);
    } else if (!SYMBOL_RE.test(s)) r.fail('symbols', `expected symbols like BTC-USDT (Deribit: BTC), or a pattern like *-USDT, got ${JSON.stringify(s)}`);
  }
  const url = (key: string, def: string, protocols: string[]) => {
    const value = r.string(key, def);
    let u: URL | undefined;
    try {
      u = new URL(value);
    } catch {
      // reported below
    }
    if (!u || !protocols.includes(u.protocol)) r.fail(key, `expected a ${protocols.join(' or ')} URL, got ${JSON.stringify(value)}`);
    return value.replace(/\/+$/, '');
  };
  const lsr_period = r.string('lsr_period', '5m');
  if (!PERIODS.includes(lsr_period)) r.fail('lsr_period', `expected one of ${PERIODS.join(', ')}, got ${JSON.stringify(lsr_period)}`);
  const cfg: VenueConfig = {
    name,
    enabled: r.bool('enabled', true),
    symbols,
    data_types,
    ws_url: url('ws_url', d.ws_url, ['ws:', 'wss:']),
    rest_url: url('rest_url', d.rest_url, ['http:', 'https:']),
    snapshot_limit: r.int('snapshot_limit', d.snapshot_limit, 0, 5000),
    rest_weight_per_minute: r.int('rest_weight_per_minute', d.rest_weight_per_minute, 1, 100_000),
    // 20 requests a second: under OKX's 40 per 2 s for books, Deribit's public 20/s; Binance's limit is the weight.
    rest_spacing_ms: r.durationMs('rest_spacing', '50ms', 10_000),
    max_streams_per_connection: r.int('max_streams_per_connection', d.max_streams_per_connection, 1, 1024),
    rotate_after_ms: r.durationMs('rotate_after', d.rotate_after),
    stale_after_ms: r.durationMs('stale_after', '60s'),
    open_interest_poll_ms: r.durationMs('open_interest_poll', '30s'),
    lsr_poll_ms: r.durationMs('lsr_poll', '60s'),
    lsr_period,
    ticker_interval_ms: r.durationMs('ticker_interval', '1s'),
    instruments_refresh_ms: r.durationMs('instruments_refresh', '1h'),
    max_symbols: r.int('max_symbols', 500, 1, 10_000),
  };
  if (cfg.instruments_refresh_ms < 60_000) r.fail('instruments_refresh', `must be at least 1m, got ${cfg.instruments_refresh_ms} ms`);
  if (cfg.rotate_after_ms > 0 && cfg.rotate_after_ms < 60_000) r.fail('rotate_after', `must be 0 (never) or at least 1m, got ${cfg.rotate_after_ms} ms`);
  if (cfg.stale_after_ms < 1000) r.fail('stale_after', `must be at least 1s, got ${cfg.stale_after_ms} ms`);
  spec.checkConfig?.(cfg, (key, why) => r.fail(key, why));
  r.done();
  return cfg;
}
