/**
 * The original's management verbs on systemd (issue 11): `marketprism health [module]` asks
 * each daemon configured on this host for its /health (the broker: nats-server's /healthz),
 * `marketprism logs <module> [journalctl options]` is journalctl for the module's unit.
 * A module is configured here when its config file exists (`/etc/marketprism/<module>.yaml`,
 * or `--config` for one module).
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadBrokerConfig, type BrokerConfig } from '../broker/config.js';
import { loadCollectorConfig, type CollectorConfig } from '../collector/config.js';
import { ConfigError, resolveConfigPath, type Module as DaemonModule } from '../core/config.js';
import type { Env } from '../core/env-overrides.js';
import { loadStorageConfig, type StorageConfig } from '../storage/config.js';
import { parseEnvironmentFile, unitEnvironment, type UnitEnvironment } from './unit-env.js';

export const MODULES = ['broker', 'collector', 'storage', 'storage-cold'] as const;
export type Module = (typeof MODULES)[number];

export function parseModule(name: string | undefined): Module {
  const m = MODULES.find((x) => x === name);
  if (!m) throw new Error(`unknown module ${JSON.stringify(name ?? '')}; one of ${MODULES.join(', ')}`);
  return m;
}

/** The daemon (config loader, env-overrides sections) a module runs. */
export function daemonOf(module: Module): DaemonModule {
  return module === 'storage-cold' ? 'storage' : module;
}

/**
 * The unit's EnvironmentFiles, in the order systemd reads them (a later one wins): both
 * storage tiers read /etc/default/marketprism-storage, the cold tier then its own
 * /etc/default/marketprism-storage-cold (packaging/packages.yaml).
 */
export function defaultEnvFiles(module: Module): string[] {
  const shared = `/etc/default/marketprism-${daemonOf(module)}`;
  return module === 'storage-cold' ? [shared, '/etc/default/marketprism-storage-cold'] : [shared];
}

/** A module's systemd unit: `marketprism-<module>.service` (the cold tier: marketprism-storage-cold.service). */
export function unitOf(module: Module): string {
  return `marketprism-${module}.service`;
}

export interface ModuleEnv {
  env: Env;
  /** The files read (the unit, its drop-ins, its EnvironmentFiles; or --env-file), comma-separated. */
  file: string | undefined;
  /** Where each variable was set: `drop-in <file>`, `unit <file>`, `EnvironmentFile <file>`. */
  origins: Record<string, string>;
  /** What would stop the unit from starting (a required EnvironmentFile= missing). */
  problems: UnitEnvironment['problems'];
  /** Lines systemd ignores, a pending daemon-reload. */
  notes: string[];
}

/**
 * The environment a module's daemon sees under systemd, as far as the CLI can know it
 * (unit-env.ts): its unit's Environment= and EnvironmentFile= lines, with every drop-in
 * (`systemctl edit`), as systemctl reports them when systemd runs, else read from the
 * files under `root` (default /; without a unit file, the packaged unit's EnvironmentFiles).
 * `envFile` replaces all that with one file (to check a file before installing it). The
 * shell's own environment is not used: the CLI answers for the unit.
 */
export function moduleEnv(module: Module, envFile?: string, root?: string): ModuleEnv {
  if (envFile) {
    if (!existsSync(envFile)) throw new Error(`--env-file ${envFile}: no such file`);
    let text: string;
    try {
      text = readFileSync(envFile, 'utf8');
    } catch (err) {
      throw new ConfigError(envFile, '', `cannot read: ${(err as Error).message}`);
    }
    const notes: string[] = [];
    const env = parseEnvironmentFile(text, (why) => notes.push(`${envFile}: ${why}, ignored (as systemd does)`));
    return { env, file: envFile, origins: Object.fromEntries(Object.keys(env).map((k) => [k, `--env-file ${envFile}`])), problems: [], notes };
  }
  const u = unitEnvironment(unitOf(module), { root, defaultEnvFiles: defaultEnvFiles(module) });
  return { env: u.env, file: u.files.length ? u.files.join(', ') : undefined, origins: u.origins, problems: u.problems, notes: u.notes };
}

export type ModuleConfig =
  { module: 'broker'; config: BrokerConfig } | { module: 'collector'; config: CollectorConfig } | { module: 'storage'; config: StorageConfig };

/** A module's config loaded as its daemon loads it, with the overrides of `env`. */
export function loadModuleConfig(module: Module, file: string, env: Env): ModuleConfig {
  const daemon = daemonOf(module);
  if (daemon === 'broker') return { module: daemon, config: loadBrokerConfig(file, env) };
  if (daemon === 'collector') return { module: daemon, config: loadCollectorConfig(file, env) };
  return { module: daemon, config: loadStorageConfig(file, env) };
}

/** A module's config: --config, else as the daemon finds it (the cold tier: /etc/marketprism/storage-cold.yaml). */
export function configOf(module: Module, explicit: string | undefined): string {
  if (module !== 'storage-cold') return resolveConfigPath(module, explicit);
  if (explicit) return resolve(explicit);
  return existsSync('/etc/marketprism/storage-cold.yaml') ? '/etc/marketprism/storage-cold.yaml' : resolve('config/storage-cold.yaml');
}

