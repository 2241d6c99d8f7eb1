/**
 * Rate-limited logging for conditions that can repeat in a hot loop (bad venue data,
 * invalid records): at most one line per key per interval (a minute by default), and
 * that line says how many were suppressed since the previous one. Counting belongs in
 * metrics; the log says that, and how often, something keeps happening.
 */
import type { Logger } from './logger.js';

export const LOG_EVERY_MS = 60_000;
/** Keys remembered (a hostile feed naming a new symbol each message must not grow memory). */
const MAX_KEYS = 10_000;

export class LogLimiter {
  /** Least recently logged first (a key is re-inserted each time it is logged). */
  private readonly last = new Map<string, { at: number; suppressed: number }>();

  constructor(
    private readonly intervalMs = LOG_EVERY_MS,
    private readonly maxKeys = MAX_KEYS,
  ) {}

  /**
   * Whether to log `key` now: undefined when it was logged less than the interval ago
   * (this occurrence is counted as suppressed), else how many were suppressed since.
   */
  take(key: string, now = Date.now()): number | undefined {
    const seen = this.last.get(key);
    if (seen && now - seen.at < this.intervalMs) {
      seen.suppressed++;
      return undefined;
    }
    if (seen) this.last.delete(key);
    else if (this.last.size >= this.maxKeys) this.last.delete(this.last.keys().next().value!);
    this.last.set(key, { at: now, suppressed: 0 });
    return seen?.suppressed ?? 0;
  }

  /** Logs `msg` at `level` unless `key` was logged within the interval; adds `suppressed` when some were. */
  log(log: Logger, level: 'info' | 'warn' | 'error', key: string, fields: Record<string, unknown>, msg: string, now = Date.now()): boolean {
    const suppressed = this.take(key, now);
    if (suppressed === undefined) return false;
    log[level](suppressed > 0 ? { ...fields, suppressed } : fields, msg);
    return true;
  }
}
