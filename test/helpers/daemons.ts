/** The real daemons as child processes (the compiled bin/ entry points, as systemd runs them). */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../..');

export interface DaemonProcess {
  readonly child: ChildProcess;
  /** Everything it printed so far (pino JSON lines). */
  output(): string;
  /** Send a signal and wait for the exit. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export function spawnDaemon(module: 'broker' | 'storage' | 'collector', args: string[], env: NodeJS.ProcessEnv = {}): DaemonProcess {
  const entry = resolve(ROOT, `bin/marketprism-${module}.js`);
  if (!existsSync(resolve(ROOT, `build/src/${module}/main.js`))) {
    throw new Error('build/ is missing: run `npm run build` first (scripts/test.sh does)');
  }
  const child = spawn(process.execPath, [entry, ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env, JOURNAL_STREAM: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const keep = (d: Buffer) => {
    out = (out + d.toString()).slice(-200_000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  return {
    child,
    output: () => out,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
      child.kill(signal);
      return exited;
    },
  };
}
