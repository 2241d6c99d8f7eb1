/**
 * Retrying with exponential backoff and "equal jitter": the n-th wait is between half
 * and all of min(max, initial × 2^n), so many clients that failed together do not
 * come back together.
 */
export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
}

/**
 * Whether failure number `attempt` (0-based) of a retry loop deserves a log line: the
 * first and then every `every`-th, so a peer that is away for hours logs a few lines.
 */
export function logsFailure(attempt: number, every = 15): boolean {
  return attempt % every === 0;
}

/** The wait before retry number `attempt` (0-based). */
export function backoffDelay(attempt: number, opts: BackoffOptions): number {
  const base = Math.min(opts.maxMs, opts.initialMs * 2 ** Math.min(attempt, 30));
  return base / 2 + Math.random() * (base / 2);
}

/**
 * A retry loop's backoff state, for loops that are not one awaited call (a socket's
 * reconnects, a publisher's retry timer, a child process's restarts, an insert loop):
 * `next()` is the wait before the next attempt, `reset()` after a success that counts.
 */
export class Backoff {
  private attempt = 0;
  constructor(private readonly opts: BackoffOptions) {}

  next(): number {
    return backoffDelay(this.attempt++, this.opts);
  }

  reset(): void {
    this.attempt = 0;
  }

  /** Failures since the last reset. */
  get failures(): number {
    return this.attempt;
  }
}

/**
 * Runs `fn` until it succeeds or `signal` aborts (then rejects with the last error),
 * waiting a backoff delay between attempts and telling `onError` about each failure.
 */
export async function retryUntil<T>(
  fn: () => Promise<T>,
  opts: BackoffOptions & { signal: AbortSignal; onError?(err: Error, attempt: number, delayMs: number): void },
): Promise<T> {
  const backoff = new Backoff(opts);
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      const error = err instanceof Error ? err : new Error(String(err));
      if (opts.signal.aborted) throw error;
      const attempt = backoff.failures;
      const delay = backoff.next();
      opts.onError?.(error, attempt, delay);
      await pause(delay, opts.signal);
      if (opts.signal.aborted) throw error;
    }
  }
}

/** Waits `ms`, or less when `signal` aborts (resolves either way). */
export function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
