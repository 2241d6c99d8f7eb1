/**
 * What JetStream acknowledged in a time range, read back for `marketprism integrity`: the
 * messages of a stream whose JetStream publish time is in [from, to), through an ordered
 * (ephemeral, unacknowledged) consumer starting at `from`, up to the first message at or
 * after `to` or the stream's last sequence when the read began; each message's records
 * decoded as storage decodes them (core/batch.ts splitMessage, core/validate.ts), each
 * with its natural key (storage/natural-key.ts). And the dead letters (storage/dead-letter.ts
 * headers) of the records it holds, by original stream sequence.
 *
 * Bounded: messages are handed to the caller as they arrive (a pull of at most PULL_MESSAGES messages),
 * nothing is kept here; reading stops after `maxRecords` records.
 */
import { DeliverPolicy, type JetStreamClient, type JetStreamManager, type JsMsg } from '@nats-io/jetstream';
import { recordCountOf, isBatch, splitMessage, type HeaderReader } from '../core/batch.js';
import type { DataType, MarketRecord } from '../core/model.js';
import { parseSubject } from '../core/subjects.js';
import { validateRecord } from '../core/validate.js';
import { ORIGINAL_SEQ_HEADER, RECORD_INDEX_HEADER } from '../storage/dead-letter.js';
import { keyOfRecord } from '../storage/natural-key.js';
import type { StreamSpec } from '../core/streams.js';

/**
 * One pull: at most this many messages (each at most the server's max_payload, 1 MiB by
 * default; a multi-record message of the collector about 100 KB). Not a byte bound: a fetch
 * whose `max_bytes` fills ends with the server's 409 "Batch Completed", which nats.js fetch
 * raises as an error (measured: 200,000 trades in multi-record messages).
 */
const PULL_MESSAGES = 100;
/** A pull waits this long for messages; this many empty pulls in a row end the read (the stream gave nothing more). */
const PULL_EXPIRES_MS = 2000;
const EMPTY_PULLS = 3;

/** One record of a message: its key, or why storage cannot store it. `ref` names it as a dead letter does (`seq`, or `seq:line` in a batch). */
export type WindowRecord = { ref: string } & ({ record: MarketRecord; key: string } | { bad: string });

export interface WindowMessage {
  seq: number;
  subject: string;
  /** JetStream's publish time, ms. */
  ms: number;
  /** The data type and venue (`exchange/market_type`) of its subject; undefined when the subject is not a market data subject. */
  type: DataType | undefined;
  venue: string;
  records: WindowRecord[];
}

/** Every record of a message, as storage's consumer reads it: one for a plain message, each line of a multi-record one. */
export function decodeMessage(seq: number, subject: string, body: string, h: HeaderReader | undefined): Omit<WindowMessage, 'ms'> {
  const parts = parseSubject(subject);
  const type = parts?.data_type;
  const venue = parts ? `${parts.exchange}/${parts.market_type}` : '?';
  const texts = splitMessage(body, h);
  if (typeof texts === 'string')
    return { seq, subject, type, venue, records: Array.from({ length: recordCountOf(h) }, () => ({ ref: String(seq), bad: texts })) };
  const batch = isBatch(h);
  const records = texts.map((text, i): WindowRecord => {
    const ref = batch ? `${seq}:${i}` : String(seq);
    try {
      const record = validateRecord(JSON.parse(text));
      if (record.data_type !== type) return { ref, bad: `data_type ${record.data_type} on subject ${subject}` };
      return { ref, record, key: keyOfRecord(record.data_type, record as unknown as Record<string, unknown>) };
    } catch (err) {
      return { ref, bad: (err as Error).message };
    }
  });
  return { seq, subject, type, venue, records };
}

const msOf = (m: JsMsg) => Number(m.timestampNanos / 1_000_000n);

export interface WindowRead {
  /** The stream held messages older than `from`, or none removed (first sequence 1): the whole range is there. */
  first_seq: number;
  /**
   * When retention (or a purge) removed the stream's older messages and what it holds starts
   * after `from`: from when it holds them (its first message's time; `to` when it holds none), and why.
   */
  retained?: { from_ms: number; note: string };
  /** Sequences read: from the first at or after `from`. */
  read_from_seq?: number;
  read_to_seq?: number;
  messages: number;
  records: number;
  /** Set when reading stopped before `to` (--max-records, the stream gave nothing more): what was read covers [from, at_ms). */
  stopped?: { at_ms: number; reason: string };
}

/**
 * Reads the stream's messages published in [from, to), handing each to `onMessage` (awaited:
 * the caller's lookups hold the read back). Stops after `maxRecords` records (a message is
 * read whole; the one that would pass the limit is not read).
 */
