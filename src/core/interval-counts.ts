/**
 * What a daemon counted in each interval (a minute by default, aligned to the UTC clock),
 * published as one small JSON message on its own subject into the counts stream
 * (streams.yaml MARKETPRISM_COUNTS), so `marketprism integrity` can say what happened in a
 * time range rather than since the daemon started (cli/integrity-counts.ts).
 *
 * The numbers are the deltas of the daemon's own Prometheus counters (the /metrics ones),
 * each sample mapped to `scope` (a venue, or `*` for daemon-wide), `section` (resyncs,
 * problems, ...) and `key` (a reason, a kind, ...). A message is sent only when something
 * changed. Best effort: a publish that fails (no NATS yet, no stream, no ack) is counted and
 * logged at most once a minute, and what it held is added to the next interval's message
 * (which then starts where the unsent one did). Nothing here blocks the caller: one publish
 * at a time, on a timer, bounded by `ackTimeoutMs`.
 */
import type { JetStreamClient } from '@nats-io/jetstream';
import type { Counter } from 'prom-client';
import { LogLimiter } from './log-limit.js';
import type { Logger } from './logger.js';
import { countsSubject, type CountingDaemon } from './subjects.js';

/** Counts of one interval: scope → section → key → count. */
export type Counts = Record<string, Record<string, Record<string, number>>>;

export interface CountsMessage {
  v: 1;
  daemon: CountingDaemon;
  id: string;
  /** The interval counted, [from, to), ISO 8601 UTC. */
  from: string;
  to: string;
  counts: Counts;
}

/** One counter and where each of its samples goes in a message. */
export interface CountedMetric {
  counter: Counter<string>;
  place: (labels: Partial<Record<string, string | number>>) => [scope: string, section: string, key: string];
}

/** Scope of counts that are the daemon's, not a venue's (e.g. the publish buffer's drops). */
export const DAEMON_SCOPE = '*';

const keyOf = (p: [string, string, string]) => JSON.stringify(p);

/** The counters' current totals, by place. */
async function totals(metrics: readonly CountedMetric[]): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const m of metrics)
    for (const s of (await m.counter.get()).values) {
      const k = keyOf(m.place(s.labels));
      out.set(k, (out.get(k) ?? 0) + s.value);
    }
  return out;
}

/** The next interval boundary after `now` (aligned to the Unix epoch, so whole UTC minutes for 60 s). */
export const nextBoundary = (now: number, intervalMs: number) => (Math.floor(now / intervalMs) + 1) * intervalMs;

export interface IntervalCountsOptions {
  daemon: CountingDaemon;
  id: string;
  intervalMs: number;
  ackTimeoutMs: number;
  metrics: readonly CountedMetric[];
  /** The JetStream client once NATS is connected. */
  js: () => JetStreamClient | undefined;
  /** Called once per failed publish (a metric). */
  failed: () => void;
}

export class IntervalCounts {
  private readonly log = new LogLimiter();
  private readonly subject: string;
  /** Totals at the last interval's end. */
  private last: Map<string, number> | undefined;
  /** Counted and not yet published, since `pendingFrom`. */
  private pending = new Map<string, number>();
  private pendingFrom: number;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(
    private readonly opts: IntervalCountsOptions,
    private readonly logger: Logger,
    now = Date.now(),
  ) {
    this.subject = countsSubject(opts.daemon, opts.id);
    this.pendingFrom = now;
  }

  /** Takes the counters' totals as the starting point and ticks at each interval boundary. */
  async start(): Promise<void> {
    this.last = await totals(this.opts.metrics);
    this.schedule();
  }

  private schedule(): void {
    if (this.stopped) return;
    const at = nextBoundary(Date.now(), this.opts.intervalMs);
    this.timer = setTimeout(() => {
      this.running = this.tick(at).finally(() => this.schedule());
    }, at - Date.now());
    this.timer.unref();
  }

  /** Counts up to `to` and publishes what changed since the last message sent. */
  async tick(to: number): Promise<void> {
    const now = await totals(this.opts.metrics);
    for (const [k, v] of now) {
      const d = v - (this.last?.get(k) ?? 0);
      if (d > 0) this.pending.set(k, (this.pending.get(k) ?? 0) + d);
    }
    this.last = now;
    if (this.pending.size === 0) {
      this.pendingFrom = to;
      return;
    }
    const message = this.message(to);
    try {
      const js = this.opts.js();
      if (!js) throw new Error('NATS not connected yet');
      await js.publish(this.subject, JSON.stringify(message), { timeout: this.opts.ackTimeoutMs });
      this.pending = new Map();
      this.pendingFrom = to;
    } catch (err) {
      this.opts.failed();
      this.log.log(
        this.logger,
        'warn',
        'publish',
        { subject: this.subject, from: message.from, err: (err as Error).message },
        'counts not published; kept for the next interval (at most a line a minute)',
      );
    }
  }

  message(to: number): CountsMessage {
    const counts: Counts = {};
    for (const [k, n] of this.pending) {
      const [scope, section, key] = JSON.parse(k) as [string, string, string];
      ((counts[scope] ??= {})[section] ??= {})[key] = n;
    }
    return { v: 1, daemon: this.opts.daemon, id: this.opts.id, from: new Date(this.pendingFrom).toISOString(), to: new Date(to).toISOString(), counts };
  }

  /** Stops the timer and publishes the interval so far (best effort, as every interval). */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
    if (this.last) await this.tick(Date.now());
  }
}
