/** The daemons as child processes (compiled bin/ entry points), each logging to its own file. */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/** The repository root (from src/testing/fault-suite or build/src/testing/fault-suite). */
export const ROOT = (() => {
  let dir = import.meta.dirname;
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
})();

export interface Proc {
  readonly name: string;
  readonly logFile: string;
  child: ChildProcess;
  readonly pid: number;
  alive(): boolean;
  /** Sends `signal` and waits (at most `ms`) for the exit; SIGKILL after that. */
  stop(signal?: NodeJS.Signals, ms?: number): Promise<void>;
  log(): string;
}

/**
 * A compiled entry point (`script`, from the repository root) as its own process logging to
 * `logFile`. `prefix`: a command node runs under (`ip netns exec NAME`, setpriv ...); it must
 * exec node, so that the child's pid is the daemon's.
 */
export function spawnProc(name: string, script: string, args: string[], logFile: string, prefix: readonly string[] = []): Proc {
  const fd = openSync(logFile, 'a');
  const argv = [...prefix, process.execPath, resolve(ROOT, script), ...args];
  const child = spawn(argv[0]!, argv.slice(1), {
    cwd: ROOT,
    env: { ...process.env, JOURNAL_STREAM: '', NOTIFY_SOCKET: '' },
    stdio: ['ignore', fd, fd],
  });
  closeSync(fd);
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const alive = () => child.exitCode === null && child.signalCode === null;
  return {
    name,
    logFile,
    child,
    get pid() {
      return child.pid!;
    },
    alive,
    async stop(signal = 'SIGTERM', ms = 30_000) {
      if (!alive()) return;
      child.kill(signal);
      const t = setTimeout(() => alive() && child.kill('SIGKILL'), ms);
      await exited;
      clearTimeout(t);
    },
    log: () => readFileSync(logFile, 'utf8'),
  };
}

/** Whether a process of this pid exists (and is not a zombie). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** Sum of every series of a Prometheus counter or gauge in a text exposition. */
export function metricSum(text: string, name: string): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const m = /^([a-zA-Z_:][\w:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (m && m[1] === name) sum += Number(m[3]);
  }
  return sum;
}
