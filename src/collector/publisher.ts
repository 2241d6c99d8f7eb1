/**
 * Publishes records to JetStream: async publishes with a bounded window of pending
 * acks, `Nats-Msg-Id` from each record's natural key (so a retry is never stored
 * twice), and a bounded buffer while the broker is unreachable. When the buffer is
 * full the oldest records are dropped and counted; memory never grows without bound.
 * The buffer also holds what is published before the first connection: a publisher
 * made without a JetStream client queues until `attach` gives it one.
 */
import type { JetStreamClient } from '@nats-io/jetstream';
import type { Logger } from '../core/logger.js';
import type { MarketRecord } from '../core/model.js';
import { msgIdOf, subjectOf } from '../core/subjects.js';

export interface PublisherOptions {
  /** Publishes awaiting an ack at once. */
  maxPending: number;
  /** Records held (queued + in flight) before the oldest are dropped. */
  bufferMax: number;
  /** Per-publish ack timeout. */
  ackTimeoutMs?: number;
}

export interface PublisherHooks {
  published?(r: MarketRecord, latencyMs: number): void;
  dropped?(r: MarketRecord): void;
  failed?(err: Error): void;
}

interface Entry {
  record: MarketRecord;
  subject: string;
  msgID: string;
  data: Uint8Array;
  enqueuedAt: number;
}

const encoder = new TextEncoder();

export class JetStreamPublisher {
  private queue: Entry[] = [];
  private head = 0;
  private inflight = 0;
  private retryDelay = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private idle: (() => void)[] = [];
  private lastError: string | undefined;
  published = 0;
  dropped = 0;

  constructor(
    private js: JetStreamClient | undefined,
    private readonly opts: PublisherOptions,
    private readonly log: Logger,
    private readonly hooks: PublisherHooks = {},
  ) {}

  /** Start sending (what was queued first) through `js`: the connection made after start-up. */
  attach(js: JetStreamClient): void {
    this.js = js;
    this.pump();
  }

  get attached(): boolean {
    return this.js !== undefined;
  }

  get queued(): number {
    return this.queue.length - this.head;
  }

  get pendingAcks(): number {
    return this.inflight;
  }

  /** Never blocks and never throws: the record is queued (or, if the buffer is full, the oldest is dropped). */
  publish(record: MarketRecord): void {
    if (this.queued + this.inflight >= this.opts.bufferMax) {
      const old = this.queued > 0 ? this.queue[this.head++]! : undefined;
      this.dropped++;
      if (old) this.hooks.dropped?.(old.record);
      else {
        this.hooks.dropped?.(record);
        return;
      }
      if (this.dropped === 1 || this.dropped % 10_000 === 0) {
        this.log.warn({ dropped: this.dropped, buffer_max: this.opts.bufferMax }, 'publish buffer full; dropping oldest records');
      }
    }
    this.queue.push({
      record,
      subject: subjectOf(record),
      msgID: msgIdOf(record),
      data: encoder.encode(JSON.stringify(record)),
      enqueuedAt: Date.now(),
    });
    this.pump();
  }

  private pump(): void {
    // Also while nothing can be sent (no connection yet, a retry pending): drops move the head too.
    this.compact();
    if (this.retryTimer || !this.js) return;
    while (this.inflight < this.opts.maxPending && this.head < this.queue.length) {
      const e = this.queue[this.head++]!;
      this.inflight++;
      this.send(e);
    }
    this.compact();
    if (this.inflight === 0 && this.head >= this.queue.length) this.idle.splice(0).forEach((r) => r());
  }

  /** Drop the consumed prefix once it dominates the array, keeping push O(1) amortized and memory bounded. */
  private compact(): void {
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
  }

  private send(e: Entry): void {
    this.js!.publish(e.subject, e.data, { msgID: e.msgID, timeout: this.opts.ackTimeoutMs ?? 5000 }).then(
      () => {
        this.inflight--;
        this.published++;
        if (this.lastError) this.log.info({ after: this.lastError }, 'publishing again');
        this.lastError = undefined;
        this.retryDelay = 0;
        this.hooks.published?.(e.record, Date.now() - e.enqueuedAt);
        this.pump();
      },
      (err: Error) => {
        this.inflight--;
        // Back to the front: it is retried with the same msg id, so JetStream stores it once.
        this.queue.splice(this.head, 0, e);
        this.hooks.failed?.(err);
        if (this.lastError !== err.message) this.log.warn({ err: err.message }, 'publish failed; retrying');
        this.lastError = err.message;
        this.scheduleRetry();
      },
    );
  }

  private scheduleRetry(): void {
    if (this.retryTimer) return;
    this.retryDelay = Math.min(Math.max(this.retryDelay * 2, 100), 5000);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.pump();
    }, this.retryDelay);
  }

  /** Resolves once everything queued so far has been acked (or `timeoutMs` passed: false). */
  flush(timeoutMs = 30_000): Promise<boolean> {
    if (this.inflight === 0 && this.queued === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const t = setTimeout(() => resolve(false), timeoutMs);
      this.idle.push(() => {
        clearTimeout(t);
        resolve(true);
      });
    });
  }

  close(): void {
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
  }
}
