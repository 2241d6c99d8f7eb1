/**
 * One durable pull consumer per data type: messages are pulled continuously and
 * buffered; an insert is made whenever max_rows records are buffered or the oldest
 * buffered message has waited max_wait_ms (up to inserts_in_flight at once), and only
 * once it is stored are its messages acked. A
 * message holds one record or several (core/batch.ts); each record is validated on its
 * own, parsing on arrival so that it overlaps the insert in flight. An insert carries a
 * de-duplication token made from its records' stream sequences and lines, so re-inserting
 * the same rows (a retry in the same process) stores nothing twice; a record of a
 * redelivered message (another process crashed before acking it) is first looked up by
 * its natural key and left out when the table already holds it. The tables' natural keys
 * (ReplacingMergeTree) catch the rest.
 *
 * Every record ends in the table or in the dead-letter stream, never in a retry loop of
 * its own: unparseable and invalid ones are dead-lettered before the insert (a bad record
 * of a batch alone, the others stored); an insert failure is classified
 * (engines/errors.ts): transient and schema failures are retried with backoff (the
 * consumer reports itself failing), data failures split the insert until the rows at
 * fault are alone, and those are dead-lettered. A message is acked once all its records
 * are stored or dead-lettered.
 */
import { createHash } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { AckPolicy, DeliverPolicy, JetStreamApiError, JetStreamApiCodes } from '@nats-io/jetstream';
import type { ConsumerConfig, JetStreamClient, JetStreamManager, JsMsg } from '@nats-io/jetstream';
import type { Logger } from '../core/logger.js';
import type { DataType, MarketRecord } from '../core/model.js';
import { isBatch, recordCountOf, splitMessage } from '../core/batch.js';
import { subjectFilter } from '../core/subjects.js';
import { InvalidRecordError, validateRecord } from '../core/validate.js';
import { sanitizeReason, type DeadLetters } from './dead-letter.js';
import type { ClickHouseEngine } from './engines/engine.js';
import { MAX_PARTITIONS_PER_INSERT, classifyEngineError } from './engines/errors.js';
import type { StorageMetrics } from './metrics.js';
import { keyOfRecord, storedKeysSql } from './natural-key.js';
import { insertColumns, rowJson } from './rows.js';
import { Backoff } from '../core/retry.js';

export interface ConsumerOptions {
  stream: string;
  durable: string;
  type: DataType;
  table: string;
  maxRows: number;
  maxWaitMs: number;
  /** Inserts of this type at once (each a whole batch, acked when it is stored). */
  insertsInFlight: number;
  ackWaitMs: number;
  maxDeliver: number;
}

/**
 * A record of message `m` (`index`: its line in a batch, 0 for a lone record): its row
 * text and its day. Buffered records outlive several young-generation collections, so
 * what they hold is copied and promoted; the parsed object is not kept, except for a
 * redelivered message, whose natural keys are looked up before the insert.
 */
type Good = { m: JsMsg; index: number; timestamp: number; row: string; record?: MarketRecord };
/** A message refused whole (no `index`), or one record of a batch (its line and `text`). */
type Rejected = { m: JsMsg; index?: number; text?: string; reason: string };

const DAY_MS = 86_400_000;

/** Line `index` of a multi-record message as it arrived (its framing was checked when it was parsed). */
function lineOf(m: JsMsg, index: number): string {
  const texts = splitMessage(m.string(), m.headers);
  return typeof texts === 'string' ? m.string() : (texts[index] ?? '');
}

/** Retrying an insert ClickHouse refused for a transient reason (core/retry: doubling, jittered). */
const INSERT_BACKOFF = { initialMs: 500, maxMs: 15_000 };
/** Retrying NATS (attach, pull, dead-letter publish) while it is away. */
const PEER_BACKOFF = { initialMs: 500, maxMs: 5000 };

