/**
 * What each daemon says of itself: its `--help` and its man page (marketprism-collector(1),
 * marketprism-broker(1), marketprism-storage(1), shipped in its package), from one table.
 * `marketprism man marketprism-collector` prints a page; a test holds the shipped pages equal
 * to what this table makes.
 */
import type { Module } from './config.js';
import { roff } from './roff.js';

interface Subcommand {
  /** After the daemon's name. */
  synopsis: string;
  summary: string;
}

interface DaemonPage {
  about: string;
  description: string;
  /** The unit(s) that run it. */
  units: string[];
  configs: string[];
  /** Beyond run, check-config and --version (the collector's record and replay). */
  commands: Record<string, Subcommand>;
  ports: string;
}

const VENUES = 'binance-spot|binance-usdm|binance-coinm|okx|deribit';

export const DAEMON_PAGES: Record<Module, DaemonPage> = {
  broker: {
    about: 'runs and supervises nats-server with JetStream and keeps the streams as configured',
    description:
      'Starts nats-server (JetStream, clients on 4222, monitoring on 8222) with the config rendered from broker.yaml, restarts it when it exits, and reconciles the streams and key-value buckets of streams.yaml at start, after every nats-server restart and on SIGHUP. Under systemd it reports READY once JetStream is healthy and the streams are in place, and feeds the watchdog while nats-server stays healthy.',
    units: ['marketprism-broker.service'],
    configs: ['/etc/marketprism/broker.yaml', '/etc/marketprism/streams.yaml'],
    commands: {},
    ports: '4222 (NATS clients), 8222 (nats-server monitoring), 6222 when clustered (routes)',
  },
  collector: {
    about: 'exchanges to normalized records to NATS JetStream',
    description:
      'Connects to Binance (spot, USDS-M, COIN-M), OKX and Deribit over WebSocket (REST where a venue only offers REST), keeps local order books in sync, normalizes eight record types (orderbook, trade, funding_rate, open_interest, liquidation, lsr_top_position, lsr_all_account, volatility_index) and publishes them to JetStream. Several collectors with one config can split the symbols through leases (fleet).',
    units: ['marketprism-collector.service'],
    configs: ['/etc/marketprism/collector.yaml'],
    commands: {
      record: {
        synopsis: `record --venue ${VENUES} --out DIR [--config FILE] [--symbols BTC-USDT,ETH-USDT] [--duration 10m]`,
        summary: 'writes what a venue sends (frames and REST bodies) to capture files, in the cryptofeed format',
      },
      replay: {
        synopsis: `replay --venue ${VENUES} [--depth N] [--publish-interval MS] FILE...`,
        summary: 'runs captured files through the same adapter and book code as live mode and prints every record as a JSON line',
      },
    },
    ports: '8087 (/health), 9093 (/metrics), on 127.0.0.1 unless configured',
  },
  storage: {
    about: 'NATS JetStream to ClickHouse, exactly once in effect',
    description:
      'Consumes the market data streams durably and inserts the records into ClickHouse (a server over HTTP, or chDB in-process), the hot tier into marketprism_hot with a TTL, the cold tier into marketprism_cold; a record it cannot store goes to the dead-letter stream with its reason. Migrates the schema at start.',
    units: ['marketprism-storage.service (hot tier)', 'marketprism-storage-cold.service (cold tier)'],
    configs: ['/etc/marketprism/storage.yaml', '/etc/marketprism/storage-cold.yaml'],
    commands: {},
    ports: '8085 (/health and /query of the hot tier), 8086 (the cold tier), on 127.0.0.1',
  },
};

const name = (module: Module) => `marketprism-${module}`;

function synopses(module: Module): string[] {
  const n = name(module);
  return [
    `${n} [run] [--config FILE]`,
    `${n} check-config [--config FILE]`,
    ...Object.values(DAEMON_PAGES[module].commands).map((c) => `${n} ${c.synopsis}`),
    `${n} --version`,
  ];
}

/** `marketprism-<module> --help`. */
export function daemonUsage(module: Module): string {
  const [first, ...rest] = synopses(module);
  return [`usage: ${first}`, ...rest.map((s) => `       ${s}`)].join('\n');
}

/** The man page marketprism-<module>(1); without the version, so a release does not change the shipped file. */
export function daemonManPage(module: Module): string {
  const p = DAEMON_PAGES[module];
  const n = name(module);
  const upper = n.toUpperCase();
  const lines = [
    `.\\" Generated from src/core/daemon-help.ts (marketprism man ${n}); do not edit.`,
    `.TH ${roff(upper)} 1 "" "MarketPrism" "MarketPrism"`,
    '.SH NAME',
    `${roff(n)} \\- ${roff(p.about)}`,
    '.SH SYNOPSIS',
    ...synopses(module).flatMap((s) => ['.PP', roff(s)]),
    '.SH DESCRIPTION',
    roff(p.description),
    '.PP',
    roff(`Run by systemd: ${p.units.join(', ')}. Logs go to the journal (journalctl -u ${n}; marketprism logs ${module}).`),
    '.SH COMMANDS',
    '.TP',
    '.B run',
    roff('the daemon (the default): loads the config, then runs until SIGTERM or SIGINT; SIGHUP reloads what can change safely.'),
    '.TP',
    '.B check\\-config',
    roff('loads and checks the config as the daemon would, and exits non-zero naming every problem (file, key, value).'),
    ...Object.entries(p.commands).flatMap(([c, s]) => ['.TP', `.B ${roff(c)}`, roff(s.summary)]),
    '.SH OPTIONS',
    '.TP',
    '.B \\-\\-config \\fIFILE\\fR',
    roff(`the config file (default ${p.configs[0]}, or $MARKETPRISM_CONFIG).`),
    '.SH FILES',
    ...p.configs.flatMap((c) => ['.TP', `.I ${roff(c)}`, 'config']),
    '.TP',
    `.I ${roff(`/etc/default/${n}`)}`,
    roff('environment overrides of the config (HEALTH_CHECK_PORT, METRICS_PORT, NATS_URL, MARKETPRISM_<SECTION>__<KEY>); see marketprism check-config.'),
    '.SH PORTS',
    roff(p.ports),
    '.SH SEE ALSO',
    'marketprism(1), systemctl(1), journalctl(1); /usr/share/doc/marketprism\\-*/operations.md',
  ];
  return lines.join('\n') + '\n';
}
