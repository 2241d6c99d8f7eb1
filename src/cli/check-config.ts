/**
 * `marketprism check-config [module|FILE] [--env-file FILE] [--root DIR] [--json]`: loads each
 * config as its daemon does (the file, then the overrides of the unit's environment: its
 * Environment= and EnvironmentFile= lines and those of its drop-ins, ops.ts moduleEnv),
 * reports every problem (file, key, value) and prints the effective value of each key with
 * where it came from: the file, an environment variable and the file that set it, or the default.
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import { ConfigErrors, traceConfig, type TracedKey } from '../core/config.js';
import { ignoredVariables } from '../core/env-overrides.js';
import { MODULES, configOf, daemonOf, loadModuleConfig, moduleEnv, parseModule, type Module } from './ops.js';

export interface ConfigCheck {
  module: Module;
  file: string;
  /** The unit files, drop-ins and environment files read (comma-separated), if any. */
  env_file: string | undefined;
  /** Where each environment variable was set: `drop-in <file>`, `unit <file>`, `EnvironmentFile <file>`, `--env-file <file>`. */
  env_origins: Record<string, string>;
  /** Unit lines systemd ignores, a pending daemon-reload. */
  notes: string[];
  valid: boolean;
  problems: { file: string; key: string; reason: string }[];
  keys: TracedKey[];
  /** MARKETPRISM_ variables of the environment that are no key of this daemon's file. */
  ignored: string[];
}

/** The module a config file is for: by its top-level keys, else by its name. */
export function moduleOfFile(file: string): Module {
  let top: string[] = [];
  try {
    const v: unknown = parseDocument(readFileSync(file, 'utf8')).toJS();
    if (typeof v === 'object' && v !== null) top = Object.keys(v);
  } catch {
    // unreadable: the load reports it; guess by name below
  }
  if (top.includes('nats_server')) return 'broker';
  if (top.some((k) => ['clickhouse', 'tier', 'batch'].includes(k))) return basename(file).includes('cold') ? 'storage-cold' : 'storage';
  if (top.some((k) => ['venues', 'publish', 'metrics', 'orderbook', 'freshness'].includes(k))) return 'collector';
  const name = basename(file);
  const m = MODULES.find((x) => name === `${x}.yaml`) ?? MODULES.find((x) => name.startsWith(daemonOf(x)));
  if (!m) throw new Error(`cannot tell which daemon ${file} is for: add --module ${MODULES.join('|')}`);
  return m;
}

export function checkModuleConfig(module: Module, file: string, envFile?: string, root?: string): ConfigCheck {
  const { env, file: env_file, origins, problems: unitProblems, notes } = moduleEnv(module, envFile, root);
  const traced = traceConfig(() => loadModuleConfig(module, file, env));
  const err = traced.error;
  const problems = [...unitProblems, ...(err instanceof ConfigErrors ? err.problems : err ? [err] : [])];
  return {
    module,
    file,
    env_file,
    env_origins: origins,
    notes,
    valid: problems.length === 0,
    problems: problems.map((p) => ({ file: p.file, key: p.key, reason: p.reason })),
    keys: dedupe(traced.keys),
    ignored: ignoredVariables(daemonOf(module), env),
  };
}

/** The last reading of each key (a key read twice, e.g. a default re-checked, shows once). */
function dedupe(keys: TracedKey[]): TracedKey[] {
  const byKey = new Map<string, TracedKey>();
  for (const k of keys) byKey.set(`${k.file}\0${k.key}`, k);
  return [...byKey.values()];
}

/** A value as a person reads it; a URL's user and password are masked (they must never be shown). */
export function showValue(v: unknown): string {
  const mask = (s: string) => s.replace(/(\w+:\/\/)[^/@\s]*@/g, '$1***@');
  if (typeof v === 'string') return mask(v);
  return mask(JSON.stringify(v) ?? 'none');
}

function sourceText(c: ConfigCheck, k: TracedKey): string {
  if (k.source === 'file') return k.file === c.file ? 'file' : k.file;
  if (k.source === 'default') return 'default';
  const origin = c.env_origins[k.source];
  return `env ${k.source}${origin ? ` (${origin})` : ''}`;
}

export function formatCheck(c: ConfigCheck): string {
  const lines = [`${c.module}: ${c.file}${c.env_file ? ` + ${c.env_file}` : ''}: ${c.valid ? 'valid' : `${c.problems.length} problem(s)`}`];
  for (const p of c.problems) lines.push(`  error: ${p.file}: ${p.key ? `${p.key}: ` : ''}${p.reason}`);
  const rows = c.keys.map((k) => [k.key, showValue(k.value), sourceText(c, k)] as const);
  const w0 = Math.max(3, ...rows.map((r) => r[0].length));
  const w1 = Math.min(60, Math.max(5, ...rows.map((r) => r[1].length)));
  if (rows.length) lines.push(`  ${'key'.padEnd(w0)}  ${'value'.padEnd(w1)}  from`);
  for (const [k, v, s] of rows) lines.push(`  ${k.padEnd(w0)}  ${v.padEnd(w1)}  ${s}`);
  for (const v of c.ignored) lines.push(`  ignored: ${v} (its first level is no top-level key of ${daemonOf(c.module)}.yaml)`);
  for (const n of c.notes) lines.push(`  note: ${n}`);
  return lines.join('\n') + '\n';
}

/** `marketprism check-config [module|FILE] [--module M] [--env-file FILE] [--root DIR] [--json]`: exit 1 when any config has a problem. */
export function checkConfig(args: string[], opts: { config?: string; envFile?: string; module?: string; root?: string; json: boolean }): number {
  const target = args[0];
  if (args.length > 1) throw new Error(`check-config: unexpected ${args.slice(1).join(' ')}`);
  let todo: { module: Module; file: string }[];
  if (target && (MODULES as readonly string[]).includes(target)) {
    const module = parseModule(target);
    todo = [{ module, file: configOf(module, opts.config) }];
  } else if (target || opts.config) {
    const file = resolve(target ?? opts.config!);
    todo = [{ module: opts.module ? parseModule(opts.module) : moduleOfFile(file), file }];
  } else {
    todo = MODULES.map((m) => ({ module: m, file: configOf(m, undefined) })).filter((t) => existsSync(t.file));
    if (todo.length === 0) throw new Error('no module configured on this host (no /etc/marketprism/<module>.yaml); name a module or a file');
  }
  if (opts.envFile && todo.length > 1) throw new Error('--env-file needs one module or file');
  const checks = todo.map((t) => checkModuleConfig(t.module, t.file, opts.envFile, opts.root));
  process.stdout.write(opts.json ? JSON.stringify(checks, null, 2) + '\n' : checks.map(formatCheck).join('\n'));
  return checks.every((c) => c.valid) ? 0 : 1;
}
