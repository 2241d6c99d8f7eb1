/**
 * publish_interval: at most one orderbook record per book per interval. The first
 * change after a quiet interval is published at once; changes inside the interval
 * are coalesced into one record published when it ends (trailing edge), built from
 * the book as it is then, which is always a state at a message boundary.
 * Driven by an explicit clock so replay (capture time) and live (wall time) agree;
 * interval 0 publishes the state after every message.
 */
import type { OrderbookRecord } from '../../core/model.js';

type Build = () => OrderbookRecord | undefined;

export class BookEmitter {
  private readonly lastAt = new Map<string, number>();
  private readonly pending = new Map<string, Build>();
  /** No pending record is due before this (tick runs per message: most calls end here). */
  private nextDue = Infinity;

  constructor(
    private readonly intervalMs: number,
    private readonly out: (r: OrderbookRecord) => void,
  ) {}

  changed(key: string, build: Build, now: number): void {
    const last = this.lastAt.get(key);
    if (this.intervalMs <= 0 || last === undefined || now - last >= this.intervalMs) {
      this.pending.delete(key);
      this.publish(key, build, now);
    } else {
      this.pending.set(key, build);
      this.nextDue = Math.min(this.nextDue, last + this.intervalMs);
    }
  }

  /** Publishes coalesced changes whose interval has passed. */
  tick(now: number): void {
    if (now < this.nextDue) return;
    let next = Infinity;
    for (const [key, build] of this.pending) {
      const due = (this.lastAt.get(key) ?? -Infinity) + this.intervalMs;
      if (now >= due) {
        this.pending.delete(key);
        this.publish(key, build, now);
      } else next = Math.min(next, due);
    }
    this.nextDue = next;
  }

  /** Publishes everything still pending (end of a replay, shutdown). */
  flush(now: number): void {
    for (const [key, build] of this.pending) this.publish(key, build, now);
    this.pending.clear();
    this.nextDue = Infinity;
  }

  private publish(key: string, build: Build, now: number): void {
    const r = build();
    if (!r) return; // the book went out of sync meanwhile: nothing valid to say
    this.lastAt.set(key, now);
    this.out(r);
  }
}