export async function readWindow(
  js: JetStreamClient,
  jsm: JetStreamManager,
  stream: string,
  range: { from_ms: number; to_ms: number },
  maxRecords: number,
  onMessage: (m: WindowMessage) => Promise<void>,
): Promise<WindowRead> {
  const { state } = await jsm.streams.info(stream);
  const firstMs = Date.parse(state.first_ts);
  const out: WindowRead = { first_seq: state.first_seq, messages: 0, records: 0 };
  // A stream that never lost a message (first sequence 1) holds everything acknowledged; one that did, from its first message on.
  if (state.first_seq > 1 && state.messages === 0)
    out.retained = {
      from_ms: range.to_ms,
      note: `the stream holds no message: all ${state.first_seq - 1} were removed (retention); what they were is not known`,
    };
  else if (state.first_seq > 1 && firstMs > range.from_ms)
    out.retained = {
      from_ms: firstMs,
      note: `the stream's first message is of ${new Date(firstMs).toISOString()} (sequence ${state.first_seq}): older ones were removed (retention); what was acknowledged before is not known`,
    };
  if (state.messages === 0 || Date.parse(state.last_ts) < range.from_ms) return out;
  const lastSeq = state.last_seq;
  let lastMs = range.from_ms;
  const ended = await pullSince(js, stream, range.from_ms, lastSeq, async (m) => {
    const ms = msOf(m);
    if (ms >= range.to_ms) return true;
    const records = recordCountOf(m.headers);
    if (out.records > 0 && out.records + records > maxRecords) {
      out.stopped = { at_ms: ms, reason: `--max-records ${maxRecords} reached` };
      return true;
    }
    out.read_from_seq ??= m.seq;
    out.read_to_seq = m.seq;
    out.messages++;
    out.records += records;
    lastMs = ms;
    await onMessage({ ...decodeMessage(m.seq, m.subject, m.string(), m.headers), ms });
    return false;
  });
  if (ended === 'silent')
    out.stopped = {
      at_ms: lastMs + 1,
      reason: `the stream delivered nothing past sequence ${out.read_to_seq ?? '-'} (its last was ${lastSeq} when the read began)`,
    };
  return out;
}

/**
 * The reading loop of every read here: the stream's messages from the first published at or
 * after `fromMs`, through an ordered consumer, in pulls of at most PULL_MESSAGES, each handed
 * to `onMessage` (awaited) until it returns true ('stopped'), the message of sequence
 * `lastSeq` was handed over ('last'), or EMPTY_PULLS pulls in a row gave nothing ('silent').
 */
export async function pullSince(
  js: JetStreamClient,
  stream: string,
  fromMs: number,
  lastSeq: number,
  onMessage: (m: JsMsg) => Promise<boolean> | boolean,
): Promise<'stopped' | 'last' | 'silent'> {
  const c = await js.consumers.get(stream, { deliver_policy: DeliverPolicy.StartTime, opt_start_time: new Date(fromMs).toISOString() });
  let empty = 0;
  for (;;) {
    const pull = await c.fetch({ max_messages: PULL_MESSAGES, expires: PULL_EXPIRES_MS });
    let got = 0;
    for await (const m of pull) {
      got++;
      if (m.seq > lastSeq) return 'last';
      if (await onMessage(m)) return 'stopped';
      if (m.seq === lastSeq) return 'last';
    }
    if (got > 0) empty = 0;
    else if (++empty >= EMPTY_PULLS) return 'silent';
  }
}

/**
 * The dead letters published since `fromMs` (they follow their original): original → reason,
 * the original named as WindowRecord.ref does. At most `max` are read; `truncated` says so.
 */
export async function readDeadLetterRefs(
  js: JetStreamClient,
  jsm: JetStreamManager,
  stream: string,
  fromMs: number,
  max: number,
): Promise<{ refs: Set<string>; truncated: boolean }> {
  const refs = new Set<string>();
  const { state } = await jsm.streams.info(stream);
  if (state.messages === 0 || Date.parse(state.last_ts) < fromMs) return { refs, truncated: false };
  let truncated = false;
  await pullSince(js, stream, fromMs, state.last_seq, (m) => {
    const seq = Number(m.headers?.get(ORIGINAL_SEQ_HEADER));
    if (Number.isSafeInteger(seq) && seq > 0) {
      const index = m.headers?.has(RECORD_INDEX_HEADER) ? m.headers.get(RECORD_INDEX_HEADER) : undefined;
      refs.add(index === undefined ? String(seq) : `${seq}:${index}`);
      if (refs.size >= max) return (truncated = true);
    }
    return false;
  });
  return { refs, truncated };
}

/** True when `subject` is one a stream subject (with `*` and `>` wildcards) takes. */
function subjectMatches(filter: string, subject: string): boolean {
  const f = filter.split('.');
  const s = subject.split('.');
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '>') return s.length > i;
    if (i >= s.length || (f[i] !== '*' && f[i] !== s[i])) return false;
  }
  return f.length === s.length;
}

/**
 * The stream holding `deadLetter` (a dead-letter subject): from the broker's streams when
 * this host has them, else asked of JetStream (a user allowed to list streams), else the
 * shipped name (streams.yaml: `<stream>_DLQ`). `from` says which.
 */
export async function deadLetterStream(
  jsm: JetStreamManager,
  deadLetter: string,
  stream: string,
  specs: readonly StreamSpec[] | undefined,
): Promise<{ name: string; from: string }> {
  const spec = specs?.find((s) => s.subjects.some((f) => subjectMatches(f, deadLetter)));
  if (spec) return { name: spec.name, from: 'the broker streams file' };
  try {
    return { name: await jsm.streams.find(deadLetter), from: 'JetStream' };
  } catch (err) {
    // The storage user may not list streams (broker/nats-config.ts): the name the shipped streams.yaml gives it.
    return { name: `${stream}_DLQ`, from: `the shipped streams.yaml (no broker config here; JetStream: ${(err as Error).message})` };
  }
}