/**
 * The batch in consecutive groups of at most MAX_PARTITIONS_PER_INSERT distinct UTC
 * days of `timestamp` (the hot tier's daily partitions; the cold tier's months are
 * coarser), so a batch of old or replayed data never exceeds ClickHouse's
 * partitions-per-insert limit. Order within the batch is kept; nearly every batch is one group.
 */
export function partitionGroups<T extends { timestamp: number }>(batch: readonly T[]): T[][] {
  const groupOfDay = new Map<number, number>();
  const groups: T[][] = [];
  for (const b of batch) {
    const day = Math.floor(b.timestamp / DAY_MS);
    let g = groupOfDay.get(day);
    if (g === undefined) {
      g = Math.floor(groupOfDay.size / MAX_PARTITIONS_PER_INSERT);
      groupOfDay.set(day, g);
    }
    (groups[g] ??= []).push(b);
  }
  return groups;
}

/** The rows' messages and lines, runs compressed (`seq:first-last`): what the de-duplication token is made of. */
export function recordsOf(batch: readonly { m: { seq: number }; index: number }[]): string {
  const parts: string[] = [];
  for (let i = 0; i < batch.length;) {
    const seq = batch[i]!.m.seq;
    const first = batch[i]!.index;
    let last = first;
    i++;
    while (i < batch.length && batch[i]!.m.seq === seq && batch[i]!.index === last + 1) last = batch[i++]!.index;
    parts.push(first === last ? `${seq}:${first}` : `${seq}:${first}-${last}`);
  }
  return parts.join(',');
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

/** A pull is a long poll of this length; messages are handed over as they arrive. */
const FETCH_EXPIRES_MS = 5000;
/** Fetched and not yet inserted, at most (besides the batch being inserted): records, and bytes. */
const BUFFER_BATCHES = 2;
const BUFFER_MAX_BYTES = 64 * 2 ** 20;

interface Arrived {
  m: JsMsg;
  at: number;
  records: number;
  /** Parsed on arrival, so parsing overlaps the insert in flight. */
  good: Good[];
  bad: Rejected[];
}

export class TypeConsumer {
  lastInsertAt: number | undefined;
  /** Messages in the stream not yet delivered to this consumer, from the last info. */
  pending = 0;
  /** Delivered and not yet acked. */
  ackPending = 0;
  failing: string | undefined;
  private batcherAt = Date.now();
  private fetcherAt = Date.now();
  /** Fetched, waiting for their insert (whole messages, oldest first). */
  private buffer: Arrived[] = [];
  private bufferHead = 0;
  private bufferedRecords = 0;
  private bufferedBytes = 0;
  /** Stream sequences buffered or being handled: a message redelivered meanwhile is not taken twice. */
  private held = new Set<number>();
  /** The messages of each batch being inserted. */
  private handling = new Set<JsMsg[]>();
  private wake: (() => void) | undefined;
  /** Moving average over the messages fetched. */
  private recordsPerMessage = 1;

  constructor(
    private readonly opts: ConsumerOptions,
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    private readonly engine: ClickHouseEngine,
    private readonly dlq: DeadLetters,
    private readonly metrics: StorageMetrics,
    private readonly log: Logger,
  ) {}

  /** When the consumer last showed progress: both its fetching and its inserting loop must turn (the watchdog reads it). */
  get lastLoopAt(): number {
    return Math.min(this.batcherAt, this.fetcherAt);
  }

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
      // A message holds at least one record: the buffer, one pull and the batches being inserted fit.
      max_ack_pending: Math.max(o.maxRows * (BUFFER_BATCHES + 1 + o.insertsInFlight), 1000),
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

  /**
   * Two loops: one fetches (long polls, messages buffered as they arrive, paused while the
   * buffer is full), one inserts whenever max_rows records are buffered or the oldest has
   * waited max_wait_ms. What is buffered or being inserted is kept alive in JetStream.
   */
  async run(signal: AbortSignal): Promise<void> {
    // NATS can go away between ensure() and here: retry (the loop turning is what the watchdog sees), never throw.
    let consumer: Awaited<ReturnType<JetStreamClient['consumers']['get']>> | undefined;
    const attach = new Backoff(PEER_BACKOFF);
    while (!consumer && !signal.aborted) {
      this.batcherAt = this.fetcherAt = Date.now();
      try {
        consumer = await this.js.consumers.get(this.opts.stream, this.opts.durable);
      } catch (err) {
        this.setFailing(`attach: ${(err as Error).message}`);
        await sleep(attach.next(), signal);
      }
    }
    if (this.failing?.startsWith('attach: ')) this.failing = undefined;
    if (!consumer) return;
    const keepAlive = setInterval(
      () => {
        for (let i = this.bufferHead; i < this.buffer.length; i++) this.buffer[i]!.m.working();
        for (const ms of this.handling) for (const m of ms) m.working();
      },
      Math.max(500, this.opts.ackWaitMs / 3),
    );
    const onAbort = () => this.wake?.();
    // Eight consumers share the signal, each with a few listeners at once.
    setMaxListeners(64, signal);
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      await Promise.all([this.fetchLoop(consumer, signal), this.insertLoop(signal)]);
    } finally {
      clearInterval(keepAlive);
      signal.removeEventListener('abort', onAbort);
    }
  }

  private async fetchLoop(consumer: Awaited<ReturnType<JetStreamClient['consumers']['get']>>, signal: AbortSignal): Promise<void> {
    const retry = new Backoff(PEER_BACKOFF);
    while (!signal.aborted) {
      this.fetcherAt = Date.now();
      if (this.bufferedRecords >= this.opts.maxRows * BUFFER_BATCHES || this.bufferedBytes >= BUFFER_MAX_BYTES) {
        await sleep(20, signal);
        continue;
      }
      try {
        const iter = await consumer.fetch({ max_messages: this.pullSize(), expires: FETCH_EXPIRES_MS });
        const stop = () => iter.stop();
        signal.addEventListener('abort', stop, { once: true });
        try {
          for await (const m of iter) this.arrive(m);
        } finally {
          signal.removeEventListener('abort', stop);
        }
        if (this.failing?.startsWith('fetch: ')) this.failing = undefined;
        retry.reset();
      } catch (err) {
        // A busy event loop can miss a pull's idle heartbeat: that is not an outage, just pull again.
        if (/heartbeats missed/i.test((err as Error).message)) continue;
        this.setFailing(`fetch: ${(err as Error).message}`);
        await sleep(retry.next(), signal);
      }
    }
  }

  /** Messages one pull asks for: what fills the buffer's free records at the records per message seen lately (at most max_rows). */
  private pullSize(): number {
    const free = this.opts.maxRows * BUFFER_BATCHES - this.bufferedRecords;
    return Math.max(1, Math.min(this.opts.maxRows, Math.ceil(free / this.recordsPerMessage)));
  }

  private arrive(m: JsMsg): void {
    this.fetcherAt = Date.now();
    if (this.held.has(m.seq)) return; // redelivered while still held here: the copy held is acked
    this.held.add(m.seq);
    const records = recordCountOf(m.headers);
    this.recordsPerMessage += (records - this.recordsPerMessage) / 64;
    const good: Good[] = [];
    const bad: Rejected[] = [];
    this.parseMessage(m, good, bad);
    this.buffer.push({ m, at: this.fetcherAt, records, good, bad });
    this.bufferedRecords += records;
    this.bufferedBytes += m.data.length;
    if (this.bufferedRecords >= this.opts.maxRows || this.buffer.length - this.bufferHead === 1) this.wake?.();
  }

  /**
   * Takes a batch whenever one is due and fewer than insertsInFlight are being inserted.
   * Batches in flight together are independent (each its own de-duplication token and
   * acks; the natural keys do not care about the order rows land in), so a round trip to
   * a server no longer stops the next batch.
   */
  private async insertLoop(signal: AbortSignal): Promise<void> {
    const inFlight = new Set<Promise<void>>();
    let failure: { err: unknown } | undefined;
    while (!signal.aborted && !failure) {
      const full = inFlight.size >= this.opts.insertsInFlight;
      // While every slot is taken, progress is the inserts' own (insertUntilDone): a hung insert must still show as a stalled loop to the watchdog.
      if (!full) this.batcherAt = Date.now();
      const oldest = this.buffer[this.bufferHead];
      const dueIn = full || !oldest ? Infinity : this.bufferedRecords >= this.opts.maxRows ? 0 : oldest.at + this.opts.maxWaitMs - Date.now();
      if (dueIn > 0) {
        // Woken by an arrival, by an insert that ends, or by the abort.
        await new Promise<void>((resolve) => {
          const t = setTimeout(done, Math.min(dueIn, 1000));
          function done() {
            clearTimeout(t);
            resolve();
          }
          this.wake = done;
        });
        this.wake = undefined;
        continue;
      }
      const batch = this.takeBatch();
      const messages = batch.map((a) => a.m);
      this.handling.add(messages);
      const p: Promise<void> = this.handle(batch, signal)
        .catch((err: unknown) => void (failure ??= { err }))
        .finally(() => {
          for (const m of messages) this.held.delete(m.seq);
          this.handling.delete(messages);
          inFlight.delete(p);
          this.wake?.();
        });
      inFlight.add(p);
    }
    await Promise.all(inFlight);
    if (failure) throw failure.err;
  }

  /** Whole messages from the buffer's front, up to max_rows records (at least one message). */
  private takeBatch(): Arrived[] {
    const out: Arrived[] = [];
    let records = 0;
    while (this.bufferHead < this.buffer.length) {
      const a = this.buffer[this.bufferHead]!;
      if (out.length > 0 && records + a.records > this.opts.maxRows) break;
      out.push(a);
      records += a.records;
      this.bufferedRecords -= a.records;
      this.bufferedBytes -= a.m.data.length;
      this.buffer[this.bufferHead++] = undefined as unknown as Arrived;
    }
    if (this.bufferHead === this.buffer.length) {
      this.buffer = [];
      this.bufferHead = 0;
    } else if (this.bufferHead > 1024 && this.bufferHead * 2 > this.buffer.length) {
      this.buffer = this.buffer.slice(this.bufferHead);
      this.bufferHead = 0;
    }
    return out;
  }

  /** Validate, dead-letter the bad, insert the good (retrying until it works), then ack. */
  private async handle(batch: Arrived[], signal: AbortSignal): Promise<void> {
    const good: Good[] = batch.length === 1 ? batch[0]!.good : batch.flatMap((a) => a.good);
    const bad: Rejected[] = batch.flatMap((a) => a.bad);
    const redelivered = batch.filter((a) => a.m.redelivered).length;
    if (redelivered > 0) this.metrics.redelivered.inc({ data_type: this.opts.type }, redelivered);
    const rejected = await this.store(good, signal);
    if (rejected === null) return; // stopping before the insert went through: leave it for redelivery
    bad.push(...rejected);
    for (const b of bad) {
      if (!(await this.deadLetter(b, signal))) return;
    }
    for (const a of batch) a.m.ack();
    if (bad.length > 0) {
      this.log.warn({ type: this.opts.type, count: bad.length, first_seq: bad[0]!.m.seq, reason: sanitizeReason(bad[0]!.reason) }, 'dead-lettered records');
    }
  }

  /** The message's records into `good` (each with its row) and `bad` (each with its reason): a batch's records one by one. */
  private parseMessage(m: JsMsg, good: Good[], bad: Rejected[]): void {
    const texts = splitMessage(m.string(), m.headers);
    if (typeof texts === 'string') {
      bad.push({ m, reason: texts });
      return;
    }
    const part = isBatch(m.headers);
    for (let i = 0; i < texts.length; i++) {
      const r = this.parse(texts[i]!, m);
      const index = part ? i : undefined;
      if (typeof r === 'string') bad.push({ m, index, text: part ? texts[i] : undefined, reason: r });
      else good.push({ m, index: index ?? 0, ...r });
    }
  }

  /**
   * The record and its row, or why the message cannot be stored. Any failure here is
   * the message's (even an unexpected one: retrying or crashing on it would block the consumer).
   */
  private parse(text: string, m: JsMsg): { timestamp: number; row: string; record?: MarketRecord } | string {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      return `unparseable JSON: ${(err as Error).message}`;
    }
    try {
      const record = validateRecord(value);
      if (record.data_type !== this.opts.type) return `data_type ${record.data_type} on a ${this.opts.type} subject`;
      const row = rowJson(record);
      return m.redelivered ? { timestamp: record.timestamp, row, record } : { timestamp: record.timestamp, row };
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
    const backoff = new Backoff(INSERT_BACKOFF);
    for (;;) {
      try {
        await this.insert(batch);
        if (this.failing) this.log.info({ type: this.opts.type }, 'inserting again');
        this.failing = undefined;
        return [];
      } catch (err) {
        const failure = classifyEngineError(err);
        if (failure === 'data') {
          if (batch.length === 1) {
            const b = batch[0]!;
            const part = isBatch(b.m.headers);
            return [
              {
                m: b.m,
                index: part ? b.index : undefined,
                text: part ? lineOf(b.m, b.index) : undefined,
                reason: `ClickHouse rejected the row: ${(err as Error).message}`,
              },
            ];
          }
          const half = Math.ceil(batch.length / 2);
          const first = await this.insertUntilDone(batch.slice(0, half), signal);
          const second = first && (await this.insertUntilDone(batch.slice(half), signal));
          return first && second ? [...first, ...second] : null;
        }
        this.metrics.insertErrors.inc({ data_type: this.opts.type });
        this.setFailing(`insert (${failure}): ${sanitizeReason((err as Error).message)}`);
        if (signal.aborted) return null;
        await sleep(backoff.next(), signal);
        this.batcherAt = Date.now();
      }
    }
  }

  private async insert(batch: Good[]): Promise<void> {
    const dedupToken = createHash('sha256')
      .update(`${this.opts.durable}:${recordsOf(batch)}`)
      .digest('hex');
    const rows = await this.notYetStored(batch);
    const end = this.metrics.insertSeconds.startTimer({ data_type: this.opts.type });
    if (rows.length > 0) await this.engine.insertRows(this.opts.table, insertColumns(this.opts.type), rows, { dedupToken });
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
  private async notYetStored(batch: Good[]): Promise<string[]> {
    // parse() keeps the record of a redelivered message, and only of one.
    const again = batch.flatMap((b) => (b.record ? [b.record] : []));
    if (again.length === 0) return batch.map((b) => b.row);
    const sql = storedKeysSql(this.opts.type, this.opts.table, again);
    const stored = new Set((await this.engine.query<{ k: string }>(sql)).map((r) => r.k));
    if (stored.size === 0) return batch.map((b) => b.row);
    return batch.filter((b) => !(b.record && stored.has(keyOfRecord(this.opts.type, b.record as unknown as Record<string, unknown>)))).map((b) => b.row);
  }

  /** True once the dead letter is stored; false when stopping first. */
  private async deadLetter(b: Rejected, signal: AbortSignal): Promise<boolean> {
    const retry = new Backoff(PEER_BACKOFF);
    while (!signal.aborted) {
      try {
        await this.dlq.send(this.opts.type, b.m, b.reason, b.index === undefined ? undefined : { index: b.index, body: b.text ?? '' });
        this.metrics.rows.inc({ data_type: this.opts.type, outcome: 'dead_letter' });
        return true;
      } catch (err) {
        this.setFailing(`dead letter: ${sanitizeReason((err as Error).message)}`);
        await sleep(retry.next(), signal);
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
