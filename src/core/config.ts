/**
 * Loading and checking YAML config. Each daemon declares its own shape with a
 * ConfigReader; every error names the file, the key path and the bad value, and
 * unknown keys are errors (a typo must not be silently ignored, as it was in the original).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import { show } from './show.js';

export class ConfigError extends Error {
  override name = 'ConfigError';
  constructor(
    readonly file: string,
    readonly key: string,
    message: string,
  ) {
    super(`${file}: ${key ? `${key}: ` : ''}${message}`);
  }
}

export type Module = 'broker' | 'storage' | 'collector';

/** `--config`, else $MARKETPRISM_CONFIG, else /etc/marketprism/<module>.yaml, else ./config/<module>.yaml. */
export function resolveConfigPath(module: Module, explicit?: string): string {
  if (explicit) return resolve(explicit);
  if (process.env.MARKETPRISM_CONFIG) return resolve(process.env.MARKETPRISM_CONFIG);
  const etc = `/etc/marketprism/${module}.yaml`;
  if (existsSync(etc)) return etc;
  return resolve('config', `${module}.yaml`);
}

export function readYamlFile(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(file, '', `cannot read: ${(err as Error).message}`);
  }
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length > 0) throw new ConfigError(file, '', `invalid YAML: ${doc.errors[0]!.message}`);
  return doc.toJS() ?? {};
}

/** A path relative to the config file that names it. */
export function relativeTo(file: string, path: string): string {
  return isAbsolute(path) ? path : resolve(dirname(file), path);
}

const DURATION_RE = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/;
const DURATION_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const BYTES_RE = /^(\d+(?:\.\d+)?)\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)?$/i;
const BYTES_UNIT: Record<string, number> = {
  b: 1, kb: 1e3, mb: 1e6, gb: 1e9, tb: 1e12, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3, tib: 1024 ** 4,
};

/** Reads one mapping of a config file; `done()` rejects keys nobody asked for. */
export class ConfigReader {
  private readonly seen = new Set<string>();
  private readonly obj: Record<string, unknown>;

  constructor(
    readonly file: string,
    value: unknown,
    readonly path = '',
  ) {
    if (value === undefined || value === null) value = {};
    if (typeof value !== 'object' || Array.isArray(value)) {
      throw new ConfigError(file, path, `expected a mapping, got ${show(value)}`);
    }
    this.obj = value as Record<string, unknown>;
  }

  private key(k: string): string {
    return this.path ? `${this.path}.${k}` : k;
  }

  private get(k: string): unknown {
    this.seen.add(k);
    return this.obj[k];
  }

  fail(k: string, message: string): never {
    throw new ConfigError(this.file, this.key(k), message);
  }

  has(k: string): boolean {
    return this.obj[k] !== undefined && this.obj[k] !== null;
  }

  string(k: string, def?: string): string {
    const v = this.get(k) ?? def;
    if (typeof v !== 'string') this.fail(k, `expected a string, got ${show(v)}`);
    return v;
  }

  int(k: string, def: number | undefined, min = -Infinity, max = Infinity): number {
    const v = this.get(k) ?? def;
    if (typeof v !== 'number' || !Number.isInteger(v)) this.fail(k, `expected an integer, got ${show(v)}`);
    if (v < min || v > max) this.fail(k, `must be between ${min} and ${max}, got ${v}`);
    return v;
  }

  bool(k: string, def?: boolean): boolean {
    const v = this.get(k) ?? def;
    if (typeof v !== 'boolean') this.fail(k, `expected true or false, got ${show(v)}`);
    return v;
  }

  oneOf<T extends string>(k: string, choices: readonly T[], def?: T): T {
    const v = this.get(k) ?? def;
    if (!choices.includes(v as T)) this.fail(k, `expected one of ${choices.join(', ')}, got ${show(v)}`);
    return v as T;
  }

  strings(k: string, def?: string[]): string[] {
    const v = this.get(k) ?? def;
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) this.fail(k, `expected a list of strings, got ${show(v)}`);
    return v as string[];
  }

  /** "500ms", "30s", "2m", "48h", "7d" or a number of milliseconds. */
  durationMs(k: string, def?: string | number): number {
    const v = this.get(k) ?? def;
    if (typeof v === 'number' && v >= 0) return v;
    const m = typeof v === 'string' ? DURATION_RE.exec(v) : null;
    if (!m) this.fail(k, `expected a duration like 500ms, 30s, 5m, 48h, got ${show(v)}`);
    return Number(m[1]) * DURATION_MS[m[2] as keyof typeof DURATION_MS];
  }

  /** "256MB", "2GiB" or a number of bytes. */
  bytes(k: string, def?: string | number): number {
    const v = this.get(k) ?? def;
    if (typeof v === 'number' && Number.isInteger(v) && v >= -1) return v; // -1: unlimited
    const m = typeof v === 'string' ? BYTES_RE.exec(v.trim()) : null;
    if (!m) this.fail(k, `expected a size like 512MB or 2GiB, got ${show(v)}`);
    return Math.round(Number(m[1]) * BYTES_UNIT[(m[2] ?? 'b').toLowerCase()]!);
  }

  child(k: string): ConfigReader {
    return new ConfigReader(this.file, this.get(k), this.key(k));
  }

  /** Sub-readers for a list of mappings. */
  list(k: string, def: unknown[] = []): ConfigReader[] {
    const v = this.get(k) ?? def;
    if (!Array.isArray(v)) this.fail(k, `expected a list, got ${show(v)}`);
    return v.map((item, i) => new ConfigReader(this.file, item, `${this.key(k)}[${i}]`));
  }

  /** Keys of a mapping whose entries are read with `child`. */
  keys(): string[] {
    return Object.keys(this.obj);
  }

  /** Throws on any key that was never read. */
  done(): void {
    for (const k of Object.keys(this.obj)) {
      if (!this.seen.has(k)) this.fail(k, 'unknown key (misspelt?)');
    }
  }
}
