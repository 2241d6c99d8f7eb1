/**
 * Publishes records to JetStream: per subject, records wait (bounded by count, bytes and
 * a linger time) and go as one multi-record message (core/batch.ts format); async
 * publishes with a bounded window of pending acks; a bounded buffer while the broker is
 * unreachable. When the buffer is full the oldest records are dropped and counted;
 * memory never grows without bound. The buffer also holds what is published before the
 * first connection: a publisher made without a JetStream client queues until `attach`
 * gives it one.
 *
 * Every message carries a deterministic `Nats-Msg-Id`: a lone record its natural key (as
 * before batching), a batch one derived from its exact contents (batchMsgId). A message
 * that failed is retried as it was, bytes and id, so JetStream stores it once.
 */
import type { JetStreamClient } from '@nats-io/jetstream';
import { headers } from '@nats-io/transport-node';
import type { Logger } from '../core/logger.js';
import type { DataType, MarketRecord } from '../core/model.js';
import { recordJson } from '../core/record-json.js';
import { BATCH_COUNT_HEADER, BATCH_FORMAT, BATCH_FORMAT_HEADER, writeBatch } from '../core/batch.js';
import { batchMsgId, msgIdOf, subjectOf } from '../core/subjects.js';
import { Backoff } from '../core/retry.js';

export interface BatchOptions {
  /** Records in one message at most (1: one record per message). */
  maxRecords: number;
  /** Body bytes of one message at most; a single record larger than this goes alone. */
  maxBytes: number;
  /** How long the first record of a subject waits for others before its message is sent. */
  lingerMs: number;
  /**
   * The data types sent in multi-record messages; the others go one record a message
   * under its natural key, so JetStream de-duplicates a record sent again by a new
   * process inside the duplicate window (the polled types re-send their recent history
   * after a restart; a batch of it would rarely be formed the same way twice).
   */
  types: readonly DataType[];
}

/** The defaults of collector.yaml's `publish:` block. */
export const DEFAULT_BATCH: BatchOptions = { maxRecords: 500, maxBytes: 256 * 1024, lingerMs: 20, types: ['orderbook', 'trade'] };

export interface PublisherOptions {
  /** Messages awaiting an ack at once. */
  maxPending: number;
  /** Records held (waiting, being sent, awaiting an ack) before the oldest are dropped. */
  bufferMax: number;
  /**
   * Bytes of JSON held at most, the same way (default: no bound but `bufferMax`): 400-level
   * books are about 20 KB each, so a count alone lets an outage with many books take gigabytes.
   */
  bufferMaxBytes?: number;
  /** Per-publish ack timeout. */
  ackTimeoutMs?: number;
  batch?: Partial<BatchOptions>;
}

export interface PublisherHooks {
  published?(r: MarketRecord, latencyMs: number): void;
  /**
   * A record dropped from a full buffer: `unsent` never left the collector (lost);
   * `unacked` was sent and its ack never came (it may be stored: a publish can reach the
   * stream while its ack is lost with the link).
   */
  dropped?(r: MarketRecord, stage: DropStage): void;
  failed?(err: Error): void;
}

interface Rec {
  record: MarketRecord;
  /** The record's JSON, kept as text until its message is formed (core/batch.ts `writeBatch`: one copy into the body). */
  text: string;
  /** Its UTF-8 length. */
  size: number;
  at: number;
  /** Publish order, so the oldest record over all subjects can be found. */
  n: number;
}

/** The records waiting on one subject, oldest first (`head` marks what was taken). */
interface Lane {
  subject: string;
  recs: Rec[];
  head: number;
  bytes: number;
  /** Records a message: max_records for the batched types, else 1. */
  max: number;
  /** In the due list (full, lingered long enough, or flushing). */
  due: boolean;
}