/** A listen address as a client on this host reaches it (a wildcard: loopback). */
export function reachableHost(h: string): string {
  return h === '0.0.0.0' || h === '::' ? '127.0.0.1' : h.includes(':') ? `[${h}]` : h;
}

/**
 * The modules configured on this host (their config file exists, in `configDir` when
 * given) and their configs as the daemons load them; a config that does not load is an error
 * naming the module, not an exception, so a report can show the rest.
 */
export function hostModules(
  configDir?: string,
  root?: string,
): {
  modules: Module[];
  fileOf: (m: Module) => string;
  loaded: Map<Module, ModuleConfig>;
  /** The environment each module's unit gives its daemon (moduleEnv). */
  envs: Map<Module, Env>;
  errors: { module: Module; error: string }[];
} {
  const fileOf = (m: Module) => (configDir ? join(configDir, `${m}.yaml`) : configOf(m, undefined));
  const modules = MODULES.filter((m) => existsSync(fileOf(m)));
  if (modules.length === 0) throw new Error(`no module configured on this host (no ${configDir ?? '/etc/marketprism'}/<module>.yaml)`);
  const errors: { module: Module; error: string }[] = [];
  const loaded = new Map<Module, ModuleConfig>();
  const envs = new Map<Module, Env>();
  for (const m of modules) {
    try {
      envs.set(m, moduleEnv(m, undefined, root).env);
      loaded.set(m, loadModuleConfig(m, fileOf(m), envs.get(m)!));
    } catch (err) {
      errors.push({ module: m, error: `invalid config: ${(err as Error).message}` });
    }
  }
  return { modules, fileOf, loaded, envs, errors };
}

/** Where a module's health answers, from its config. */
function healthUrl(loaded: ModuleConfig): string {
  if (loaded.module === 'broker') {
    const c = loaded.config.nats_server;
    return `http://${reachableHost(c.monitor_host)}:${c.monitor_port}/healthz`;
  }
  const c = loaded.config;
  return `http://${reachableHost(c.health.host)}:${c.health.port}/health`;
}

export interface ModuleHealth {
  module: Module;
  config: string;
  url: string;
  /** healthy / degraded / failing as the daemon says (the broker: ok or not), or unreachable. */
  status: string;
  body?: unknown;
  error?: string;
}

export async function moduleHealth(module: Module, file: string, env: Env = moduleEnv(module).env): Promise<ModuleHealth> {
  const url = healthUrl(loadModuleConfig(module, file, env));
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(3000) });
    const text = await res.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // nats-server answers JSON; anything else is shown as it is
    }
    const said = typeof body === 'object' && body !== null ? (body as { status?: unknown }).status : undefined;
    const status = module === 'broker' ? (res.ok ? 'healthy' : 'failing') : typeof said === 'string' ? said : res.ok ? 'healthy' : 'failing';
    return { module, config: file, url, status, body };
  } catch (err) {
    return { module, config: file, url, status: 'unreachable', error: (err as Error).message };
  }
}

/** `marketprism health [module] [--config FILE] [--json]`: exit 0 only when every module asked is healthy. */
export async function health(args: string[], explicitConfig: string | undefined, json: boolean, root?: string): Promise<number> {
  const named = args[0] === undefined || args[0] === 'all' ? undefined : parseModule(args[0]);
  if (explicitConfig && !named) throw new Error('--config needs a module: marketprism health <module> --config FILE');
  const modules = named ? [named] : MODULES.filter((m) => existsSync(configOf(m, undefined)));
  if (modules.length === 0) throw new Error('no module configured on this host (no /etc/marketprism/<module>.yaml)');
  const results = await Promise.all(
    modules.map((m) => moduleHealth(m, configOf(m, m === named ? explicitConfig : undefined), moduleEnv(m, undefined, root).env)),
  );
  if (json) console.log(JSON.stringify(results, null, 2));
  else
    for (const r of results) {
      const reasons = (r.body as { reasons?: string[] } | undefined)?.reasons;
      console.log(`${r.module}: ${r.status}${r.error ? ` (${r.url}: ${r.error})` : ''}${reasons?.length ? ` (${reasons.join('; ')})` : ''}`);
    }
  return results.every((r) => r.status === 'healthy') ? 0 : 1;
}

/** `marketprism logs <module> [journalctl options...]`: the module's journal (e.g. -f, --since "1 hour ago", -p warning). */
export function logs(args: string[]): Promise<number> {
  const module = parseModule(args[0]);
  const unit = `marketprism-${module}`;
  const child = spawn('journalctl', ['-u', unit, '--no-hostname', '-o', 'short-iso', ...args.slice(1)], { stdio: 'inherit' });
  return new Promise((resolve) => {
    child.on('error', (err) => {
      console.error(`marketprism: journalctl: ${err.message}`);
      resolve(1);
    });
    child.on('exit', (code) => resolve(code ?? 1));
  });
}
