/**
 * Poison messages (unparseable or invalid) go to `deadletter.<type>` with the reason
 * in a header, then are acked: they are kept for inspection and never block their consumer.
 */
import { headers } from '@nats-io/transport-node';
import type { JetStreamClient, JsMsg } from '@nats-io/jetstream';
import { deadLetterSubject } from '../core/subjects.js';
import type { DataType } from '../core/model.js';

export const REASON_HEADER = 'MarketPrism-Reason';
export const ORIGINAL_SUBJECT_HEADER = 'MarketPrism-Subject';
export const ORIGINAL_SEQ_HEADER = 'MarketPrism-Stream-Seq';

export class DeadLetters {
  constructor(
    private readonly js: JetStreamClient,
    private readonly prefix: string,
    private readonly stream: string,
  ) {}

  /** Publishes a copy with its reason; resolves once JetStream has stored it. */
  async send(type: DataType, m: JsMsg, reason: string): Promise<void> {
    const h = headers();
    h.set(REASON_HEADER, reason.slice(0, 1000));
    h.set(ORIGINAL_SUBJECT_HEADER, m.subject);
    h.set(ORIGINAL_SEQ_HEADER, String(m.seq));
    // The msg id makes a re-sent dead letter (after a crash before the ack) a duplicate.
    await this.js.publish(deadLetterSubject(this.prefix, type), m.data, {
      headers: h,
      msgID: `dlq:${this.stream}:${m.seq}`,
      timeout: 5000,
    });
  }
}