/** A message that was sent and failed: retried exactly as it was. */
interface Sent {
  subject: string;
  recs: Rec[];
  /** The records' JSON bytes (`heldBytes` gives them back on the ack or the drop). */
  size: number;
  data: Uint8Array;
  msgID: string;
  batch: boolean;
}

export type DropStage = 'unsent' | 'unacked';

export class JetStreamPublisher {
  private readonly batch: BatchOptions;
  private readonly batchedTypes: ReadonlySet<string>;
  private readonly lanes = new Map<string, Lane>();
  private dueLanes: Lane[] = [];
  /** Failed messages, retried before anything new. */
  private retries: Sent[] = [];
  private waiting = 0;
  private retryRecs = 0;
  private inflightMsgs = 0;
  private inflightRecords = 0;
  /** JSON bytes of every record held (waiting, in flight, to retry). */
  private heldBytes = 0;
  private readonly maxBytes: number;
  private n = 0;
  /** Waits between retries of failed publishes (core/retry: doubling, jittered, reset by an ack). */
  private readonly retryBackoff = new Backoff({ initialMs: 100, maxMs: 5000 });
  private retryTimer: NodeJS.Timeout | undefined;
  private lingerTimer: NodeJS.Timeout | undefined;
  private idle: (() => void)[] = [];
  private lastError: string | undefined;
  /** Records acked. */
  published = 0;
  dropped = 0;

  constructor(
    private js: JetStreamClient | undefined,
    private readonly opts: PublisherOptions,
    private readonly log: Logger,
    private readonly hooks: PublisherHooks = {},
  ) {
    this.batch = { ...DEFAULT_BATCH, ...opts.batch };
    this.batchedTypes = new Set(this.batch.types);
    this.maxBytes = opts.bufferMaxBytes ?? Infinity;
  }

  /** Start sending (what was queued first) through `js`: the connection made after start-up. */
  attach(js: JetStreamClient): void {
    this.js = js;
    this.pump();
  }

  get attached(): boolean {
    return this.js !== undefined;
  }

  /**
   * Records held and not yet sent: for a retry, for a free send slot, or for the broker
   * (before the first connection, or while a retry is pending: everything waiting). Records
   * only waiting their linger while the broker answers are batching, not a backlog, and
   * are left out, so /health and the status line do not flap with every batch.
   */
  get queued(): number {
    if (!this.js || this.retryTimer) return this.waiting + this.retryRecs;
    let lingering = 0;
    for (const l of this.lanes.values()) if (!l.due) lingering += l.recs.length - l.head;
    return this.waiting - lingering + this.retryRecs;
  }

  /** JSON bytes of the records held: waiting, in flight and to retry (bounded by `bufferMaxBytes`). */
  get bytesHeld(): number {
    return this.heldBytes;
  }

  /** Messages awaiting an ack. */
  get pendingAcks(): number {
    return this.inflightMsgs;
  }

  /** Never blocks and never throws: the record is queued (or, if the buffer is full, the oldest is dropped). */
  publish(record: MarketRecord): void {
    const text = recordJson(record);
    const size = Buffer.byteLength(text);
    while (this.waiting + this.retryRecs + this.inflightRecords >= this.opts.bufferMax || this.heldBytes + size > this.maxBytes) {
      if (!this.dropOldest()) {
        this.countDrop(record, 'unsent');
        return;
      }
    }
    const subject = subjectOf(record);
    let lane = this.lanes.get(subject);
    if (!lane) {
      const max = this.batchedTypes.has(record.data_type) ? this.batch.maxRecords : 1;
      this.lanes.set(subject, (lane = { subject, recs: [], head: 0, bytes: 0, max, due: false }));
    }
    const rec: Rec = { record, text, size, at: Date.now(), n: this.n++ };
    this.heldBytes += size;
    const first = lane.head === lane.recs.length;
    lane.recs.push(rec);
    lane.bytes += rec.size + 1;
    this.waiting++;
    if (lane.recs.length - lane.head >= lane.max || lane.bytes >= this.batch.maxBytes || this.batch.lingerMs === 0) this.markDue(lane);
    // A lane's first record starts its linger: a timer is armed whenever a lane that is not due holds records.
    else if (first && !lane.due) this.armLinger();
    this.pump();
  }

