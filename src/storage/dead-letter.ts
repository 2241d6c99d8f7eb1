/**
 * Poison messages go to `deadletter.<type>` with the reason in a header, then are
 * acked: they are kept for inspection and never block their consumer. Whatever a
 * reason holds (a parser's message quoting the input, a ClickHouse exception with its
 * stack), it is written as one bounded line, so the header can always be written.
 */
import { headers } from '@nats-io/transport-node';
import type { JetStreamClient, JsMsg } from '@nats-io/jetstream';
import { deadLetterSubject } from '../core/subjects.js';
import type { DataType } from '../core/model.js';

export const REASON_HEADER = 'MarketPrism-Reason';
export const ORIGINAL_SUBJECT_HEADER = 'MarketPrism-Subject';
export const ORIGINAL_SEQ_HEADER = 'MarketPrism-Stream-Seq';
/** Of a record dead-lettered alone from a multi-record message: its line (0-based) there. */
export const RECORD_INDEX_HEADER = 'MarketPrism-Record-Index';
/** Set when the original body could not be stored beside the headers (too large); says why. */
export const BODY_OMITTED_HEADER = 'MarketPrism-Body-Omitted';

export const MAX_REASON_CHARS = 500;

const encoder = new TextEncoder();

/** One line of at most MAX_REASON_CHARS characters: control characters (newlines included) become spaces. */
export function sanitizeReason(reason: string): string {
  // C0 and C1 controls, DEL, and the Unicode line and paragraph separators.
  const line = reason
    // eslint-disable-next-line no-control-regex -- control characters are exactly what is removed
    .replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ')
    .replace(/ {2,}/g, ' ')
    .trim();
  const chars = Array.from(line);
  if (chars.length <= MAX_REASON_CHARS) return line || '(no reason given)';
  return chars.slice(0, MAX_REASON_CHARS - 3).join('') + '...';
}

/** The broker refused the message for its size: sending the same bytes again cannot work. */
const TOO_LARGE_RE = /max(imum)?[ _]?payload|message size|too large|exceeds/i;

export class DeadLetters {
  constructor(
    private readonly js: JetStreamClient,
    private readonly prefix: string,
    private readonly stream: string,
  ) {}

  /**
   * Publishes a copy with its reason; resolves once JetStream has stored it. `record`: one
   * record of a multi-record message, dead-lettered alone (its line is the body).
   */
  async send(type: DataType, m: JsMsg, reason: string, record?: { index: number; body: string }): Promise<void> {
    const body = record ? encoder.encode(record.body) : m.data;
    try {
      await this.publish(type, m, reason, body, record?.index);
    } catch (err) {
      if (!TOO_LARGE_RE.test((err as Error).message)) throw err;
      // The original plus headers is over the broker's limit: keep the reason and where to find the original.
      await this.publish(type, m, reason, new Uint8Array(), record?.index, `${body.length} bytes: ${(err as Error).message}`);
    }
  }

  private async publish(type: DataType, m: JsMsg, reason: string, body: Uint8Array, index: number | undefined, omitted?: string): Promise<void> {
    const h = headers();
    h.set(REASON_HEADER, sanitizeReason(reason));
    h.set(ORIGINAL_SUBJECT_HEADER, m.subject);
    h.set(ORIGINAL_SEQ_HEADER, String(m.seq));
    if (index !== undefined) h.set(RECORD_INDEX_HEADER, String(index));
    if (omitted) h.set(BODY_OMITTED_HEADER, sanitizeReason(omitted));
    // The msg id makes a re-sent dead letter (after a crash before the ack) a duplicate.
    await this.js.publish(deadLetterSubject(this.prefix, type), body, {
      headers: h,
      msgID: index === undefined ? `dlq:${this.stream}:${m.seq}` : `dlq:${this.stream}:${m.seq}:${index}`,
      timeout: 5000,
    });
  }
}
