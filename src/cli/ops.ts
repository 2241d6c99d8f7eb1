/**
 * The original's management verbs on systemd (issue 11): `marketprism health [module]` asks
 * each daemon configured on this host for its /health (the broker: nats-server's /healthz),
 * `marketprism logs <module> [journalctl options]` is journalctl for the module's unit.
 * A module is configured here when its config file exists (`/etc/marketprism/<module>.yaml`,
 * or `--config` for one module).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { loadBrokerConfig } from '../broker/config.js';
import { loadCollectorConfig } from '../collector/config.js';
import { resolveConfigPath } from '../core/config.js';
import { loadStorageConfig } from '../storage/config.js';

export const MODULES = ['broker', 'collector', 'storage', 'storage-cold'] as const;
export type Module = (typeof MODULES)[number];

export function parseModule(name: string | undefined): Module {
  const m = MODULES.find((x) => x === name);
  if (!m) throw new Error(`unknown module ${JSON.stringify(name ?? '')}; one of ${MODULES.join(', ')}`);
  return m;
}

/** A module's config: --config, else as the daemon finds it (the cold tier: /etc/marketprism/storage-cold.yaml). */
function configOf(module: Module, explicit: string | undefined): string {
  if (module !== 'storage-cold') return resolveConfigPath(module, explicit);
  if (explicit) return resolve(explicit);
  return existsSync('/etc/marketprism/storage-cold.yaml') ? '/etc/marketprism/storage-cold.yaml' : resolve('config/storage-cold.yaml');
}

/** Where a module's health answers, from its config. */
function healthUrl(module: Module, file: string): string {
  const host = (h: string) => (h === '0.0.0.0' || h === '::' ? '127.0.0.1' : h.includes(':') ? `[${h}]` : h);
  if (module === 'broker') {
    const c = loadBrokerConfig(file).nats_server;
    return `http://${host(c.monitor_host)}:${c.monitor_port}/healthz`;
  }
  const c = module === 'collector' ? loadCollectorConfig(file) : loadStorageConfig(file);
  return `http://${host(c.health.host)}:${c.health.port}/health`;
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

export async function moduleHealth(module: Module, file: string): Promise<ModuleHealth> {
  const url = healthUrl(module, file);
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
export async function health(args: string[], explicitConfig: string | undefined, json: boolean): Promise<number> {
  const named = args[0] === undefined || args[0] === 'all' ? undefined : parseModule(args[0]);
  if (explicitConfig && !named) throw new Error('--config needs a module: marketprism health <module> --config FILE');
  const modules = named ? [named] : MODULES.filter((m) => existsSync(configOf(m, undefined)));
  if (modules.length === 0) throw new Error('no module configured on this host (no /etc/marketprism/<module>.yaml)');
  const results = await Promise.all(modules.map((m) => moduleHealth(m, configOf(m, m === named ? explicitConfig : undefined))));
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