  /** Drops the oldest record not in flight; false when everything held is in flight. */
  private dropOldest(): boolean {
    let oldest: Lane | undefined;
    for (const l of this.lanes.values()) if (l.head < l.recs.length && (!oldest || l.recs[l.head]!.n < oldest.recs[oldest.head]!.n)) oldest = l;
    const retry = this.retries[0];
    // A message already sent (and failed) is dropped whole: a part of it under a new id could be stored beside the whole.
    if (retry && (!oldest || retry.recs[0]!.n < oldest.recs[oldest.head]!.n)) {
      this.retries.shift();
      this.retryRecs -= retry.recs.length;
      this.heldBytes -= retry.size;
      for (const r of retry.recs) this.countDrop(r.record, 'unacked');
      return true;
    }
    if (!oldest) return false;
    const r = oldest.recs[oldest.head]!;
    this.take(oldest, 1);
    this.heldBytes -= r.size;
    this.countDrop(r.record, 'unsent');
    return true;
  }

  private countDrop(record: MarketRecord, stage: DropStage): void {
    this.dropped++;
    this.hooks.dropped?.(record, stage);
    if (this.dropped === 1 || this.dropped % 10_000 === 0) {
      this.log.warn({ dropped: this.dropped, buffer_max: this.opts.bufferMax }, 'publish buffer full; dropping oldest records');
    }
  }

  /** Removes up to `count` records (and at most maxBytes of them, at least one) from the lane's front. */
  private take(lane: Lane, count: number): Rec[] {
    const out: Rec[] = [];
    let bytes = 0;
    while (out.length < count && lane.head < lane.recs.length) {
      const r = lane.recs[lane.head]!;
      if (out.length > 0 && bytes + r.size + 1 > this.batch.maxBytes) break;
      out.push(r);
      bytes += r.size + 1;
      lane.recs[lane.head++] = undefined as unknown as Rec;
    }
    lane.bytes -= bytes;
    this.waiting -= out.length;
    if (lane.head === lane.recs.length) {
      lane.recs = [];
      lane.head = 0;
      lane.bytes = 0;
    } else if (lane.head > 1024 && lane.head * 2 > lane.recs.length) {
      lane.recs = lane.recs.slice(lane.head);
      lane.head = 0;
    }
    return out;
  }

  private markDue(lane: Lane): void {
    if (lane.due) return;
    lane.due = true;
    this.dueLanes.push(lane);
  }

  /** One timer for the earliest linger deadline of the lanes not yet due. */
  private armLinger(): void {
    if (this.lingerTimer) return;
    let first = Infinity;
    for (const l of this.lanes.values()) if (!l.due && l.head < l.recs.length) first = Math.min(first, l.recs[l.head]!.at);
    if (first === Infinity) return;
    this.lingerTimer = setTimeout(
      () => {
        this.lingerTimer = undefined;
        const now = Date.now();
        for (const l of this.lanes.values()) if (l.head < l.recs.length && now - l.recs[l.head]!.at >= this.batch.lingerMs) this.markDue(l);
        this.armLinger();
        this.pump();
      },
      Math.max(0, first + this.batch.lingerMs - Date.now()),
    );
  }

