/**
 * Loading and checking YAML config. Each daemon declares its own shape with a
 * ConfigReader; every error names the file, the key path and the bad value, and
 * unknown keys are errors (a typo must not be silently ignored, as it was in the original).
 */
import { accessSync, constants, existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import { applyOverrides, envOverrides, originOf, type Env } from './env-overrides.js';
import { show } from './show.js';

export class ConfigError extends Error {
  override name = 'ConfigError';
  constructor(
    readonly file: string,
    readonly key: string,
    /** What is wrong, without the file and key. */
    readonly reason: string,
  ) {
    super(`${file}: ${key ? `${key}: ` : ''}${reason}`);
  }
}

/** Every problem found in one check of the config, reported together (one per key). */
export class ConfigErrors extends ConfigError {
  override name = 'ConfigErrors';
  constructor(readonly problems: readonly ConfigError[]) {
    super(problems[0]!.file, problems[0]!.key, '');
    this.message = problems.length === 1 ? problems[0]!.message : `${problems.length} problems:\n${problems.map((p) => `  ${p.message}`).join('\n')}`;
  }
}

/**
 * Collects the problems of one or more config files so that a check reports all of
 * them at once; the first problem per key is kept (a bad value is not reported again
 * by the checks that use it).
 */
export class ConfigProblems {
  private readonly list: ConfigError[] = [];

  add(file: string, key: string, message: string): void {
    if (!this.list.some((p) => p.file === file && p.key === key)) this.list.push(new ConfigError(file, key, message));
  }

  get count(): number {
    return this.list.length;
  }

  /** A reader of `file` (with `env`'s overrides, as readYamlFile) whose problems land here; undefined (and a problem) when the file cannot be read. */
  readFile(file: string, env?: ModuleEnv): ConfigReader | undefined {
    try {
      return new ConfigReader(file, readYamlFile(file, env), '', this);
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      this.add(err.file, err.key, err.reason);
      return undefined;
    }
  }

  /** Throws ConfigErrors naming every problem, if there is any. */
  throwIfAny(): void {
    if (this.list.length > 0) throw new ConfigErrors([...this.list]);
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

/** A path relative to the config file that names it. */
export function relativeTo(file: string, path: string): string {
  return isAbsolute(path) ? path : resolve(dirname(file), path);
}

const DURATION_RE = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/;
const DURATION_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const BYTES_RE = /^(\d+(?:\.\d+)?)\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)?$/i;
// prettier-ignore -- a table, laid out by hand
const BYTES_UNIT: Record<string, number> = {
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
  tib: 1024 ** 4,
};

/** The longest delay setTimeout/setInterval hold (2^31-1 ms, about 24.8 days); longer ones fire at once. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** A duration in ms as an operator would write it: "24.8d", "90m", "1500ms". */
export function formatDuration(ms: number): string {
  for (const [unit, size] of [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
  ] as const) {
    if (ms >= size) return `${Math.floor((ms / size) * 10) / 10}${unit}`;
  }
  return `${ms}ms`;
}

/**
 * Values that came from a config file: their readers collect every problem for `done()`;
 * the map says which keys environment variables set (key path → variable).
 */
const fileDocuments = new WeakMap<object, ReadonlyMap<string, string>>();
/** The files read with a daemon's environment (its main config, not e.g. the broker's streams file). */
const overriddenDocuments = new WeakSet<object>();

/** Whose environment overrides a file: the daemon's module and the variables (env-overrides.ts). */
export interface ModuleEnv {
  module: Module;
  env: Env;
}

/** One key as a check read it: its value as written (or the default), and where that came from. */
export interface TracedKey {
  file: string;
  key: string;
  value: unknown;
  /** `file`, `default`, or the environment variable that set it. */
  source: string;
}

let tracing: TracedKey[] | undefined;
/** The top-level keys a traced load asked for (sections included): env-overrides' CONFIG_SECTIONS is checked against them. */
let tracingTop: Set<string> | undefined;

/**
 * Runs `load` (a daemon's config loader) noting every key it reads: for `check-config`.
 * The loaders are synchronous, so nothing else reads config meanwhile.
 */
export function traceConfig<T>(load: () => T): { keys: TracedKey[]; topLevel: string[]; config?: T; error?: ConfigError } {
  const keys: TracedKey[] = [];
  const top = new Set<string>();
  tracing = keys;
  tracingTop = top;
  try {
    const config = load();
    return { keys, topLevel: [...top], config };
  } catch (error) {
    if (error instanceof ConfigError) return { keys, topLevel: [...top], error };
    throw error;
  } finally {
    tracing = undefined;
    tracingTop = undefined;
  }
}

/** The YAML of `file`, with the overrides of `env` (the daemon's environment) applied. */
export function readYamlFile(file: string, env?: ModuleEnv): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(file, '', `cannot read: ${(err as Error).message}`);
  }
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length > 0) throw new ConfigError(file, '', `invalid YAML: ${doc.errors[0]!.message}`);
  const value: unknown = doc.toJS() ?? {};
  const overrides = env ? envOverrides(env.module, env.env) : [];
  if (overrides.length > 0 && (typeof value !== 'object' || value === null || Array.isArray(value))) {
    throw new ConfigError(
      file,
      '',
      `expected a mapping at the top level (environment variables ${overrides.map((o) => o.variable).join(', ')} set keys in it)`,
    );
  }
  if (typeof value === 'object' && value !== null) {
    fileDocuments.set(value, applyOverrides(value as Record<string, unknown>, overrides));
    if (env) overriddenDocuments.add(value);
  }
  return value;
}

