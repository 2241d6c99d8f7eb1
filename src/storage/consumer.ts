/**
 * One durable pull consumer per data type: fetch a batch (by size or time), validate,
 * insert, and only then ack. A batch is inserted with a de-duplication token made
 * from its stream sequences, so re-inserting the same batch (a retry in the same
 * process) stores nothing twice; a redelivered message (another process crashed
 * before acking it) is first looked up by its natural key and left out when the
 * table already holds it. The tables' natural keys (ReplacingMergeTree) catch the rest.
 *
 * Every message ends in the table or in the dead-letter stream, never in a retry
 * loop of its own: unparseable and invalid ones are dead-lettered before the insert;
 * an insert failure is classified (engines/errors.ts): transient and schema failures
 * are retried with backoff (the consumer reports itself failing), data failures split
 * the batch until the rows at fault are alone, and those are dead-lettered.
 */
import { createHash } from 'node:crypto';
import { AckPolicy, DeliverPolicy, JetStreamApiError, JetStreamApiCodes } from '@nats-io/jetstream';
import type { ConsumerConfig, JetStreamClient, JetStreamManager, JsMsg } from '@nats-io/jetstream';
import type { Logger } from '../core/logger.js';
import type { DataType, MarketRecord } from '../core/model.js';
import { subjectFilter } from '../core/subjects.js';
import { InvalidRecordError, validateRecord } from '../core/validate.js';
import { sanitizeReason, type DeadLetters } from './dead-letter.js';
import type { ClickHouseEngine } from './engines/engine.js';
import { MAX_PARTITIONS_PER_INSERT, classifyEngineError } from './engines/errors.js';
import type { StorageMetrics } from './metrics.js';
import { keyOfRecord, storedKeysSql } from './natural-key.js';
import { toRow } from './rows.js';

export interface ConsumerOptions {
  stream: string;
  durable: string;
  type: DataType;
  table: string;
  maxRows: number;
  maxWaitMs: number;
  ackWaitMs: number;
  maxDeliver: number;
}

type Good = { m: JsMsg; record: MarketRecord; row: Record<string, unknown> };
type Rejected = { m: JsMsg; reason: string };

const DAY_MS = 86_400_000;

/**
 * The batch in consecutive groups of at most MAX_PARTITIONS_PER_INSERT distinct UTC
 * days of `timestamp` (the hot tier's daily partitions; the cold tier's months are
 * coarser), so a batch of old or replayed data never exceeds ClickHouse's
 * partitions-per-insert limit. Order within the batch is kept; nearly every batch is one group.
 */
export function partitionGroups<T extends { record: { timestamp: number } }>(batch: readonly T[]): T[][] {
  const groupOfDay = new Map<number, number>();
  const groups: T[][] = [];
  for (const b of batch) {
    const day = Math.floor(b.record.timestamp / DAY_MS);
    let g = groupOfDay.get(day);
    if (g === undefined) {
      g = Math.floor(groupOfDay.size / MAX_PARTITIONS_PER_INSERT);
      groupOfDay.set(day, g);
    }
    (groups[g] ??= []).push(b);
  }
  return groups;
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const t = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });

export class TypeConsumer {
  lastInsertAt: number | undefined;
  lastLoopAt = Date.now();
  /** Messages in the stream not yet delivered to this consumer, from the last info. */
  pending = 0;
  /** Delivered and not yet acked. */
  ackPending = 0;
  failing: string | undefined;

  constructor(
    private readonly opts: ConsumerOptions,
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    private readonly engine: ClickHouseEngine,
    private readonly dlq: DeadLetters,
    private readonly metrics: StorageMetrics,
    private readonly log: Logger,
  ) {}

  /** Create the durable consumer, or bring its settings in line. New consumers start at the stream's first message. */
  async ensure(): Promise<void> {
    const o = this.opts;
    const want: Partial<ConsumerConfig> = {
      durable_name: o.durable,
      filter_subject: subjectFilter(o.type),
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      ack_wait: o.ackWaitMs * 1_000_000,
      max_deliver: o.maxDeliver,
      max_ack_pending: Math.max(o.maxRows * 4, 1000),
      max_batch: o.maxRows,
    };
    try {
      await this.jsm.consumers.info(o.stream, o.durable);
      const { durable_name: _n, deliver_policy: _d, filter_subject: _f, ...mutable } = want;
      await this.jsm.consumers.update(o.stream, o.durable, mutable);
    } catch (err) {
      if (!(err instanceof JetStreamApiError && err.code === JetStreamApiCodes.ConsumerNotFound)) throw err;
      await this.jsm.consumers.add(o.stream, want);
      this.log.info({ consumer: o.durable }, 'created durable consumer');
    }
  }

