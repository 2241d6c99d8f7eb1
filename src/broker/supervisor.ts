/**
 * Runs nats-server as a child, restarts it when it dies (with backoff), and tracks
 * its health from the monitoring endpoint. nats-server has no sd_notify of its own;
 * this gives the broker unit the same READY/watchdog contract as the other daemons.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { accessSync, closeSync, constants, lstatSync, openSync, rmSync } from 'node:fs';
import { Socket } from 'node:net';
import { delimiter, dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Logger } from '../core/logger.js';
import type { BrokerConfig } from './config.js';
import { Backoff } from '../core/retry.js';

// prettier-ignore -- a table, laid out by hand
const LEVELS: Record<string, 'debug' | 'info' | 'warn' | 'error' | 'fatal'> = {
  DBG: 'debug',
  TRC: 'debug',
  INF: 'info',
  WRN: 'warn',
  ERR: 'error',
  FTL: 'fatal',
};
const LINE_RE = /^\[\d+\] \S+ \S+ \[(\w{3})\] (.*)$/;
const HEALTHY_RESET_MS = 30_000;
const POLL_MS = 1000;

/** The first executable `name` on PATH. */
function findOnPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter).filter(Boolean)) {
    try {
      accessSync(join(dir, name), constants.X_OK);
      return join(dir, name);
    } catch {
      // not here
    }
  }
  return undefined;
}

/**
 * How nats-server is started so that it never outlives the broker: Node has no
 * PR_SET_PDEATHSIG, so setpriv (util-linux) sets it and execs nats-server: when the
 * broker dies, even by SIGKILL, the kernel sends nats-server SIGTERM (a clean
 * JetStream shutdown). Without setpriv, nats-server is spawned directly (and a warning says so).
 */
export function natsServerCommand(
  binary: string,
  configFile: string,
  setpriv: string | null = findOnPath('setpriv') ?? null,
  logPipe?: string,
): { file: string; args: string[] } {
  const args = ['-c', configFile, ...(logPipe ? ['-l', logPipe] : [])];
  return setpriv ? { file: setpriv, args: ['--pdeathsig', 'TERM', '--', binary, ...args] } : { file: binary, args };
}

/**
 * nats-server's log goes through a FIFO, not its stdout/stderr. When the broker dies, the
 * kernel sends nats-server SIGTERM and it logs its shutdown: a Go program whose write to a
 * broken pipe on fd 1 or 2 fails is killed by SIGPIPE on the spot (skipping the JetStream
 * shutdown, so the next start recovers the store as after a crash), while on any other fd
 * the write just fails. The broker holds the FIFO open read-write, so opening it never blocks
 * and a nats-server restart finds it ready. Returns the reader, or undefined (then the log
 * stays on stdout/stderr) when no FIFO can be made.
 */
export function openLogPipe(path: string, log: Logger): { socket: Socket; path: string } | undefined {
  try {
    try {
      if (!lstatSync(path).isFIFO()) rmSync(path);
    } catch {
      // absent
    }
    try {
      lstatSync(path);
    } catch {
      execFileSync('mkfifo', ['-m', '600', path]);
    }
    const fd = openSync(path, constants.O_RDWR | constants.O_NONBLOCK);
    try {
      return { socket: new Socket({ fd, readable: true, writable: false }), path };
    } catch (err) {
      closeSync(fd);
      throw err;
    }
  } catch (err) {
    log.warn(
      { err: (err as Error).message, path },
      'cannot make the log FIFO for nats-server; its log stays on stdout (an unclean shutdown if the broker dies)',
    );
    return undefined;
  }
}

/** A listen address as a URL host: a wildcard becomes loopback. */
function local(host: string): string {
  const h = host === '0.0.0.0' || host === '::' || host === '' ? '127.0.0.1' : host;
  return h.includes(':') ? `[${h}]` : h;
}

export interface SupervisorEvents {
  healthy: [];
  exit: [code: number | null, signal: NodeJS.Signals | null];
}

export class NatsSupervisor extends EventEmitter<SupervisorEvents> {
  private child: ChildProcess | undefined;
  private command: { file: string; args: string[] };
  private stopping = false;
  private readonly restartBackoff: Backoff;
  private startedAt = 0;
  private poll: NodeJS.Timeout | undefined;
  private logPipe: { socket: Socket; path: string } | undefined;
  healthy = false;
  /** When /healthz last answered OK (ms), for the watchdog. */
  lastHealthyAt = 0;
  restarts = 0;

