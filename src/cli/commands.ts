/**
 * The `marketprism` commands as one table: the usage text (`--help`), the option parsing,
 * the bash completion (packaging/completion/marketprism.bash) and the man page
 * (packaging/man/marketprism.1) are all made from it, so they cannot disagree.
 */
import { roff } from '../core/roff.js';
import { DEFAULT_CREDENTIALS_DIR } from './credentials.js';
import { MODULES } from './ops.js';
import { QUERY_FORMATS } from './query-format.js';

export interface OptionSpec {
  name: `--${string}`;
  /** The value's placeholder; absent: a flag. */
  value?: string;
  help: string;
  /** What completes the value: a list of words, or file / directory names. */
  complete?: readonly string[] | 'file' | 'dir';
}

export interface CommandSpec {
  /** `['streams', 'ensure']`. */
  words: readonly string[];
  /** The positional arguments, as the synopsis shows them. */
  args?: string;
  /** What completes a positional argument. */
  completeArgs?: readonly string[] | 'file';
  summary: string;
  /** Paragraphs of the man page beyond the summary. */
  details?: string;
  options: OptionSpec[];
  /** Unknown options are the command's arguments (logs: journalctl's). */
  passThrough?: boolean;
}

const JSON_OPTION: OptionSpec = { name: '--json', help: 'print JSON for scripts' };
const CONFIG_DIR: OptionSpec = { name: '--config-dir', value: 'DIR', help: "where the modules' configs are (default /etc/marketprism)", complete: 'dir' };
const ENV_FILE: OptionSpec = {
  name: '--env-file',
  value: 'FILE',
  help: "read this environment file instead of the unit's Environment= and EnvironmentFile= (default: the unit, its drop-ins, /etc/default/marketprism-<module>)",
  complete: 'file',
};
const ROOT: OptionSpec = {
  name: '--root',
  value: 'DIR',
  help: 'read the units, their drop-ins and environment files under DIR instead of / (as systemctl --root)',
  complete: 'dir',
};
const config = (what: string): OptionSpec => ({
  name: '--config',
  value: 'FILE',
  help: `the config file (default /etc/marketprism/${what})`,
  complete: 'file',
});

export const COMMANDS: readonly CommandSpec[] = [
  {
    words: ['streams', 'ensure'],
    summary: 'create or update the JetStream streams of broker.yaml and its streams file',
    options: [config('broker.yaml'), ENV_FILE, { name: '--server', value: 'URL', help: 'the NATS server (default: the broker on loopback)' }],
  },
  { words: ['schema', 'migrate'], summary: 'apply the ClickHouse migrations of the storage config', options: [config('storage.yaml'), ENV_FILE] },
  {
    words: ['query'],
    args: '"SELECT ..."',
    summary: 'one read-only SQL statement against the configured engine',
    details: 'A table on a terminal, JSON lines into a pipe; a trailing FORMAT X in the SQL chooses the format too.',
    options: [
      config('storage.yaml'),
      ENV_FILE,
      { name: '--format', value: 'FORMAT', help: `the output format: ${QUERY_FORMATS.join(', ')}`, complete: QUERY_FORMATS },
    ],
  },
  {
    words: ['credentials', 'ensure'],
    summary: 'create the NATS password files a single host needs (keeps those that exist)',
    options: [
      { name: '--dir', value: 'DIR', help: `where (default ${DEFAULT_CREDENTIALS_DIR})`, complete: 'dir' },
      { name: '--group', value: 'GROUP', help: "the files' group (as root: marketprism)" },
    ],
  },
  {
    words: ['health'],
    args: `[${MODULES.join('|')}]`,
    completeArgs: MODULES,
    summary: "each configured module's /health (the broker: nats-server's /healthz); exit 1 unless every one asked is healthy",
    options: [{ ...config('<module>.yaml'), help: 'the config file of the module named' }, ROOT, JSON_OPTION],
  },
  {
    words: ['logs'],
    args: `<${MODULES.join('|')}> [journalctl options]`,
    completeArgs: MODULES,
    summary: 'the module\'s journal: journalctl -u marketprism-<module> with any journalctl options (-f, --since "1 hour ago", -p warning)',
    options: [],
    passThrough: true,
  },
  {
    words: ['check-config'],
    args: `[${MODULES.join('|')}|FILE]`,
    completeArgs: 'file',
    summary:
      "load the configs as the daemons do; print every problem and each key's effective value and where it came from (file, environment variable, default)",
    options: [
      config('<module>.yaml'),
      { name: '--module', value: 'MODULE', help: 'the module FILE is for (default: told by its keys)', complete: MODULES },
      ENV_FILE,
      ROOT,
      JSON_OPTION,
    ],
  },
  {
    words: ['status'],
    summary:
      'this host at a glance: units, /health, JetStream streams and consumer lag, newest record per data type x venue against the freshness thresholds, rows per minute; exit 1 when anything is red',
    options: [CONFIG_DIR, ROOT, { name: '--color', help: 'colours even when not on a terminal' }, JSON_OPTION],
  },
  {
    words: ['integrity'],
    summary:
      'is the data complete? per table and venue, every record JetStream acknowledged in the range against the rows stored (missing, dead-lettered), trade-id gaps (Binance, OKX), empty time buckets, what the daemons counted since they started; exit 1 on a problem',
    options: [
      { name: '--since', value: 'DURATION', help: 'the range ends now and is this long (default 1h)' },
      { name: '--from', value: 'TIME', help: 'the range starts here (ISO 8601, UTC unless a zone is given)' },
      { name: '--to', value: 'TIME', help: 'the range ends here (default now)' },
      { name: '--bucket', value: 'DURATION', help: 'the time buckets checked for emptiness (default 1m)' },
      { name: '--max-records', value: 'N', help: 'read at most this many acknowledged records (default 2000000); the answer then says up to when it covers' },
      CONFIG_DIR,
      JSON_OPTION,
    ],
  },
  { words: ['version'], summary: 'the version of the installed packages', options: [] },
];