  async run(signal: AbortSignal): Promise<void> {
    // NATS can go away between ensure() and here: retry (the loop turning is what the watchdog sees), never throw.
    let consumer: Awaited<ReturnType<JetStreamClient['consumers']['get']>> | undefined;
    while (!consumer && !signal.aborted) {
      this.lastLoopAt = Date.now();
      try {
        consumer = await this.js.consumers.get(this.opts.stream, this.opts.durable);
      } catch (err) {
        this.setFailing(`attach: ${(err as Error).message}`);
        await sleep(1000, signal);
      }
    }
    if (this.failing?.startsWith('attach: ')) this.failing = undefined;
    while (consumer && !signal.aborted) {
      this.lastLoopAt = Date.now();
      let msgs: JsMsg[];
      try {
        msgs = await this.fetchBatch(consumer, signal);
      } catch (err) {
        // A busy event loop can miss a pull's idle heartbeat: that is not an outage, just pull again.
        if (/heartbeats missed/i.test((err as Error).message)) continue;
        this.setFailing(`fetch: ${(err as Error).message}`);
        await sleep(1000, signal);
        continue;
      }
      if (msgs.length > 0) await this.handle(msgs, signal);
    }
  }

  private async fetchBatch(consumer: Awaited<ReturnType<JetStreamClient['consumers']['get']>>, signal: AbortSignal): Promise<JsMsg[]> {
    const iter = await consumer.fetch({ max_messages: this.opts.maxRows, expires: Math.max(1000, this.opts.maxWaitMs) });
    const stop = () => iter.stop();
    signal.addEventListener('abort', stop, { once: true });
    const msgs: JsMsg[] = [];
    try {
      for await (const m of iter) msgs.push(m);
    } finally {
      signal.removeEventListener('abort', stop);
    }
    return msgs;
  }

  /** Validate, dead-letter the bad, insert the good (retrying until it works), then ack. */
  private async handle(msgs: JsMsg[], signal: AbortSignal): Promise<void> {
    const good: Good[] = [];
    const bad: Rejected[] = [];
    const redelivered = msgs.filter((m) => m.redelivered).length;
    if (redelivered > 0) this.metrics.redelivered.inc({ data_type: this.opts.type }, redelivered);
    for (const m of msgs) {
      const r = this.parse(m);
      if (typeof r === 'string') bad.push({ m, reason: r });
      else good.push({ m, ...r });
    }
    const keepAlive = setInterval(() => msgs.forEach((m) => m.working()), Math.max(500, this.opts.ackWaitMs / 3));
    let done = false;
    try {
      const rejected = await this.store(good, signal);
      if (rejected === null) return; // stopping before the insert went through: leave it for redelivery
      bad.push(...rejected);
      for (const b of bad) {
        if (!(await this.deadLetter(b.m, b.reason, signal))) return;
      }
      done = true;
    } finally {
      clearInterval(keepAlive);
      if (done) for (const m of msgs) m.ack();
    }
    if (bad.length > 0) {
      this.log.warn({ type: this.opts.type, count: bad.length, first_seq: bad[0]!.m.seq, reason: sanitizeReason(bad[0]!.reason) }, 'dead-lettered messages');
    }
  }

  /**
   * The record and its row, or why the message cannot be stored. Any failure here is
   * the message's (even an unexpected one: retrying or crashing on it would block the consumer).
   */
  private parse(m: JsMsg): { record: MarketRecord; row: Record<string, unknown> } | string {
    let value: unknown;
    try {
      value = JSON.parse(m.string());
    } catch (err) {
      return `unparseable JSON: ${(err as Error).message}`;
    }
    try {
      const record = validateRecord(value);
      if (record.data_type !== this.opts.type) return `data_type ${record.data_type} on a ${this.opts.type} subject`;
      return { record, row: toRow(record) };
    } catch (err) {
      if (err instanceof InvalidRecordError) return err.message;
      this.log.error({ err, seq: m.seq }, 'unexpected failure validating a message; dead-lettering it');
      return `cannot validate the record: ${(err as Error).message}`;
    }
  }

