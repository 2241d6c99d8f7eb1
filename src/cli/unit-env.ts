/**
 * The environment systemd gives a MarketPrism unit, as the CLI can know it (issue 11: the
 * CLI must see what the daemon sees). Two ways, the first that works:
 *
 * 1. `systemctl show -p Environment,EnvironmentFiles,... <unit>` when systemd runs (PID 1,
 *    /run/systemd/system exists) and has the unit loaded: what systemd will actually pass,
 *    even when a drop-in was edited without `systemctl daemon-reload` (then noted). The
 *    files are still parsed, to say which one set each variable.
 * 2. Otherwise the unit's files, read as systemd reads them (systemd.unit(5), systemd.exec(5)):
 *    - the unit file: the first `<unit>` on the system unit search path (UNIT_PATHS);
 *    - its drop-ins: `*.conf` in `<unit>.d/`, in the `.d/` of each dash-prefix of the name
 *      (`marketprism-.service.d/`) and in `service.d/`, in every directory of the search
 *      path; a drop-in overrides one of the same file name further down the path (/etc over
 *      /run over /usr/lib) and, within a directory, one further up the name hierarchy; all
 *      are applied after the unit file in lexical order of their file names, whatever their
 *      directory;
 *    - `Environment=` in [Service]: space-separated assignments, each unquoted ("..." or '...',
 *      anywhere in the word) and C-unescaped, `%` specifiers resolved; an invalid one is
 *      ignored, an empty `Environment=` resets the list;
 *    - `EnvironmentFile=`: an absolute path or glob, `-` in front: optional; an empty one
 *      resets the list; the files' variables override `Environment=`'s, later files earlier
 *      ones; a required file that is missing fails the unit's start (a problem here).
 * When no unit file is found (not installed, or a test root without one) the packaged
 * unit's EnvironmentFile= lines are read (ops.ts defaultEnvFiles).
 *
 * `root` (default /) prefixes every path read, like `systemctl --root`; systemctl is only
 * asked when root is /.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';

/** Where each variable of the unit's environment came from: `drop-in <file>`, `unit <file>`, `EnvironmentFile <file>`. */
export interface UnitEnvironment {
  unit: string;
  env: Record<string, string>;
  origins: Record<string, string>;
  /** The files read (unit, drop-ins, environment files), as paths on the host (without root). */
  files: string[];
  /** The EnvironmentFile= entries in effect, in order (a path may be a glob). */
  environmentFiles: { path: string; optional: boolean }[];
  /** What would stop the unit from starting (a required EnvironmentFile= that is missing). */
  problems: { file: string; key: string; reason: string }[];
  /** Lines systemd ignores (with why), and a pending daemon-reload. */
  notes: string[];
  /** `systemctl` when systemd was asked; `files` when the unit's files were read; `defaults` without a unit file. */
  via: 'systemctl' | 'files' | 'defaults';
}

/** The system unit search path, highest precedence first (systemd.unit(5), "System Unit Search Path"). */
export const UNIT_PATHS = [
  '/etc/systemd/system.control',
  '/run/systemd/system.control',
  '/run/systemd/transient',
  '/run/systemd/generator.early',
  '/etc/systemd/system',
  '/etc/systemd/system.attached',
  '/run/systemd/system',
  '/run/systemd/system.attached',
  '/run/systemd/generator',
  '/usr/local/lib/systemd/system',
  '/usr/lib/systemd/system',
  '/lib/systemd/system',
  '/run/systemd/generator.late',
] as const;