export interface ParsedArgs {
  spec: CommandSpec;
  options: Record<string, string | true>;
  /** Positional arguments (and, with passThrough, unknown options). */
  rest: string[];
}

/** The command `argv` names and its options, or undefined when it names none. Unknown options are errors naming them. */
export function parseCommand(argv: readonly string[]): ParsedArgs | undefined {
  const spec = COMMANDS.find((c) => c.words.every((w, i) => argv[i] === w));
  if (!spec) return undefined;
  const options: Record<string, string | true> = {};
  const rest: string[] = [];
  const args = argv.slice(spec.words.length);
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const o = spec.options.find((x) => x.name === a);
    if (!o) {
      if (a.startsWith('--') && a.length > 2 && !spec.passThrough) throw new Error(`${spec.words.join(' ')}: unknown option ${a}; try marketprism --help`);
      rest.push(a);
    } else if (!o.value) {
      options[o.name] = true;
    } else {
      const v = args[++i];
      if (v === undefined || v.startsWith('--')) throw new Error(`${o.name} needs a value (${o.value})`);
      options[o.name] = v;
    }
  }
  return { spec, options, rest };
}

/** An option's value as a string, if given. */
export function opt(p: ParsedArgs, name: `--${string}`): string | undefined {
  const v = p.options[name];
  return typeof v === 'string' ? v : undefined;
}

function synopsis(c: CommandSpec): string {
  const options = c.options.map((o) => `[${o.name}${o.value ? ` ${o.value}` : ''}]`);
  return ['marketprism', ...c.words, ...(c.args ? [c.args] : []), ...options].join(' ');
}

export function usage(): string {
  return ['usage:', ...COMMANDS.map((c) => `  ${synopsis(c)}\n      ${c.summary}`), '  marketprism --version | --help'].join('\n');
}