  /** Insert the valid records, a partition group at a time. Returns the rows ClickHouse refused, or null when stopping first. */
  private async store(good: Good[], signal: AbortSignal): Promise<Rejected[] | null> {
    const rejected: Rejected[] = [];
    for (const group of partitionGroups(good)) {
      const r = await this.insertUntilDone(group, signal);
      if (r === null) return null;
      rejected.push(...r);
    }
    return rejected;
  }

  /**
   * Insert until ClickHouse takes the batch. A batch the server rejects for its data
   * is split to find the rows at fault; those are returned for the dead-letter subject.
   */
  private async insertUntilDone(batch: Good[], signal: AbortSignal): Promise<Rejected[] | null> {
    let delay = 500;
    for (;;) {
      try {
        await this.insert(batch);
        if (this.failing) this.log.info({ type: this.opts.type }, 'inserting again');
        this.failing = undefined;
        return [];
      } catch (err) {
        const failure = classifyEngineError(err);
        if (failure === 'data') {
          if (batch.length === 1) return [{ m: batch[0]!.m, reason: `ClickHouse rejected the row: ${(err as Error).message}` }];
          const half = Math.ceil(batch.length / 2);
          const first = await this.insertUntilDone(batch.slice(0, half), signal);
          const second = first && (await this.insertUntilDone(batch.slice(half), signal));
          return first && second ? [...first, ...second] : null;
        }
        this.metrics.insertErrors.inc({ data_type: this.opts.type });
        this.setFailing(`insert (${failure}): ${sanitizeReason((err as Error).message)}`);
        if (signal.aborted) return null;
        await sleep(delay, signal);
        delay = Math.min(delay * 2, 15_000);
        this.lastLoopAt = Date.now();
      }
    }
  }

  private async insert(batch: Good[]): Promise<void> {
    const seqs = batch.map((b) => b.m.seq).join(',');
    const dedupToken = createHash('sha256').update(`${this.opts.durable}:${seqs}`).digest('hex');
    const rows = await this.notYetStored(batch);
    const end = this.metrics.insertSeconds.startTimer({ data_type: this.opts.type });
    if (rows.length > 0) await this.engine.insert(this.opts.table, rows, { dedupToken });
    end();
    this.lastInsertAt = Date.now();
    this.metrics.rows.inc({ data_type: this.opts.type, outcome: 'stored' }, rows.length);
    if (rows.length < batch.length) this.metrics.rows.inc({ data_type: this.opts.type, outcome: 'already_stored' }, batch.length - rows.length);
    this.metrics.lastInsert.set({ data_type: this.opts.type }, this.lastInsertAt / 1000);
  }

  /**
   * The batch's rows less the redelivered records the table already holds. A process
   * killed between its insert and its acks gets those messages again, but JetStream
   * may group them differently (with newer messages, or split), so the batch's
   * de-duplication token no longer matches: the table is asked instead.
   */
  private async notYetStored(batch: Good[]): Promise<Record<string, unknown>[]> {
    const again = batch.filter((b) => b.m.redelivered);
    if (again.length === 0) return batch.map((b) => b.row);
    const sql = storedKeysSql(
      this.opts.type,
      this.opts.table,
      again.map((b) => b.record),
    );
    const stored = new Set((await this.engine.query<{ k: string }>(sql)).map((r) => r.k));
    if (stored.size === 0) return batch.map((b) => b.row);
    return batch.filter((b) => !(b.m.redelivered && stored.has(keyOfRecord(this.opts.type, b.record as unknown as Record<string, unknown>)))).map((b) => b.row);
  }

  /** True once the dead letter is stored; false when stopping first. */
  private async deadLetter(m: JsMsg, reason: string, signal: AbortSignal): Promise<boolean> {
    while (!signal.aborted) {
      try {
        await this.dlq.send(this.opts.type, m, reason);
        this.metrics.rows.inc({ data_type: this.opts.type, outcome: 'dead_letter' });
        return true;
      } catch (err) {
        this.setFailing(`dead letter: ${sanitizeReason((err as Error).message)}`);
        await sleep(1000, signal);
      }
    }
    return false;
  }

  private setFailing(reason: string): void {
    if (this.failing !== reason) this.log.error({ type: this.opts.type, reason }, 'consumer failing; will retry');
    this.failing = reason;
  }

  async refreshInfo(): Promise<void> {
    const info = await this.jsm.consumers.info(this.opts.stream, this.opts.durable);
    this.pending = info.num_pending;
    this.ackPending = info.num_ack_pending;
    this.metrics.lag.set({ data_type: this.opts.type }, info.num_pending + info.num_ack_pending);
  }
}
