/**
 * `marketprism-sim`: the exchange simulator for humans and quickstart.
 *
 *   marketprism-sim generate [--venue binance-spot,okx,...] [--seed 1] [--symbols BTC-USDT,ETH-USDT]
 *                            [--rate 10] [--periodic-ms 1000] [--okx-mode 2025|2026] [--levels 100]
 *                            [--diff-updates 1-3] [--rest-weight-per-min N]
 *   marketprism-sim replay [--venue V] [--speed 1|max] [--no-hold] FILE...   (or: --captures FILE...)
 *
 * Prints one JSON line mapping collector venue keys to the URLs to configure,
 * e.g. {"binance_spot":{"venue":"binance-spot","ws_url":"ws://127.0.0.1:41234","rest_url":"http://127.0.0.1:41234"},...}
 * (a replay adds the recorded `symbols` and `data_types`; collector-config.ts applies it to collector.yaml),
 * then serves until SIGINT/SIGTERM (or `signal` aborts, for tests).
 */
import { kindOfCapture } from '../collector/venues/registry.js';
import { basename } from 'node:path';
import { parseArgs } from 'node:util';
import { packageVersion } from '../core/daemon.js';
import { createLogger, LOG_LEVELS, type LogLevel } from '../core/logger.js';
import type { GenerateOptions } from './generate/feed.js';
import { collectorVenues } from './collector-venues.js';
import { startExchangeSim, type ExchangeSim, type ExchangeSimOptions } from './sim.js';
import { isSimVenue, SIM_VENUES, type SimVenue } from './types.js';

const USAGE = `usage:
  marketprism-sim generate [--venue ${SIM_VENUES.join(',')}] [--seed N] [--symbols BTC-USDT,ETH-USDT]
                           [--rate PUSHES_PER_SEC] [--periodic-ms MS] [--okx-mode 2025|2026] [--levels N]
                           [--diff-updates LOW-HIGH (book updates per push, default 1-3)] [--rest-weight-per-min N (Binance)]
  marketprism-sim replay [--venue V] [--speed FACTOR|max] [--no-hold] FILE...    (also: --captures FILE...)
common: [--host 127.0.0.1] [--port 0] [--log-level warn]
Prints {"<collector venue key>":{"venue","ws_url","rest_url"[,"symbols","data_types"]},...} on one line, serves until SIGINT/SIGTERM.
Faults: POST <rest_url>/__sim/inject {"kind":"drop-diff"|"close"|"stall"|"rest-error"|"rest-delay"|"clear",...}; GET <rest_url>/__sim/stats.`;

export interface MainIo {
  out?: (line: string) => void;
  err?: (line: string) => void;
  /** Stops serving when aborted (tests); otherwise SIGINT/SIGTERM do. */
  signal?: AbortSignal;
}