/** The bash completion script: `complete -F _marketprism marketprism`. */
export function bashCompletion(): string {
  const words = (list: readonly string[]) => list.join(' ');
  const cases = COMMANDS.map((c) => {
    const key = c.words.join(' ');
    const valueCases = c.options
      .filter((o) => o.value)
      .map((o) => {
        const action =
          o.complete === 'file'
            ? 'compgen -f -- "$cur"'
            : o.complete === 'dir'
              ? 'compgen -d -- "$cur"'
              : o.complete
                ? `compgen -W "${words(o.complete)}" -- "$cur"`
                : 'true';
        return `        ${o.name}) COMPREPLY=($(${action})); return ;;`;
      });
    const positional = c.completeArgs === 'file' ? `$(compgen -f -- "$cur")` : c.completeArgs ? `$(compgen -W "${words(c.completeArgs)}" -- "$cur")` : '';
    return [
      `    "${key}")`,
      ...(valueCases.length ? ['      case "$prev" in', ...valueCases, '      esac'] : []),
      `      COMPREPLY=($(compgen -W "${words(c.options.map((o) => o.name))}" -- "$cur") ${positional})`,
      '      ;;',
    ].join('\n');
  });
  const first = [...new Set(COMMANDS.map((c) => c.words[0]!))];
  const seconds = COMMANDS.filter((c) => c.words.length > 1).map((c) => `    ${c.words[0]}) COMPREPLY=($(compgen -W "${c.words[1]}" -- "$cur")); return ;;`);
  return `# bash completion for marketprism: generated from src/cli/commands.ts (marketprism completion bash); do not edit.
_marketprism() {
  local cur prev cmd
  cur="\${COMP_WORDS[COMP_CWORD]}"
  prev="\${COMP_WORDS[COMP_CWORD-1]}"
  if [ "$COMP_CWORD" -eq 1 ]; then
    COMPREPLY=($(compgen -W "${first.join(' ')} --version --help" -- "$cur"))
    return
  fi
  if [ "$COMP_CWORD" -eq 2 ]; then
    case "\${COMP_WORDS[1]}" in
${seconds.join('\n')}
    esac
  fi
  cmd="\${COMP_WORDS[1]}"
  case "$cmd" in streams|schema|credentials) cmd="$cmd \${COMP_WORDS[2]}" ;; esac
  case "$cmd" in
${cases.join('\n')}
  esac
}
complete -F _marketprism marketprism
`;
}

/** roff text: escapes the characters that mean something at the start of a line or after a backslash. */

/** The man page marketprism(1); without the version, so a release does not change the shipped file. */
export function manPage(): string {
  const lines = [
    `.\\" Generated from src/cli/commands.ts (marketprism man); do not edit.`,
    '.TH MARKETPRISM 1 "" "MarketPrism" "MarketPrism"',
    '.SH NAME',
    'marketprism \\- operator commands of MarketPrism (collector, broker, storage)',
    '.SH SYNOPSIS',
    ...COMMANDS.flatMap((c) => ['.PP', roff(synopsis(c))]),
    '.SH DESCRIPTION',
    roff(
      "Each module's config is loaded as its systemd unit runs it: /etc/marketprism/<module>.yaml, then the environment overrides of /etc/default/marketprism-<module> (HEALTH_CHECK_PORT, METRICS_PORT, NATS_URL, MARKETPRISM_<SECTION>__<KEY>).",
    ),
    '.SH COMMANDS',
    ...COMMANDS.flatMap((c) => [
      '.TP',
      `.B ${roff(['marketprism', ...c.words].join(' '))}${c.args ? ` ${roff(c.args)}` : ''}`,
      roff(c.summary),
      ...(c.details ? ['.IP', roff(c.details)] : []),
      ...c.options.flatMap((o) => ['.RS', '.TP', `.B ${roff(o.name)}${o.value ? ` \\fI${roff(o.value)}\\fR` : ''}`, roff(o.help), '.RE']),
    ]),
    '.SH FILES',
    '.TP',
    '.I /etc/marketprism/<module>.yaml',
    'the config of each module',
    '.TP',
    '.I /etc/default/marketprism-<module>',
    roff(
      'environment overrides of the config (both storage tiers read /etc/default/marketprism-storage; the cold tier then /etc/default/marketprism-storage-cold)',
    ),
    '.SH SEE ALSO',
    'systemctl(1), journalctl(1); /usr/share/doc/marketprism-*/operations.md',
  ];
  return lines.join('\n') + '\n';
}
