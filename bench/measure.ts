/** What every benchmark measures the same way: heap after a full GC, machine load, rates. */
import { loadavg } from 'node:os';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** A full GC: `--expose-gc` (scripts/bench.sh passes it), else V8's flag set at run time. */
function findGc(): (() => void) | undefined {
  if (typeof globalThis.gc === 'function') return globalThis.gc as () => void;
  try {
    setFlagsFromString('--expose-gc');
    return runInNewContext('gc') as () => void;
  } catch {
    return undefined;
  }
}
const gc = findGc();

const MIB = 2 ** 20;
export const mib = (bytes: number): number => Math.round((bytes / MIB) * 10) / 10;

/** Heap in use after a full collection (MiB), or the live figure when no GC can be forced. */
export function heapAfterGc(): number {
  gc?.();
  gc?.();
  return mib(process.memoryUsage().heapUsed);
}
export const gcAvailable = gc !== undefined;

/** 1-minute load average, one decimal: other builds share these 2 cores. */
export const load1 = (): number => Math.round(loadavg()[0]! * 10) / 10;

export const perSecond = (n: number, ms: number): number => Math.round(n / (ms / 1000));
export const fmt = (n: number): string => Math.round(n).toLocaleString('en');

/**
 * Sums the wall time (hrtime) and this process's CPU time of `fn` runs, leaving out
 * whatever happens between them. On a shared machine CPU time is the steadier figure:
 * wall time also counts the moments other processes had the core.
 */
export class Stopwatch {
  ms = 0;
  cpuMs = 0;
  time<T>(fn: () => T): T {
    const t0 = process.hrtime.bigint();
    const c0 = process.cpuUsage();
    try {
      return fn();
    } finally {
      this.ms += Number(process.hrtime.bigint() - t0) / 1e6;
      const c = process.cpuUsage(c0);
      this.cpuMs += (c.user + c.system) / 1000;
    }
  }
}