export async function main(argv: string[], io: MainIo = {}): Promise<number> {
  const out = io.out ?? ((l: string) => void process.stdout.write(l + '\n'));
  const err = io.err ?? ((l: string) => void process.stderr.write(l + '\n'));
  let plan: { options: ExchangeSimOptions[]; level: LogLevel };
  try {
    if (argv[0] === '--version') {
      out(`marketprism-sim ${packageVersion()}`);
      return 0;
    }
    plan = parsePlan(argv);
  } catch (e) {
    err(`marketprism-sim: ${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  const logger = createLogger({ name: 'marketprism-sim', level: plan.level, destination: { write: (l: string) => void process.stderr.write(l) } });
  const sims: ExchangeSim[] = [];
  try {
    for (const o of plan.options) sims.push(await startExchangeSim({ ...o, logger }));
  } catch (e) {
    await Promise.all(sims.map((s) => s.stop()));
    err(`marketprism-sim: ${(e as Error).message}`);
    return 1;
  }
  out(JSON.stringify(collectorVenues(sims)));
  await untilStopped(io.signal);
  await Promise.all(sims.map((s) => s.stop()));
  return 0;
}

function parsePlan(argv: string[]): { options: ExchangeSimOptions[]; level: LogLevel } {
  // `--captures FILE...` (what quickstart.sh passes) is `replay FILE...`.
  const [command, ...rest] = argv[0] === '--captures' ? ['replay', ...argv.slice(1)] : argv;
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: command === 'replay',
    options: {
      venue: { type: 'string' },
      seed: { type: 'string', default: '1' },
      symbols: { type: 'string' },
      rate: { type: 'string' },
      'periodic-ms': { type: 'string' },
      'okx-mode': { type: 'string' },
      levels: { type: 'string' },
      'diff-updates': { type: 'string' },
      'rest-weight-per-min': { type: 'string' },
      speed: { type: 'string', default: '1' },
      'no-hold': { type: 'boolean', default: false },
      host: { type: 'string', default: '127.0.0.1' },
      port: { type: 'string', default: '0' },
      'log-level': { type: 'string', default: 'warn' },
    },
  });
  const level = values['log-level'] as LogLevel;
  if (!LOG_LEVELS.includes(level)) throw new Error(`--log-level must be one of ${LOG_LEVELS.join(', ')}`);
  const port = int(values.port, '--port');
  const weight = values['rest-weight-per-min'];
  const limits = weight === undefined ? {} : { limits: { restWeightPerMin: int(weight, '--rest-weight-per-min') } };
  const common = (i: number) => ({ host: values.host, port: port === 0 ? 0 : port + i, ...limits });
  if (command === 'generate') {
    const venues = venueList(values.venue ?? SIM_VENUES.join(','));
    const okxMode = values['okx-mode'];
    if (okxMode !== undefined && okxMode !== '2025' && okxMode !== '2026') throw new Error('--okx-mode must be 2025 or 2026');
    const generate: GenerateOptions = {
      seed: int(values.seed, '--seed'),
      ...(values.symbols ? { symbols: values.symbols.split(',') } : {}),
      ...(values.rate ? { ratePerSec: num(values.rate, '--rate') } : {}),
      ...(values['periodic-ms'] ? { periodicMs: num(values['periodic-ms'], '--periodic-ms') } : {}),
      ...(okxMode ? { okxMode } : {}),
      ...(values.levels ? { bookLevels: int(values.levels, '--levels') } : {}),
      ...(values['diff-updates'] ? { diffUpdates: range(values['diff-updates'], '--diff-updates') } : {}),
    };
    return { level, options: venues.map((venue, i) => ({ venue, source: { generate }, ...common(i) })) };
  }
  if (command === 'replay') {
    if (positionals.length === 0) throw new Error('replay needs capture files');
    const speed = values.speed === 'max' ? Infinity : num(values.speed, '--speed');
    const byVenue = new Map<SimVenue, string[]>();
    for (const file of positionals) {
      const venue = values.venue ? venueList(values.venue)[0]! : venueOfCapture(file);
      byVenue.set(venue, [...(byVenue.get(venue) ?? []), file]);
    }
    return {
      level,
      options: [...byVenue].map(([venue, capture], i) => ({ venue, source: { capture, speed, holdForSnapshots: !values['no-hold'] }, ...common(i) })),
    };
  }
  throw new Error(command ? `unknown command ${JSON.stringify(command)}` : 'missing command');
}

/** cryptofeed names files after the feed: BINANCE.*, BINANCE_FUTURES.*, OKX.* (OKEX.*), DERIBIT.* (the registry's capture names). */
export function venueOfCapture(file: string): SimVenue {
  const venue = kindOfCapture(basename(file).split('.')[0]!);
  if (venue) return venue;
  throw new Error(`cannot tell the venue of ${file} from its name; pass --venue`);
}

function venueList(text: string): SimVenue[] {
  const list = text.split(',').filter(Boolean);
  for (const v of list) if (!isSimVenue(v)) throw new Error(`unknown venue ${JSON.stringify(v)}; expected ${SIM_VENUES.join(', ')}`);
  return list as SimVenue[];
}

function num(text: string, name: string): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n) || n < 0) throw new Error(`${name} must be a non-negative number, got ${JSON.stringify(text)}`);
  return n;
}

/** `LOW-HIGH` or `N` (= N-N), integers. */
function range(text: string, name: string): [number, number] {
  const m = /^(\d+)(?:-(\d+))?$/.exec(text.trim());
  if (!m) throw new Error(`${name} must be LOW-HIGH or N (integers), got ${JSON.stringify(text)}`);
  const lo = Number(m[1]);
  const hi = m[2] === undefined ? lo : Number(m[2]);
  if (lo < 1 || hi < lo) throw new Error(`${name} must have 1 <= LOW <= HIGH, got ${JSON.stringify(text)}`);
  return [lo, hi];
}

function int(text: string, name: string): number {
  const n = num(text, name);
  if (!Number.isInteger(n)) throw new Error(`${name} must be an integer, got ${JSON.stringify(text)}`);
  return n;
}

function untilStopped(signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      process.off('SIGINT', done);
      process.off('SIGTERM', done);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    if (signal) {
      if (signal.aborted) return done();
      signal.addEventListener('abort', done);
    } else {
      process.once('SIGINT', done);
      process.once('SIGTERM', done);
    }
  });
}
