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
import type { Poison } from './poison.js';
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

/** Natural keys and FINAL counts of every table of `database`; only `query` is asked (chdb-http, or a daemon's /query). */
export async function readTables(chdb: Pick<ChdbHttpServer, 'query'>, database: string): Promise<TableKeys> {
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

/** A phase with the store near its limits: sequences below `floor` were removed by the limits; `ackFloors` (per durable consumer) what storage had acknowledged when it began. */
export interface LimitPhase {
  floor: number;
  ackFloors: Map<string, number>;
}

export interface AccountInput {
  /** The last stream sequence acknowledged: every sequence from 1 is accounted for. */
  lastSeq: number;
  /** Stream sequence → its records, as the audit read them (StreamAudit.seen); a sequence missing stands for one record of unknown key. */
  seen: ReadonlyMap<number, AuditedRecord[]>;
  /** The dead letters (readDeadLetters). */
  dead: ReadonlyMap<string, string>;
  tables: TableKeys;
  /** Poison messages by stream sequence: each checked against what it must become, none counted as a collector record. */
  poisons?: ReadonlyMap<number, Poison>;
  /**
   * Phases with the store near its limits: a record below a phase's floor is discarded, not
   * lost, unless storage had acknowledged it before the phase; `firstSeq`, the stream's at the
   * end: a discarded record at or above it is back in the stream (resurrected).
   */
  limits?: { phases: readonly LimitPhase[]; firstSeq: number };
}

/** What became of every acknowledged record (docs/fault-suite.md, How it counts). */
export interface Accounting {
  /** Records in the acknowledged messages (a multi-record message counts each of its records). */
  acknowledged: number;
  /** Natural keys (`type\tkey`) of acknowledged records found in the tables. */
  stored: Set<string>;
  /** Acknowledged records neither stored nor dead-lettered (nor discarded by the limits); up to 5 of them described. */
  lost: number;
  lostSamples: string[];
  /** Collector records (not poison) dead-lettered. */
  deadLettered: number;
  /** Records the limits removed before storage read them, and those of them back in the stream. */
  discarded: number;
  resurrected: number;
  /** Poison messages that did not end as they must. */
  poisonFailures: string[];
  /** Records acknowledged again (a natural key already in the stream). */
  streamDuplicates: number;
  /** Distinct natural keys in the tables, rows read with FINAL, copies of a record not yet merged away. */
  distinct: number;
  finalRows: number;
  unmerged: number;
  /** Rows beyond the acknowledged messages that carry their key: one message stored twice. */
  storedTwice: number;
  /** storedTwice, and rows FINAL shows beyond one per key: exactly-once broken. */
  duplicated: number;
}

/** Accounts for every acknowledged stream sequence against the dead letters and the tables, then counts the tables' copies. */
export function account(i: AccountInput): Accounting {
  const { dead, tables } = i;
  const stored = new Set<string>();
  const keySeqs = new Map<string, number>();
  const poisonFailures: string[] = [];
  const lostSamples: string[] = [];
  const n = { acknowledged: 0, lost: 0, deadLettered: 0, discarded: 0, resurrected: 0 };
  for (let seq = 1; seq <= i.lastSeq; seq++) {
    const p = i.poisons?.get(seq);
    if (p) {
      n.acknowledged++;
      if (p.expect === 'dead_letter' && !dead.has(String(seq))) poisonFailures.push(`${p.cls} (seq ${seq}) not dead-lettered`);
      if (p.expect === 'stored') {
        const k = `${p.type}\t${p.key}`;
        if (tables.raw.has(k)) stored.add(k);
        else poisonFailures.push(`${p.cls} (seq ${seq}) not stored${dead.has(String(seq)) ? `, dead-lettered: ${dead.get(String(seq))}` : ''}`);
      }
      continue;
    }
    // A message never read stands for one record of unknown key.
    const records = i.seen.get(seq) ?? [undefined];
    n.acknowledged += records.length;
    for (const a of records) {
      if (dead.has(String(seq)) || (a && dead.has(a.ref))) {
        n.deadLettered++;
        continue;
      }
      if (a && 'key' in a) {
        const k = `${a.type}\t${a.key}`;
        keySeqs.set(k, (keySeqs.get(k) ?? 0) + 1);
        if (tables.raw.has(k)) {
          stored.add(k);
          continue;
        }
      }
      // Below a phase's floor the limits removed every message (whether JetStream shows it again after a crash or not);
      // one storage had acknowledged before the phase is not excused.
      const phase = i.limits?.phases.find((ph) => seq < ph.floor);
      const ackedBefore = phase && a && 'key' in a && seq <= (phase.ackFloors.get(`storage-hot-${a.type}`) ?? 0);
      if (phase && !ackedBefore) {
        n.discarded++;
        if (seq >= i.limits!.firstSeq) n.resurrected++;
      } else {
        n.lost++;
        if (lostSamples.length < 5) lostSamples.push(`seq ${seq}: ${a ? JSON.stringify(a) : 'never read'}`);
      }
    }
  }
  let streamDuplicates = 0;
  for (const c of keySeqs.values()) if (c > 1) streamDuplicates += c - 1;

  // A row beyond the acknowledged messages that carry its key is storage writing one message
  // twice (exactly-once broken), whether FINAL would hide it (not yet merged) or not.
  let distinct = 0;
  let unmerged = 0;
  let storedTwice = 0;
  for (const [k, rows] of tables.raw) {
    distinct++;
    unmerged += rows - 1;
    storedTwice += Math.max(0, rows - Math.max(1, keySeqs.get(k) ?? 1));
  }
  let finalRows = 0;
  for (const rows of tables.final.values()) finalRows += rows;
  const duplicated = storedTwice + Math.max(0, finalRows - distinct);
  return { ...n, stored, lostSamples, poisonFailures, streamDuplicates, distinct, finalRows, unmerged, storedTwice, duplicated };
}
