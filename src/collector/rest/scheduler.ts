/**
 * REST requests to one venue host, within its request-weight budget. Snapshots after
 * a reconnect would otherwise all go at once (the "snapshot storm" that earns 429s and
 * 418 bans): here they queue, leave at least `spacingMs` apart, and only while the
 * weight used in the last minute stays under the budget. A 429 or 418 pauses the
 * whole host for the Retry-After the venue asks (at least a minute for a ban).
 * Binance's `x-mbx-used-weight-1m` header corrects our own count.
 */
export interface SchedulerOptions {
  /** Request weight allowed per rolling minute (Binance spot 6000, USDⓈ-M 2400; OKX counts requests). */
  weightPerMinute: number;
  /** Minimum spacing between requests. */
  spacingMs: number;
  timeoutMs: number;
}

export interface SchedulerHooks {
  /** A body arrived (record mode writes it to the capture). */
  fetched?(url: string, body: string): void;
  /** The venue said slow down. */
  throttled?(status: number, pauseMs: number): void;
}

export class HttpStatusError extends Error {
  override name = 'HttpStatusError';
  constructor(
    readonly status: number,
    url: string,
  ) {
    super(`HTTP ${status} from ${url}`);
  }
}

interface Job {
  key: string;
  url: string;
  weight: number;
  resolve(body: string): void;
  reject(err: Error): void;
}

export class RestScheduler {
  private readonly queue: Job[] = [];
  private readonly queuedKeys = new Set<string>();
  private readonly spent: { at: number; weight: number }[] = [];
  private pausedUntil = 0;
  private lastAt = 0;
  private timer: NodeJS.Timeout | undefined;
  private running = 0;
  private stopped = false;
  /** Weight the venue reports as used (Binance header), with when it said so. */
  private reported: { at: number; used: number } | undefined;

  constructor(
    private readonly opts: SchedulerOptions,
    private readonly hooks: SchedulerHooks = {},
    private readonly fetchImpl: typeof fetch = fetch,
  ) {}

  get pending(): number {
    return this.queue.length + this.running;
  }

  /** Queues a GET. A second request for a key still queued joins the first. */
  get(key: string, url: string, weight: number): Promise<string> {
    return new Promise((resolve, reject) => {
      if (this.stopped) return reject(new Error('stopped'));
      if (this.queuedKeys.has(key)) {
        const job = this.queue.find((j) => j.key === key)!;
        const [r0, j0] = [job.resolve, job.reject];
        job.resolve = (b) => (r0(b), resolve(b));
        job.reject = (e) => (j0(e), reject(e));
        return;
      }
      this.queuedKeys.add(key);
      this.queue.push({ key, url, weight, resolve, reject });
      this.pump();
    });
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    for (const j of this.queue.splice(0)) j.reject(new Error('stopped'));
    this.queuedKeys.clear();
  }

  private used(now: number): number {
    while (this.spent.length > 0 && now - this.spent[0]!.at >= 60_000) this.spent.shift();
    const ours = this.spent.reduce((a, s) => a + s.weight, 0);
    const theirs = this.reported && now - this.reported.at < 60_000 ? this.reported.used : 0;
    return Math.max(ours, theirs);
  }

  private pump(): void {
    if (this.stopped || this.timer || this.queue.length === 0) return;
    const now = Date.now();
    const job = this.queue[0]!;
    let wait = Math.max(this.pausedUntil - now, this.lastAt + this.opts.spacingMs - now, 0);
    if (wait === 0 && this.used(now) + job.weight > this.opts.weightPerMinute && this.spent.length > 0) {
      wait = this.spent[0]!.at + 60_000 - now; // until the oldest spend leaves the window
    }
    if (wait > 0) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.pump();
      }, wait);
      return;
    }
    this.queue.shift();
    this.queuedKeys.delete(job.key);
    this.lastAt = now;
    this.spent.push({ at: now, weight: job.weight });
    this.running++;
    void this.run(job).finally(() => {
      this.running--;
      this.pump();
    });
    this.pump();
  }

  private async run(job: Job): Promise<void> {
    try {
      const res = await this.fetchImpl(job.url, { signal: AbortSignal.timeout(this.opts.timeoutMs) });
      const usedHeader = Number(res.headers.get('x-mbx-used-weight-1m'));
      if (Number.isFinite(usedHeader) && usedHeader > 0) this.reported = { at: Date.now(), used: usedHeader };
      if (res.status === 429 || res.status === 418) {
        const retryAfter = Number(res.headers.get('retry-after'));
        // As long as the venue says; a minute (a ban: two) when it does not say.
        const pause = Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : res.status === 418 ? 120_000 : 60_000;
        this.pausedUntil = Date.now() + pause;
        this.hooks.throttled?.(res.status, pause);
        await res.body?.cancel();
        throw new HttpStatusError(res.status, job.url);
      }
      const body = await res.text();
      if (!res.ok) throw new HttpStatusError(res.status, job.url);
      this.hooks.fetched?.(job.url, body);
      job.resolve(body);
    } catch (err) {
      job.reject(err as Error);
    }
  }
}
