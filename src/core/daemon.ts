/**
 * What every daemon's entry point shares: argument parsing (`--config`, `check-config`,
 * `--version`), the logger, signals (TERM/INT stop, HUP reloads) and last-resort
 * error handling. A daemon supplies `load` (parse + validate config) and `start`.
 */
import { readFileSync } from 'node:fs';
import { ConfigError, resolveConfigPath, type Module } from './config.js';
import { daemonUsage } from './daemon-help.js';
import { createLogger, type LogLevel, type Logger } from './logger.js';
import { notifyStatus, notifyStopping } from './systemd.js';

export interface Running {
  /** Re-read what can change safely; called on SIGHUP with the freshly loaded config. */
  reload?(config: unknown, log: Logger): Promise<void> | void;
  stop(): Promise<void>;
}

export interface DaemonSpec<C extends { log_level: LogLevel }> {
  module: Module;
  load(file: string): C;
  start(config: C, log: Logger, file: string): Promise<Running>;
  /** Extra subcommands (e.g. the collector's `record` and `replay`). */
  commands?: Record<string, (args: string[]) => Promise<number>>;
}

export function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

export function takeOption(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  if (i < 0) return undefined;
  const value = args[i + 1];
  if (value === undefined || value.startsWith('--')) throw new Error(`${name} needs a value`);
  args.splice(i, 2);
  return value;
}

export async function runDaemon<C extends { log_level: LogLevel }>(spec: DaemonSpec<C>, argv: string[]): Promise<void> {
  const args = [...argv];
  const name = `marketprism-${spec.module}`;
  if (args.includes('--version') || args[0] === 'version') {
    console.log(`${name} ${packageVersion()}`);
    return;
  }
  if (args.includes('--help') || args[0] === 'help') {
    console.log(daemonUsage(spec.module));
    return;
  }
  const command = args[0] && !args[0].startsWith('--') ? args.shift()! : 'run';
  const extra = spec.commands?.[command];
  if (extra) {
    process.exitCode = await extra(args);
    return;
  }
  let file: string;
  let config: C;
  try {
    file = resolveConfigPath(spec.module, takeOption(args, '--config'));
    if (args.length > 0) throw new Error(`unexpected arguments: ${args.join(' ')}`);
    if (command !== 'run' && command !== 'check-config') throw new Error(`unknown command ${command}; try --help`);
    config = spec.load(file);
  } catch (err) {
    console.error(`${name}: ${err instanceof ConfigError ? 'invalid config: ' : ''}${(err as Error).message}`);
    process.exitCode = 1;
    return;
  }
  if (command === 'check-config') {
    console.log(`${name}: ${file} is valid`);
    return;
  }

  const log = createLogger({ name, level: config.log_level });
  process.on('uncaughtException', (err) => {
    log.fatal({ err }, 'uncaught exception; exiting');
    process.exit(70);
  });
  process.on('unhandledRejection', (err) => {
    log.fatal({ err }, 'unhandled rejection; exiting');
    process.exit(70);
  });

  log.info({ version: packageVersion(), config: file }, 'starting');
  notifyStatus('starting');
  let running: Running;
  try {
    running = await spec.start(config, log, file);
  } catch (err) {
    // Only what cannot work by waiting ends here (a port held, a config the daemon cannot run):
    // a peer that is away is retried inside `start`. The reason goes to the journal and the status line.
    log.fatal({ err }, 'could not start');
    notifyStatus(`could not start: ${(err as Error).message.slice(0, 300)}`);
    log.flush();
    process.exit(1);
  }

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping');
    notifyStopping();
    const force = setTimeout(() => {
      log.error('clean stop took too long; exiting');
      process.exit(1);
    }, 20_000);
    force.unref();
    try {
      await running.stop();
    } catch (err) {
      log.error({ err }, 'error while stopping');
    }
    log.info('stopped');
    log.flush();
    setImmediate(() => process.exit(0));
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGHUP', () => {
    try {
      const fresh = spec.load(file);
      log.level = fresh.log_level;
      Promise.resolve(running.reload?.(fresh, log)).catch((err) => log.error({ err }, 'reload failed'));
      log.info({ log_level: fresh.log_level }, 'reloaded config');
    } catch (err) {
      log.error({ err: (err as Error).message }, 'reload failed; keeping the running config');
    }
  });
}