/**
 * Reads one mapping of a config file; `done()` rejects keys nobody asked for.
 *
 * A reader of a config file (readYamlFile, or ConfigProblems.readFile) collects its
 * problems: a getter whose value is wrong records it and returns the default (or an
 * empty value) so the rest of the file is still checked, and the root reader's `done()`
 * throws them all as one ConfigErrors. A reader of any other value (a command-line
 * option) throws at the first problem. Readers made by a ConfigProblems leave the
 * throwing to `ConfigProblems.throwIfAny()`.
 */
export class ConfigReader {
  private readonly seen = new Set<string>();
  private readonly obj: Record<string, unknown>;
  private readonly problems: ConfigProblems;
  /** This reader made `problems` itself and throws them at `done()`. */
  private readonly ownsProblems: boolean;
  private readonly throwAtOnce: boolean;
  /** Key path → the environment variable that set it (env-overrides.ts). */
  private readonly origins: ReadonlyMap<string, string> | undefined;

  constructor(
    readonly file: string,
    value: unknown,
    readonly path = '',
    problems?: ConfigProblems,
    throwAtOnce?: boolean,
    origins?: ReadonlyMap<string, string>,
  ) {
    this.problems = problems ?? new ConfigProblems();
    this.ownsProblems = !problems;
    const fromFile = typeof value === 'object' && value !== null ? fileDocuments.get(value) : undefined;
    this.origins = origins ?? fromFile;
    this.throwAtOnce = throwAtOnce ?? !fromFile;
    if (value === undefined || value === null) value = {};
    if (typeof value !== 'object' || Array.isArray(value)) {
      this.report(path, `expected a mapping, got ${show(value)}`);
      value = {};
    }
    this.obj = value as Record<string, unknown>;
  }

  private key(k: string): string {
    return this.path ? `${this.path}.${k}` : k;
  }

  /** The value of `k`, else `def`; a scalar or list read while tracing is noted with its source. */
  private get(k: string, def?: unknown, trace = true): unknown {
    this.seen.add(k);
    const v = this.obj[k];
    if (tracingTop && this.path === '' && overriddenDocuments.has(this.obj)) tracingTop.add(k);
    if (tracing && trace) {
      const key = this.key(k);
      const source = v === undefined || v === null ? 'default' : (originOf(this.origins, key) ?? 'file');
      tracing.push({ file: this.file, key, value: v ?? def, source });
    }
    return v ?? def;
  }

  private report(key: string, reason: string): void {
    const variable = originOf(this.origins, key);
    const message = variable ? `${reason} (set by environment variable ${variable})` : reason;
    if (this.throwAtOnce) throw new ConfigError(this.file, key, message);
    this.problems.add(this.file, key, message);
  }

