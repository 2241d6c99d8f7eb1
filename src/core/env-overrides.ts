/**
 * Environment variables as overrides of a daemon's config file (issue 11), so that
 * `/etc/default/marketprism-<module>` or `systemctl edit` can change a port without
 * editing the conffile. One place for the names (docs/configuration.md, "Environment
 * overrides"):
 *
 * - `MARKETPRISM_<SECTION>__<KEY>[__<KEY>...]`: any key; `__` separates the levels of
 *   nesting, a single `_` stays part of a key's name, names are matched in lower case:
 *   `MARKETPRISM_HEALTH__PORT=9000` is `health.port`, `MARKETPRISM_NATS_SERVER__PORT` the
 *   broker's `nats_server.port`, `MARKETPRISM_VENUES__OKX_SPOT__ENABLED=false`,
 *   `MARKETPRISM_LOG_LEVEL=debug`. Only names whose first level is a top-level key of the
 *   daemon's file are taken (so another daemon's variables, `MARKETPRISM_CONFIG` and the
 *   test suite's `MARKETPRISM_FUZZ_SEED` are left alone); `marketprism check-config` lists
 *   the MARKETPRISM_ variables it ignored.
 * - The original MarketPrism's names: `HEALTH_CHECK_PORT` and `METRICS_PORT` (collector),
 *   `NATS_URL` (collector and storage: `nats.servers`, a comma-separated list; broker: the
 *   host and port nats-server listens on). A `MARKETPRISM_` name for the same key wins.
 *
 * A value is parsed as the YAML it would be in the file (`9000` a number, `false` a
 * boolean, `[a, b]` a list, `{port: 1}` a mapping) and then checked by the same reader
 * as the file, so a bad value gets the same error, naming the variable. An empty value
 * counts as unset. Secrets stay in files: a key whose name holds `password`, `secret` or
 * `token` is refused unless it is a `*_file` path.
 */
import { parseDocument } from 'yaml';
import { ConfigError, type Module } from './config.js';

export type Env = Readonly<Record<string, string | undefined>>;

/** One override: the variable, the key path it sets (dotted, lower case) and the value as parsed. */
export interface EnvOverride {
  variable: string;
  key: string;
  value: unknown;
}

export const ENV_PREFIX = 'MARKETPRISM_';

/** The top-level keys of each daemon's file: the first level of a MARKETPRISM_ name must be one of them. */
export const CONFIG_SECTIONS: Record<Module, readonly string[]> = {
  broker: ['nats_server', 'streams_file', 'log_level'],
  collector: ['nats', 'publish', 'health', 'metrics', 'orderbook', 'freshness', 'venues', 'fleet', 'counts', 'log_level'],
  storage: ['tier', 'nats', 'clickhouse', 'batch', 'health', 'cold', 'log_level'],
};

/** The original's variables: name → how it sets keys (values as the env gives them). */
type Legacy = Record<string, (value: string, variable: string) => EnvOverride[]>;

const natsServersFromUrl = (value: string, variable: string): EnvOverride[] => [
  {
    variable,
    key: 'nats.servers',
    value: value
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  },
];

const scalar = (key: string) => (value: string, variable: string) => [{ variable, key, value: parseValue(variable, value) }];

/** The broker serves NATS: NATS_URL names the address and port nats-server listens on. */
function brokerListen(value: string, variable: string): EnvOverride[] {
  let u: URL | undefined;
  try {
    u = new URL(value.trim());
  } catch {
    // reported below
  }
  if (!u || !['nats:', 'tls:'].includes(u.protocol) || !u.hostname || !u.port)
    throw new ConfigError(`environment variable ${variable}`, '', `expected nats://host:port (where nats-server listens), got ${JSON.stringify(value)}`);
  if (u.username || u.password) throw new ConfigError(`environment variable ${variable}`, '', 'a URL with user or password in it: passwords stay in files');
  const host = u.hostname.replace(/^\[(.*)\]$/, '$1');
  return [
    { variable, key: 'nats_server.host', value: host },
    { variable, key: 'nats_server.port', value: Number(u.port) },
  ];
}

export const LEGACY_VARIABLES: Record<Module, Legacy> = {
  broker: { NATS_URL: brokerListen },
  collector: { NATS_URL: natsServersFromUrl, HEALTH_CHECK_PORT: scalar('health.port'), METRICS_PORT: scalar('metrics.port') },
  storage: { NATS_URL: natsServersFromUrl },
};

