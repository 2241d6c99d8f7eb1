/** Daemons as child processes (as deployed), and what /proc says about their CPU and memory. */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';

export const TICKS_PER_SECOND = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

export interface Daemon {
  readonly proc: ChildProcess;
  readonly pid: number;
  /** The last few KiB of its stderr (for error messages). */
  stderr(): string;
  /** The last few KiB of its stdout (the daemons log there), and how it exited if it did. */
  stdoutTail(): string;
  /** SIGTERM, then SIGKILL after 30 s; resolves once it exited. */
  stop(): Promise<void>;
}

/** Runs `node [nodeArgs] script args`; with `firstLine`, resolves with the first stdout line too. */
export async function spawnNode(script: string, args: string[], opts: { nodeArgs?: string[] } = {}): Promise<Daemon & { firstLine: Promise<string> }> {
  const proc = spawn(process.execPath, [...(opts.nodeArgs ?? []), script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  proc.stderr!.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-4000)));
  let out = '';
  let tail = '';
  proc.stdout!.on('data', (d: Buffer) => (tail = (tail + d.toString()).slice(-4000)));
  const firstLine = new Promise<string>((resolve, reject) => {
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const nl = out.indexOf('\n');
      if (nl >= 0) resolve(out.slice(0, nl));
      if (out.length > 65536) out = out.slice(-65536);
    });
    proc.once('exit', (code) => reject(new Error(`${script} exited ${code}: ${err}`)));
  });
  firstLine.catch(() => undefined);
  await once(proc, 'spawn');
  return {
    proc,
    pid: proc.pid!,
    firstLine,
    stderr: () => err,
    stdoutTail: () => tail + (proc.exitCode !== null || proc.signalCode !== null ? `\n(exited: code ${proc.exitCode}, signal ${proc.signalCode})` : ''),
    async stop() {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      const exited = once(proc, 'exit');
      proc.kill('SIGTERM');
      const t = setTimeout(() => proc.kill('SIGKILL'), 30_000);
      await exited;
      clearTimeout(t);
    },
  };
}

export interface ProcSample {
  /** CPU seconds (user + system) so far. */
  cpuSeconds: number;
  rssMb: number;
  /** Peak RSS so far (VmHWM). */
  peakRssMb: number;
}

export function procSample(pid: number): ProcSample {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const cpuSeconds = (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND; // utime, stime
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
  return { cpuSeconds, rssMb: Math.round(kb('VmRSS') / 1024), peakRssMb: Math.round(kb('VmHWM') / 1024) };
}

/** Share of one core used between two samples taken `ms` apart, in percent. */
export const cpuPercent = (a: ProcSample, b: ProcSample, ms: number): number => Math.round(((b.cpuSeconds - a.cpuSeconds) / (ms / 1000)) * 100);