  /** Records (or, for a reader of a non-file value, throws) a problem with key `k`. */
  fail(k: string, message: string): void {
    this.report(this.key(k), message);
  }

  /** The value of `k` as written (marked as read), for keys with more than one shape. */
  raw(k: string): unknown {
    return this.get(k, undefined, false);
  }

  has(k: string): boolean {
    return this.obj[k] !== undefined && this.obj[k] !== null;
  }

  /** The value of `k` if `ok`, else the problem is recorded and `def` (when valid) or `empty` is returned. */
  private checked<T>(k: string, v: unknown, ok: (v: unknown) => v is T, message: string, def: unknown, empty: T): T {
    if (ok(v)) return v;
    this.fail(k, message);
    return ok(def) ? def : empty;
  }

  string(k: string, def?: string): string {
    const v = this.get(k, def);
    return this.checked(k, v, (x): x is string => typeof x === 'string', `expected a string, got ${show(v)}`, def, '');
  }

  int(k: string, def: number | undefined, min = -Infinity, max = Infinity): number {
    const v = this.get(k, def);
    const isInt = (x: unknown): x is number => typeof x === 'number' && Number.isInteger(x);
    if (!isInt(v)) return this.checked(k, v, isInt, `expected an integer, got ${show(v)}`, def, Math.max(min, 0));
    if (v < min || v > max) {
      this.fail(k, `must be between ${min} and ${max}, got ${v}`);
      return def !== undefined && def >= min && def <= max ? def : Math.max(min, Math.min(max, 0));
    }
    return v;
  }

  bool(k: string, def?: boolean): boolean {
    const v = this.get(k, def);
    return this.checked(k, v, (x): x is boolean => typeof x === 'boolean', `expected true or false, got ${show(v)}`, def, false);
  }

  oneOf<T extends string>(k: string, choices: readonly T[], def?: T): T {
    const v = this.get(k, def);
    const ok = (x: unknown): x is T => choices.includes(x as T);
    return this.checked(k, v, ok, `expected one of ${choices.join(', ')}, got ${show(v)}`, def, choices[0]!);
  }

  strings(k: string, def?: string[]): string[] {
    const v = this.get(k, def);
    const ok = (x: unknown): x is string[] => Array.isArray(x) && x.every((s) => typeof s === 'string');
    return this.checked(k, v, ok, `expected a list of strings, got ${show(v)}`, def, []);
  }

  /**
   * "500ms", "30s", "2m", "48h", "7d" or a number of milliseconds, at most `max`:
   * by default the longest Node.js timer, since most durations end up in one.
   */
  durationMs(k: string, def?: string | number, max = MAX_TIMER_MS): number {
    const v = this.get(k, def);
    const ms = parseDurationMs(v);
    if (ms === undefined) {
      this.fail(k, `expected a duration like 500ms, 30s, 5m, 48h, got ${show(v)}`);
      return parseDurationMs(def) ?? 0;
    }
    if (ms > max) {
      const limit = max === MAX_TIMER_MS ? `${formatDuration(max)} (${max} ms, the longest Node.js timer)` : `${formatDuration(max)} (${max} ms)`;
      this.fail(k, `${typeof v === 'number' ? String(v) : show(v)} is longer than the limit of ${limit}`);
      return Math.min(parseDurationMs(def) ?? 0, max);
    }
    return ms;
  }

  /** A non-empty list of NATS server URLs (nats:// or tls://, with a host). */
  natsServers(k: string, def?: string[]): string[] {
    const servers = this.strings(k, def);
    if (servers.length === 0) this.fail(k, 'needs at least one server, e.g. ["nats://127.0.0.1:4222"]');
    for (const s of servers) {
      if (!isNatsUrl(s)) this.fail(k, `expected nats://host:port or tls://host:port URLs, got ${show(s)}`);
      // Never echo the value: it holds a secret.
      else if (hasUserInfo(s)) this.fail(k, 'a URL with user or password in it would show in logs and /health: use nats.user and nats.password_file');
    }
    return servers;
  }

