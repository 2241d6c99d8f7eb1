/**
 * What JetStream acknowledged, read back message by message (a multi-record message record
 * by record): an ordered consumer follows
 * MARKET_DATA while the faults run (so a message the store discards later under its
 * limits is still known by its natural key), and a last pass reads whatever it missed.
 * Then the three sets are compared: stream sequences, table rows (natural keys, FINAL
 * and not), dead letters (by their original sequence).
 */
import { DeliverPolicy, type JetStreamClient, type JsMsg } from '@nats-io/jetstream';
import { DATA_TYPES, type DataType } from '../../core/model.js';
import { TABLES } from '../../storage/schema.js';
import type { ChdbHttpServer } from '../chdb-http.js';
import { keyOfRecord, keySql } from '../../storage/natural-key.js';
import { ORIGINAL_SEQ_HEADER, REASON_HEADER, RECORD_INDEX_HEADER } from '../../storage/dead-letter.js';
import { isBatch, splitMessage, type HeaderReader } from '../../core/batch.js';

/** A record as audited: its type and key, or why it is none. */
export type Audited = { type: DataType; key: string } | { bad: string };
/**
 * One record of a stream message: `ref` names it as a dead letter does (`seq` for a
 * message dead-lettered whole or a lone record, `seq:line` for a record of a batch).
 */
export type AuditedRecord = Audited & { ref: string };

export class StreamAudit {
  /** Stream sequence → the message's records. */
  readonly seen = new Map<number, AuditedRecord[]>();
  /** Sequences skipped (removed from the stream before the audit read them). */
  gaps = 0;
  private next = 1;
  private running = false;
  private loop: Promise<void> | undefined;

  constructor(
    private readonly js: JetStreamClient,
    private readonly stream: string,
  ) {}

  follow(): void {
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }

  /** Reads until `lastSeq` has been seen (or `ms` passed); false when it did not get there. */
  async catchUp(lastSeq: number, ms: number): Promise<boolean> {
    const deadline = Date.now() + ms;
    while (this.next <= lastSeq && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    return this.next > lastSeq;
  }

  private async run(): Promise<void> {
    while (this.running) {
      try {
        const c = await this.js.consumers.get(this.stream, { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: this.next });
        while (this.running) {
          const batch = await c.fetch({ max_messages: 2000, expires: 1000 });
          for await (const m of batch) this.record(m);
        }
      } catch {
        // nats-server restarting or unreachable: start again from the next sequence.
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  }

  private record(m: JsMsg): void {
    if (m.seq < this.next) return;
    this.gaps += m.seq - this.next;
    this.next = m.seq + 1;
    this.seen.set(m.seq, auditMessage(m.seq, m.subject, m.string(), m.headers));
  }
}

/** Every record of a message: one for a plain message, each line of a multi-record one (core/batch.ts). */
export function auditMessage(seq: number, subject: string, body: string, h: HeaderReader | undefined): AuditedRecord[] {
  const texts = splitMessage(body, h);
  if (typeof texts === 'string') return [{ bad: texts, ref: String(seq) }];
  const batch = isBatch(h);
  return texts.map((t, i) => ({ ...audit(subject, t), ref: batch ? `${seq}:${i}` : String(seq) }));
}

/** One record's JSON text. */
export function audit(subject: string, body: string): Audited {
  let v: unknown;
  try {
    v = JSON.parse(body);
  } catch {
    return { bad: 'unparseable' };
  }
  const r = v as Record<string, unknown>;
  const type = subject.split('.')[0] as DataType;
  if (typeof v !== 'object' || v === null || Array.isArray(v) || r.data_type !== type || !DATA_TYPES.includes(type))
    return { bad: 'not a record of its subject' };
  return { type, key: keyOfRecord(type, r) };
}

/**
 * Original → reason, of every dead letter; the original named as AuditedRecord.ref does
 * (`seq`, or `seq:line` for one record of a batch); `copies`: dead letters beyond one per original.
 */
export async function readDeadLetters(js: JetStreamClient, stream: string, until: number): Promise<Map<string, string> & { copies: number }> {
  const out = Object.assign(new Map<string, string>(), { copies: 0 });
  if (until === 0) return out;
  const c = await js.consumers.get(stream, { deliver_policy: DeliverPolicy.All });
  let last = 0;
  while (last < until) {
    const batch = await c.fetch({ max_messages: 1000, expires: 2000 });
    let got = 0;
    for await (const m of batch) {
      got++;
      last = m.seq;
      const seq = Number(m.headers?.get(ORIGINAL_SEQ_HEADER));
      const index = m.headers?.has(RECORD_INDEX_HEADER) ? m.headers.get(RECORD_INDEX_HEADER) : undefined;
      const ref = index === undefined ? String(seq) : `${seq}:${index}`;
      if (out.has(ref)) out.copies++;
      if (seq > 0) out.set(ref, m.headers?.get(REASON_HEADER) ?? '');
    }
    if (got === 0) break;
  }
  return out;
}

export interface TableKeys {
  /** key → rows without FINAL. */
  raw: Map<string, number>;
  /** type → rows with FINAL. */
  final: Map<DataType, number>;
}

export async function readTables(chdb: ChdbHttpServer, database: string): Promise<TableKeys> {
  const raw = new Map<string, number>();
  const final = new Map<DataType, number>();
  for (const type of DATA_TYPES) {
    const table = `${database}.${TABLES[type]}`;
    const rows = await chdb.query<{ k: string; c: string }>(`SELECT ${keySql(type)} AS k, count() AS c FROM ${table} GROUP BY k`);
    for (const r of rows) raw.set(`${type}\t${r.k}`, Number(r.c));
    const [f] = await chdb.query<{ n: string }>(`SELECT count() AS n FROM ${table} FINAL`);
    final.set(type, Number(f!.n));
  }
  return { raw, final };
}