  private pump(): void {
    if (this.retryTimer || !this.js) return;
    while (this.inflightMsgs < this.opts.maxPending && this.retries.length > 0) {
      const m = this.retries.shift()!;
      this.retryRecs -= m.recs.length;
      this.send(m);
    }
    const flushing = this.idle.length > 0;
    if (flushing) for (const l of this.lanes.values()) if (l.head < l.recs.length) this.markDue(l);
    while (this.inflightMsgs < this.opts.maxPending && this.dueLanes.length > 0) {
      const lane = this.dueLanes.shift()!;
      lane.due = false;
      const recs = this.take(lane, lane.max);
      if (recs.length > 0) this.send(this.form(lane.subject, recs));
      const left = lane.recs.length - lane.head;
      if (left === 0) {
        if (this.lanes.get(lane.subject) === lane) this.lanes.delete(lane.subject);
      } else if (flushing || left >= lane.max || lane.bytes >= this.batch.maxBytes || Date.now() - lane.recs[lane.head]!.at >= this.batch.lingerMs)
        this.markDue(lane);
      else this.armLinger();
    }
    if (this.inflightMsgs === 0 && this.waiting === 0 && this.retries.length === 0) this.idle.splice(0).forEach((r) => r());
  }

  private form(subject: string, recs: Rec[]): Sent {
    if (recs.length === 1) return { subject, recs, size: recs[0]!.size, data: Buffer.from(recs[0]!.text), msgID: msgIdOf(recs[0]!.record), batch: false };
    const data = writeBatch(recs);
    return { subject, recs, size: data.length - (recs.length - 1), data, msgID: batchMsgId(recs[0]!.record, recs.length, data), batch: true };
  }

  private send(m: Sent): void {
    this.inflightMsgs++;
    this.inflightRecords += m.recs.length;
    const opts: Parameters<JetStreamClient['publish']>[2] = { msgID: m.msgID, timeout: this.opts.ackTimeoutMs ?? 5000 };
    if (m.batch) {
      const h = headers();
      h.set(BATCH_FORMAT_HEADER, BATCH_FORMAT);
      h.set(BATCH_COUNT_HEADER, String(m.recs.length));
      opts.headers = h;
    }
    this.js!.publish(m.subject, m.data, opts).then(
      () => {
        this.inflightMsgs--;
        this.inflightRecords -= m.recs.length;
        this.heldBytes -= m.size;
        this.published += m.recs.length;
        if (this.lastError) this.log.info({ after: this.lastError }, 'publishing again');
        this.lastError = undefined;
        this.retryBackoff.reset();
        if (this.hooks.published) {
          const now = Date.now();
          for (const r of m.recs) this.hooks.published(r.record, now - r.at);
        }
        this.pump();
      },
      (err: Error) => {
        this.inflightMsgs--;
        this.inflightRecords -= m.recs.length;
        // Retried as it is, with the same msg id, so JetStream stores it once.
        let i = this.retries.length;
        while (i > 0 && this.retries[i - 1]!.recs[0]!.n > m.recs[0]!.n) i--;
        this.retries.splice(i, 0, m);
        this.retryRecs += m.recs.length;
        this.hooks.failed?.(err);
        if (this.lastError !== err.message) this.log.warn({ err: err.message }, 'publish failed; retrying');
        this.lastError = err.message;
        this.scheduleRetry();
      },
    );
  }

  private scheduleRetry(): void {
    if (this.retryTimer) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.pump();
    }, this.retryBackoff.next());
  }

  /** Sends what waits at once (no linger) and resolves once everything queued so far has been acked (or `timeoutMs` passed: false). */
  flush(timeoutMs = 30_000): Promise<boolean> {
    if (this.inflightMsgs === 0 && this.waiting === 0 && this.retries.length === 0) return Promise.resolve(true);
    const p = new Promise<boolean>((resolve) => {
      const t = setTimeout(() => {
        const i = this.idle.indexOf(done);
        if (i >= 0) this.idle.splice(i, 1);
        resolve(false);
      }, timeoutMs);
      const done = () => {
        clearTimeout(t);
        resolve(true);
      };
      this.idle.push(done);
    });
    this.pump();
    return p;
  }

  close(): void {
    clearTimeout(this.retryTimer);
    clearTimeout(this.lingerTimer);
    this.retryTimer = undefined;
    this.lingerTimer = undefined;
  }
}