  /**
   * A file this process must read (a CA certificate): the path, relative to this config
   * file; a missing or unreadable file is a problem naming the key and the path.
   */
  readableFile(k: string): string {
    const v = this.string(k);
    const path = v && relativeTo(this.file, v);
    if (!path) {
      this.fail(k, 'needs a file path');
      return '';
    }
    const why = fileProblem(path);
    if (why) this.fail(k, why);
    return path;
  }

  /**
   * A file holding a secret (a password, a private key): as readableFile, and not open to
   * every user of the host (mode 0640 root:marketprism or 0600), and not empty.
   */
  secretFile(k: string): string {
    const path = this.readableFile(k);
    if (!path || fileProblem(path)) return path;
    const mode = statSync(path).mode & 0o777;
    if (mode & 0o007) {
      this.fail(
        k,
        `${path} is open to every user of this host (mode 0${mode.toString(8)}); it holds a secret: chmod 0640 ${path} (owner root, group marketprism)`,
      );
    } else if (readFileSync(path, 'utf8').trim() === '') {
      this.fail(k, `${path} is empty`);
    }
    return path;
  }

  /** "256MB", "2GiB" or a number of bytes. */
  bytes(k: string, def?: string | number): number {
    const v = this.get(k, def);
    const n = parseBytes(v);
    if (n !== undefined) return n;
    this.fail(k, `expected a size like 512MB or 2GiB, got ${show(v)}`);
    return parseBytes(def) ?? -1;
  }

  child(k: string): ConfigReader {
    return new ConfigReader(this.file, this.get(k, undefined, false), this.key(k), this.problems, this.throwAtOnce, this.origins);
  }

  /** Sub-readers for a list of mappings. */
  list(k: string, def: unknown[] = []): ConfigReader[] {
    const v = this.get(k, def, false);
    if (!Array.isArray(v)) {
      this.fail(k, `expected a list, got ${show(v)}`);
      return [];
    }
    return v.map((item, i) => new ConfigReader(this.file, item, `${this.key(k)}[${i}]`, this.problems, this.throwAtOnce, this.origins));
  }

  /** Keys of a mapping whose entries are read with `child`. */
  keys(): string[] {
    return Object.keys(this.obj);
  }

  /** Reports any key that was never read; the root reader then throws every problem found. */
  done(): void {
    for (const k of Object.keys(this.obj)) {
      if (!this.seen.has(k)) this.fail(k, 'unknown key (misspelt?)');
    }
    if (this.ownsProblems) this.problems.throwIfAny();
  }
}

/** Why `path` cannot be read as a file by this process, or undefined. */
function fileProblem(path: string): string | undefined {
  try {
    if (!statSync(path).isFile()) return `${path} is not a file`;
    accessSync(path, constants.R_OK);
    return undefined;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT')
      return `${path} does not exist (a single host: \`marketprism credentials ensure\` creates the NATS credentials; see docs/security.md)`;
    if (code === 'EACCES') return `${path} cannot be read by this user (it should be root:marketprism, mode 0640)`;
    return `cannot read ${path}: ${(err as Error).message}`;
  }
}

/** `scheme://user:pass@host`: credentials where they would be logged with the URL. */
export function hasUserInfo(url: string): boolean {
  try {
    const u = new URL(url);
    return u.username !== '' || u.password !== '';
  } catch {
    return false;
  }
}

function isNatsUrl(s: string): boolean {
  try {
    const u = new URL(s);
    return (u.protocol === 'nats:' || u.protocol === 'tls:') && u.hostname !== '';
  } catch {
    return false;
  }
}

export function parseDurationMs(v: unknown): number | undefined {
  if (typeof v === 'number') return v >= 0 ? v : undefined;
  const m = typeof v === 'string' ? DURATION_RE.exec(v) : null;
  return m ? Number(m[1]) * DURATION_MS[m[2] as keyof typeof DURATION_MS] : undefined;
}

function parseBytes(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isInteger(v) && v >= -1 ? v : undefined; // -1: unlimited
  const m = typeof v === 'string' ? BYTES_RE.exec(v.trim()) : null;
  return m ? Math.round(Number(m[1]) * BYTES_UNIT[(m[2] ?? 'b').toLowerCase()]!) : undefined;
}