const WHITESPACE = ' \t\n\r';
const ENV_NAME_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The path `p` (absolute, on the host) under `root`. */
const under = (root: string, p: string) => (root === '/' ? p : join(root, p));

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function isDir(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/**
 * A systemd EnvironmentFile (systemd's env-file parser): `NAME=value` lines; `#` and `;`
 * start a comment line; a value's leading and trailing blanks are dropped unless quoted;
 * '...' is literal, "..." takes `\` before `"`, `\`, `` ` `` and `$` (other backslashes stay);
 * an unquoted `\` escapes the next character; a `\` at the end of a line continues the value
 * on the next. A later assignment of a name wins. Names systemd refuses (`export A`, `1X`)
 * are left out and passed to `ignored`.
 */
export function parseEnvironmentFile(text: string, ignored?: (what: string) => void): Record<string, string> {
  const out: Record<string, string> = {};
  type State = 'pre-key' | 'key' | 'pre-value' | 'value' | 'value-escape' | 'single' | 'double' | 'double-escape' | 'comment' | 'comment-escape';
  let state: State = 'pre-key';
  let key = '';
  let value = '';
  /** Where trailing blanks of the key / value start, or -1. */
  let keyWs = -1;
  let valueWs = -1;
  const push = (chompValue: boolean) => {
    const k = keyWs >= 0 ? key.slice(0, keyWs) : key;
    const v = chompValue && valueWs >= 0 ? value.slice(0, valueWs) : value;
    if (ENV_NAME_RE.test(k)) out[k] = v;
    else ignored?.(`${JSON.stringify(k)}: not a valid variable name`);
    key = '';
    value = '';
  };
  for (const c of text) {
    const newline = c === '\n' || c === '\r';
    const blank = WHITESPACE.includes(c);
    switch (state) {
      case 'pre-key':
        if (c === '#' || c === ';') state = 'comment';
        else if (!blank) {
          state = 'key';
          keyWs = -1;
          key = c;
        }
        break;
      case 'key':
        if (newline) {
          state = 'pre-key';
          key = '';
        } else if (c === '=') {
          state = 'pre-value';
          valueWs = -1;
        } else {
          if (!blank) keyWs = -1;
          else if (keyWs < 0) keyWs = key.length;
          key += c;
        }
        break;
      case 'pre-value':
        if (newline) {
          state = 'pre-key';
          push(false);
        } else if (c === "'") state = 'single';
        else if (c === '"') state = 'double';
        else if (c === '\\') state = 'value-escape';
        else if (!blank) {
          state = 'value';
          value += c;
        }
        break;
      case 'value':
        if (newline) {
          state = 'pre-key';
          push(true);
        } else if (c === '\\') {
          state = 'value-escape';
          valueWs = -1;
        } else {
          if (!blank) valueWs = -1;
          else if (valueWs < 0) valueWs = value.length;
          value += c;
        }
        break;
      case 'value-escape':
        state = 'value';
        if (!newline) value += c;
        break;
      case 'single':
        if (c === "'") state = 'pre-value';
        else value += c;
        break;
      case 'double':
        if (c === '"') state = 'pre-value';
        else if (c === '\\') state = 'double-escape';
        else value += c;
        break;
      case 'double-escape':
        state = 'double';
        if ('"\\`$'.includes(c)) value += c;
        else if (c !== '\n') value += `\\${c}`;
        break;
      case 'comment':
        if (c === '\\') state = 'comment-escape';
        else if (newline) state = 'pre-key';
        break;
      case 'comment-escape':
        state = newline ? 'pre-key' : 'comment';
        break;
    }
  }
  if (['pre-value', 'value', 'value-escape', 'single', 'double', 'double-escape'].includes(state)) push(state === 'value');
  return out;
}

/** One C escape after a backslash at `s[i]` (systemd's cunescape_one): the character and how many were read, or undefined. */
function cUnescapeOne(s: string, i: number): [string, number] | undefined {
  const simple: Record<string, string> = { a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\', '"': '"', "'": "'", s: ' ' };
  const c = s[i];
  if (c === undefined) return undefined;
  if (simple[c] !== undefined) return [simple[c], 1];
  const hex = (n: number) => {
    const h = s.slice(i + 1, i + 1 + n);
    if (h.length !== n || !/^[0-9a-fA-F]+$/.test(h)) return undefined;
    const code = parseInt(h, 16);
    if (code === 0 || code > 0x10ffff) return undefined;
    return [String.fromCodePoint(code), n + 1] as [string, number];
  };
  if (c === 'x') return hex(2);
  if (c === 'u') return hex(4);
  if (c === 'U') return hex(8);
  if (c >= '0' && c <= '7') {
    const o = s.slice(i, i + 3);
    if (!/^[0-7]{3}$/.test(o) || parseInt(o, 8) === 0 || parseInt(o, 8) > 255) return undefined;
    return [String.fromCharCode(parseInt(o, 8)), 3];
  }
  return undefined;
}

/**
 * The words of `text` as systemd's extract_first_word splits them with EXTRACT_UNQUOTE
 * (and EXTRACT_CUNESCAPE when `cunescape`; otherwise a backslash takes the next character
 * as it is, inside double quotes only before `"`, `\`, `` ` ``, `$`, as `systemctl show`
 * quotes). Returns the words read and, when the rest cannot be read (an open quote, a bad
 * escape), why.
 */
export function splitWords(text: string, cunescape: boolean): { words: string[]; error?: string } {
  const words: string[] = [];
  let i = 0;
  while (i < text.length) {
    while (i < text.length && WHITESPACE.includes(text[i]!)) i++;
    if (i >= text.length) break;
    let word = '';
    let quote = '';
    for (; i < text.length; i++) {
      const c = text[i]!;
      if (c === '\\') {
        if (cunescape) {
          const e = cUnescapeOne(text, i + 1);
          if (!e) return { words, error: `unknown escape sequence at ${JSON.stringify(text.slice(i, i + 2))}` };
          word += e[0];
          i += e[1];
        } else if (i + 1 >= text.length) return { words, error: 'a trailing backslash' };
        else if (quote === '"' && !'"\\`$'.includes(text[i + 1]!)) word += c;
        else word += text[++i];
      } else if (quote) {
        if (c === quote) quote = '';
        else word += c;
      } else if (c === '"' || c === "'") quote = c;
      else if (WHITESPACE.includes(c)) break;
      else word += c;
    }
    if (quote) return { words, error: `unbalanced quoting (${quote})` };
    words.push(word);
  }
  return { words };
}

/** The `%` specifiers of a unit the CLI resolves (systemd.unit(5), "Specifiers"); another one makes the word ignored, as systemd would not. */
function resolveSpecifiers(word: string, unit: string): string | undefined {
  const name = unit.replace(/\.service$/, '');
  const prefix = name.includes('@') ? name.slice(0, name.indexOf('@')) : name;
  const instance = name.includes('@') ? name.slice(name.indexOf('@') + 1) : '';
  const table: Record<string, string> = {
    '%': '%',
    n: unit,
    N: name,
    p: prefix,
    P: prefix,
    i: instance,
    I: instance,
    j: prefix.slice(prefix.lastIndexOf('-') + 1),
    J: prefix.slice(prefix.lastIndexOf('-') + 1),
    H: hostname(),
    l: hostname().split('.')[0]!,
    t: '/run',
    S: '/var/lib',
    C: '/var/cache',
    L: '/var/log',
    E: '/etc',
    T: '/tmp',
    V: '/var/tmp',
  };
  let bad = false;
  const out = word.replace(/%(.?)/g, (_m, s: string) => {
    const r = table[s];
    if (r === undefined) bad = true;
    return r ?? '';
  });
  return bad ? undefined : out;
}

/** One `Key=value` of a unit file, with where it is. */
interface UnitLine {
  section: string;
  key: string;
  value: string;
  file: string;
  line: number;
}

/**
 * The assignments of a unit file or drop-in (systemd.syntax(7)): `[Section]` headers,
 * `Key=Value` with blanks around both stripped, `#` and `;` comment lines, a line ending
 * in a backslash continued on the next (the backslash becomes a space; comment lines in
 * between are skipped).
 */
export function parseUnitFile(text: string, file: string): UnitLine[] {
  const out: UnitLine[] = [];
  let section = '';
  let continued = '';
  let start = 0;
  const lines = text.split('\n');
  lines.forEach((raw, n) => {
    const l = raw.replace(/\r$/, '');
    if (continued && /^[ \t]*[#;]/.test(l)) return;
    if (!continued) start = n + 1;
    // An odd number of trailing backslashes continues the line.
    const continues = /\\*$/.exec(l)![0].length % 2 === 1;
    if (continues && n < lines.length - 1) {
      continued += `${l.slice(0, -1)} `;
      return;
    }
    const t = (continued + (continues ? l.slice(0, -1) : l)).trim();
    continued = '';
    if (!t || t.startsWith('#') || t.startsWith(';')) return;
    if (t.startsWith('[') && t.endsWith(']')) {
      section = t.slice(1, -1);
      return;
    }
    const eq = t.indexOf('=');
    if (eq < 0) return;
    out.push({ section, key: t.slice(0, eq).trim(), value: t.slice(eq + 1).trim(), file, line: start });
  });
  return out;
}

/** The unit file systemd loads for `unit`: the first on the search path, under `root`. */
export function unitFragment(unit: string, root = '/', searchPath: readonly string[] = UNIT_PATHS): string | undefined {
  return searchPath.map((d) => `${d}/${unit}`).find((p) => isFile(under(root, p)) || readableEmpty(under(root, p)));
}

/** The `.d/` directory names searched for `unit`'s drop-ins, most specific first: the unit, each dash prefix (`a-b-.service`, `a-.service`). */
function dropInNames(unit: string): string[] {
  const dot = unit.lastIndexOf('.');
  const [stem, type] = [unit.slice(0, dot), unit.slice(dot)];
  const names = [unit];
  for (let cut = stem.lastIndexOf('-'); cut > 0; cut = stem.lastIndexOf('-', cut - 1)) names.push(`${stem.slice(0, cut + 1)}${type}`);
  return names;
}

/**
 * `unit`'s drop-in files in the order systemd applies them (host paths): per file name the
 * one of highest precedence (search path first, then the most specific `.d/` name, the
 * type's `service.d/` last), sorted by file name.
 */
export function dropInFiles(unit: string, root = '/', searchPath: readonly string[] = UNIT_PATHS): string[] {
  const type = unit.slice(unit.lastIndexOf('.') + 1);
  const dirs = [...searchPath.flatMap((p) => dropInNames(unit).map((n) => `${p}/${n}.d`)), ...searchPath.map((p) => `${p}/${type}.d`)];
  const byName = new Map<string, string>();
  for (const d of dirs) {
    if (!isDir(under(root, d))) continue;
    for (const f of readdirSync(under(root, d)).sort()) {
      if (!f.endsWith('.conf') || f.startsWith('.') || byName.has(f)) continue;
      if (isFile(under(root, `${d}/${f}`)) || readableEmpty(under(root, `${d}/${f}`))) byName.set(f, `${d}/${f}`);
    }
  }
  return [...byName.keys()].sort().map((f) => byName.get(f)!);
}

/** A drop-in symlinked to /dev/null masks the same-named ones below it (it reads as empty). */
function readableEmpty(path: string): boolean {
  try {
    return statSync(path).isCharacterDevice();
  } catch {
    return false;
  }
}

/** Paths a glob (`*`, `?`, `[...]`) names under `root`, sorted as glob(3) does; the path itself when it has none. */
export function expandGlob(pattern: string, root = '/'): string[] {
  if (!/[*?[]/.test(pattern)) return [pattern];
  const toRe = (g: string) =>
    new RegExp(
      `^${g
        .replace(/[.+^${}()|\\]/g, '\\$&')
        .replace(/\*/g, '[^/]*')
        .replace(/\?/g, '[^/]')
        .replace(/\[!/g, '[^')}$`,
    );
  let found = [''];
  for (const part of pattern.split('/').slice(1)) {
    const next: string[] = [];
    for (const base of found) {
      if (!/[*?[]/.test(part)) {
        if (existsSync(under(root, `${base}/${part}`))) next.push(`${base}/${part}`);
        continue;
      }
      const re = toRe(part);
      let entries: string[] = [];
      try {
        entries = readdirSync(under(root, base || '/'));
      } catch {
        // not a directory: no match
      }
      for (const e of entries.sort()) if (!e.startsWith('.') && re.test(e)) next.push(`${base}/${e}`);
    }
    found = next;
  }
  return found.sort();
}

interface EnvFileRef {
  path: string;
  optional: boolean;
  /** The unit file or drop-in that names it. */
  from: string;
}

function originOfFile(file: string, fragment: string | undefined): string {
  return file === fragment ? `unit ${file}` : `drop-in ${file}`;
}

/** The unit's environment from its files (way 2 above). */
export interface UnitFilesOptions {
  /** Prefixed to every path read (default /). */
  root?: string;
  /** The EnvironmentFiles read when there is no unit file. */
  defaultEnvFiles?: readonly string[];
  /** The unit search path, highest precedence first (default UNIT_PATHS). */
  searchPath?: readonly string[];
}

export function unitEnvironmentFromFiles(unit: string, opts: UnitFilesOptions = {}): UnitEnvironment {
  const root = opts.root ?? '/';
  const fragment = unitFragment(unit, root, opts.searchPath);
  const result: UnitEnvironment = {
    unit,
    env: {},
    origins: {},
    files: [],
    environmentFiles: [],
    problems: [],
    notes: [],
    via: fragment ? 'files' : 'defaults',
  };
  let envFiles: EnvFileRef[] = [];
  if (fragment && readableEmpty(under(root, fragment))) {
    result.notes.push(`${fragment} links to /dev/null: ${unit} is masked, systemd will not start it (systemctl unmask ${unit})`);
    return result;
  }
  if (fragment) {
    for (const file of [fragment, ...dropInFiles(unit, root, opts.searchPath)]) {
      result.files.push(file);
      let text: string;
      try {
        text = readFileSync(under(root, file), 'utf8');
      } catch (err) {
        result.problems.push({ file, key: '', reason: `cannot read: ${(err as Error).message}` });
        continue;
      }
      for (const l of parseUnitFile(text, file)) {
        if (l.section !== 'Service') continue;
        const at = `${l.file}:${l.line}`;
        if (l.key === 'Environment') {
          if (l.value === '') {
            result.env = {};
            result.origins = {};
            continue;
          }
          const { words, error } = splitWords(l.value, true);
          for (const w of words) {
            const resolved = resolveSpecifiers(w, unit);
            const eq = resolved?.indexOf('=') ?? -1;
            if (resolved === undefined) result.notes.push(`${at}: Environment= ${JSON.stringify(w)}: a specifier the CLI does not resolve, left out`);
            else if (eq < 1 || !ENV_NAME_RE.test(resolved.slice(0, eq)))
              result.notes.push(`${at}: Environment= ${JSON.stringify(resolved)}: not a NAME=value assignment, ignored (as systemd does)`);
            else {
              const name = resolved.slice(0, eq);
              result.env[name] = resolved.slice(eq + 1);
              result.origins[name] = originOfFile(file, fragment);
            }
          }
          if (error) result.notes.push(`${at}: Environment=: ${error}: the rest of the line is ignored (as systemd does)`);
        } else if (l.key === 'EnvironmentFile') {
          if (l.value === '') {
            envFiles = [];
            continue;
          }
          const optional = l.value.startsWith('-');
          const path = resolveSpecifiers(optional ? l.value.slice(1) : l.value, unit);
          if (path === undefined || !path.startsWith('/')) {
            result.notes.push(`${at}: EnvironmentFile=${l.value}: not an absolute path, ignored (as systemd does)`);
            continue;
          }
          envFiles.push({ path, optional, from: file });
        }
      }
    }
  } else {
    envFiles = (opts.defaultEnvFiles ?? []).map((path) => ({ path, optional: true, from: 'the packaged unit' }));
    result.notes.push(`no ${unit} on the unit search path${root === '/' ? '' : ` under ${root}`}: read the packaged unit's EnvironmentFile=`);
  }
  readEnvFiles(result, envFiles, root);
  return result;
}

/** Reads the EnvironmentFile= files in order into `result` (they override Environment=). */
function readEnvFiles(result: UnitEnvironment, envFiles: readonly EnvFileRef[], root: string): void {
  result.environmentFiles = envFiles.map((r) => ({ path: r.path, optional: r.optional }));
  for (const ref of envFiles) {
    const paths = expandGlob(ref.path, root).filter((p) => isFile(under(root, p)));
    if (paths.length === 0) {
      if (!ref.optional)
        result.problems.push({
          file: ref.from,
          key: 'EnvironmentFile',
          reason: `${ref.path} does not exist: systemd refuses to start the unit (prefix it with - to make it optional)`,
        });
      continue;
    }
    for (const p of paths) {
      result.files.push(p);
      let text: string;
      try {
        text = readFileSync(under(root, p), 'utf8');
      } catch (err) {
        result.problems.push({ file: p, key: '', reason: `cannot read: ${(err as Error).message}` });
        continue;
      }
      const vars = parseEnvironmentFile(text, (why) => result.notes.push(`${p}: ${why}, ignored (as systemd does)`));
      for (const [k, v] of Object.entries(vars)) {
        result.env[k] = v;
        result.origins[k] = `EnvironmentFile ${p}`;
      }
    }
  }
}

/** `systemctl show` output (`Key=value` lines) → its properties (EnvironmentFiles: one line per file). */
export function parseSystemctlShow(text: string): Map<string, string[]> {
  const props = new Map<string, string[]>();
  for (const line of text.split('\n')) {
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    const k = line.slice(0, eq);
    props.set(k, [...(props.get(k) ?? []), line.slice(eq + 1)]);
  }
  return props;
}

/**
 * The unit's environment from `systemctl show` (way 1 above): Environment= as systemctl
 * quotes it, then the EnvironmentFiles it names (`path (ignore_errors=yes|no)`). Origins
 * come from the files when they agree with what systemd has loaded.
 */
export function unitEnvironmentFromShow(unit: string, show: Map<string, string[]>, fromFiles: UnitEnvironment): UnitEnvironment {
  const result: UnitEnvironment = {
    unit,
    env: {},
    origins: {},
    files: [...(show.get('FragmentPath') ?? []), ...(show.get('DropInPaths')?.join(' ').split(/\s+/) ?? [])].filter(Boolean),
    environmentFiles: [],
    problems: [],
    notes: [],
    via: 'systemctl',
  };
  const loaded = show.get('Environment')?.join(' ') ?? '';
  const { words, error } = splitWords(loaded, false);
  if (error) result.notes.push(`systemctl show ${unit}: Environment=: ${error}`);
  const refs: EnvFileRef[] = [];
  for (const entry of show.get('EnvironmentFiles') ?? []) {
    const m = /^(.*) \(ignore_errors=(yes|no)\)$/.exec(entry);
    if (m) refs.push({ path: m[1]!, optional: m[2] === 'yes', from: unit });
  }
  for (const w of words) {
    const eq = w.indexOf('=');
    if (eq < 1) continue;
    const name = w.slice(0, eq);
    result.env[name] = w.slice(eq + 1);
    const agrees = fromFiles.env[name] === result.env[name] && !fromFiles.origins[name]?.startsWith('EnvironmentFile ');
    result.origins[name] = agrees ? fromFiles.origins[name]! : `unit ${unit} (systemctl show)`;
  }
  readEnvFiles(result, refs, '/');
  if (show.get('NeedDaemonReload')?.[0] === 'yes')
    result.notes.push(`${unit}: its files changed since systemd loaded them; systemd uses what it loaded until systemctl daemon-reload`);
  return result;
}

/** Whether systemd runs this system (sd_booted: /run/systemd/system exists). */
export function systemdRunning(): boolean {
  return isDir('/run/systemd/system');
}

/**
 * The environment systemd gives `unit` (this module's comment): systemctl when root is /
 * and systemd has the unit loaded, else its files under `root`.
 */
export function unitEnvironment(unit: string, opts: UnitFilesOptions = {}): UnitEnvironment {
  const fromFiles = unitEnvironmentFromFiles(unit, opts);
  if ((opts.root ?? '/') !== '/' || !systemdRunning()) return fromFiles;
  const r = spawnSync('systemctl', ['show', '-p', 'LoadState,Environment,EnvironmentFiles,FragmentPath,DropInPaths,NeedDaemonReload', '--', unit], {
    encoding: 'utf8',
    timeout: 5000,
  });
  if (r.status !== 0 || typeof r.stdout !== 'string') return fromFiles;
  const show = parseSystemctlShow(r.stdout);
  if (show.get('LoadState')?.[0] !== 'loaded') return fromFiles;
  return unitEnvironmentFromShow(unit, show, fromFiles);
}