  constructor(
    private readonly cfg: BrokerConfig['nats_server'],
    private readonly configFile: string,
    private readonly log: Logger,
  ) {
    super();
    this.restartBackoff = new Backoff({ initialMs: cfg.restart_backoff_ms.initial, maxMs: cfg.restart_backoff_ms.max });
    this.command = natsServerCommand(cfg.binary, configFile, undefined, this.logPipePath);
    if (this.command.file === cfg.binary) {
      log.warn('setpriv (util-linux) not found on PATH: nats-server will outlive this broker if it is killed outside systemd');
    }
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get monitorUrl(): string {
    return `http://${local(this.cfg.monitor_host)}:${this.cfg.monitor_port}`;
  }

  /** How the broker reaches its nats-server: over loopback when it listens on every address. */
  get clientUrl(): string {
    return `${this.cfg.tls ? 'tls' : 'nats'}://${local(this.cfg.host)}:${this.cfg.port}`;
  }

  /** Beside the rendered config, in the broker's state directory. */
  private get logPipePath(): string {
    return join(dirname(this.configFile), 'nats-server.log.fifo');
  }

  start(): void {
    this.stopping = false;
    if (!this.logPipe) {
      this.logPipe = openLogPipe(this.logPipePath, this.log);
      if (this.logPipe) createInterface({ input: this.logPipe.socket }).on('line', (line) => this.relay(line));
      else this.command = natsServerCommand(this.cfg.binary, this.configFile);
    }
    this.spawnChild();
    this.poll = setInterval(() => void this.check(), POLL_MS);
  }

  private spawnChild(): void {
    this.startedAt = Date.now();
    const child = spawn(this.command.file, this.command.args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    child.on('error', (err) => this.log.error({ err: err.message, binary: this.cfg.binary }, 'cannot run nats-server'));
    for (const stream of [child.stdout!, child.stderr!]) {
      createInterface({ input: stream }).on('line', (line) => this.relay(line));
    }
    child.on('exit', (code, signal) => {
      this.healthy = false;
      this.child = undefined;
      this.emit('exit', code, signal);
      if (this.stopping) return;
      const ranFor = Date.now() - this.startedAt;
      if (ranFor > HEALTHY_RESET_MS) this.restartBackoff.reset();
      const delay = Math.round(this.restartBackoff.next());
      this.log.error({ code, signal, restart_in_ms: delay }, 'nats-server exited; restarting');
      this.restarts++;
      setTimeout(() => !this.stopping && this.spawnChild(), delay);
    });
    this.log.info({ pid: child.pid, binary: this.cfg.binary, config: this.configFile }, 'nats-server started');
  }

  private relay(line: string): void {
    const m = LINE_RE.exec(line);
    const level = (m && LEVELS[m[1]!]) ?? (line.startsWith('setpriv:') ? 'error' : 'info');
    this.log[level]({ src: 'nats-server' }, m ? m[2]! : line);
  }

  private async check(): Promise<void> {
    if (!this.child) return;
    let ok = false;
    try {
      const res = await fetch(`${this.monitorUrl}/healthz?js-enabled-only=true`, { signal: AbortSignal.timeout(2000) });
      ok = res.ok;
    } catch {
      ok = false;
    }
    if (ok) this.lastHealthyAt = Date.now();
    if (ok && !this.healthy) {
      this.healthy = true;
      this.emit('healthy');
    } else if (!ok && this.healthy) {
      this.healthy = false;
      this.log.warn('nats-server stopped answering /healthz');
    }
  }

  /** Resolves when nats-server is healthy, or rejects after the startup timeout. */
  waitHealthy(): Promise<void> {
    if (this.healthy) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => {
        this.off('healthy', ok);
        reject(new Error(`nats-server not healthy within ${this.cfg.startup_timeout_ms} ms (see its log lines above)`));
      }, this.cfg.startup_timeout_ms);
      const ok = () => {
        clearTimeout(t);
        resolve();
      };
      this.once('healthy', ok);
    });
  }

  /** SIGTERM (nats-server flushes JetStream and exits), SIGKILL after a grace period. */
  async stop(graceMs = 15_000): Promise<void> {
    this.stopping = true;
    clearInterval(this.poll);
    const child = this.child;
    if (child) {
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    }
    this.logPipe?.socket.destroy();
    this.logPipe = undefined;
  }
}