const SECRET_RE = /password|secret|token/;

function parseValue(variable: string, text: string): unknown {
  const doc = parseDocument(text);
  if (doc.errors.length > 0) throw new ConfigError(`environment variable ${variable}`, '', `invalid YAML value: ${doc.errors[0]!.message.split('\n')[0]}`);
  return doc.toJS() as unknown;
}

/** The key path a MARKETPRISM_ name means for `module`, or undefined when it is not one of this daemon's. */
export function keyOfVariable(module: Module, variable: string): string | undefined {
  if (!variable.startsWith(ENV_PREFIX)) return undefined;
  const parts = variable.slice(ENV_PREFIX.length).toLowerCase().split('__');
  if (!CONFIG_SECTIONS[module].includes(parts[0]!)) return undefined;
  if (parts.some((p) => p === '')) throw new ConfigError(`environment variable ${variable}`, '', 'an empty level: separate keys with exactly two underscores');
  return parts.join('.');
}

/**
 * The overrides `env` makes to `module`'s config, the original's names first (a
 * MARKETPRISM_ name for the same key is applied later, so it wins). Throws ConfigError
 * naming the variable for a value that is not YAML or a secret.
 */
export function envOverrides(module: Module, env: Env): EnvOverride[] {
  const out: EnvOverride[] = [];
  for (const [name, set] of Object.entries(LEGACY_VARIABLES[module])) {
    const value = env[name];
    if (value !== undefined && value !== '') out.push(...set(value, name));
  }
  for (const [variable, value] of Object.entries(env).sort(([a], [b]) => a.localeCompare(b))) {
    if (value === undefined || value === '') continue;
    const key = keyOfVariable(module, variable);
    if (!key) continue;
    const last = key.split('.').at(-1)!;
    if (SECRET_RE.test(last) && !last.endsWith('_file')) {
      throw new ConfigError(
        `environment variable ${variable}`,
        '',
        `secrets are not taken from the environment (it shows in /proc, systemctl show and crash reports); put it in a file (mode 0640 root:marketprism) and set ${key}_file`,
      );
    }
    out.push({ variable, key, value: parseValue(variable, value) });
  }
  return out;
}

/** MARKETPRISM_ variables in `env` that are no daemon's key for `module` (a misspelt section), for check-config. */
export function ignoredVariables(module: Module, env: Env): string[] {
  const reserved = new Set(['MARKETPRISM_CONFIG']);
  return Object.keys(env)
    .filter((v) => v.startsWith(ENV_PREFIX) && !reserved.has(v) && keyOfVariable(module, v) === undefined)
    .sort();
}

/**
 * Sets each override's key in `doc` (a config file's mapping), making the mappings on
 * the way; returns key path → variable for the keys set, for error messages and check-config.
 * A level that is not a mapping in the file (a scalar where the variable goes deeper) is
 * replaced by one, so the reader reports the key as it would in the file.
 */
export function applyOverrides(doc: Record<string, unknown>, overrides: readonly EnvOverride[]): Map<string, string> {
  const origins = new Map<string, string>();
  for (const o of overrides) {
    const parts = o.key.split('.');
    let at = doc;
    for (const p of parts.slice(0, -1)) {
      const next = at[p];
      if (typeof next !== 'object' || next === null || Array.isArray(next)) at[p] = {};
      at = at[p] as Record<string, unknown>;
    }
    at[parts.at(-1)!] = o.value;
    // A key set again deeper down (health then health.port) keeps the latest variable for it.
    for (const k of [...origins.keys()]) if (k.startsWith(`${o.key}.`)) origins.delete(k);
    origins.set(o.key, o.variable);
  }
  return origins;
}

/** The variable that set `key` or one of the mappings it is in, if any. */
export function originOf(origins: ReadonlyMap<string, string> | undefined, key: string): string | undefined {
  if (!origins || origins.size === 0) return undefined;
  for (let k = key; k; k = k.includes('.') ? k.slice(0, k.lastIndexOf('.')) : '') {
    const o = origins.get(k.replace(/\[\d+\]$/, ''));
    if (o) return o;
  }
  return undefined;
}
