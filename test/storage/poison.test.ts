/**
 * Nothing wedges a consumer: each way a message can fail ends in the table or in the
 * dead-letter stream with a one-line reason, and the consumer moves on. Real chDB
 * (behind its HTTP interface) is the judge of what ClickHouse refuses.
 */
import { jetstreamManager, type JetStreamManager, type StoredMsg } from '@nats-io/jetstream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BODY_OMITTED_HEADER, MAX_REASON_CHARS, ORIGINAL_SUBJECT_HEADER, REASON_HEADER, sanitizeReason } from '../../src/storage/dead-letter.js';
import { HttpEngine } from '../../src/storage/engines/http.js';
import { waitFor } from '../../src/testing/ports.js';
import { trades } from '../helpers/records.js';
import { consumerCaughtUp, deadLetterReader, startHealthyStorage, storageEnv, type StorageEnv } from '../helpers/storage-env.js';

const DAY_MS = 86_400_000;

describe('poison messages never block a consumer', () => {
  let env: StorageEnv;
  let jsm: JetStreamManager;
  let stop: () => Promise<void>;
  let newDeadLetters: (n: number) => Promise<StoredMsg[]>;
  const count = async (where: string) => {
    const [r] = await env.chdb!.query<{ n: string }>(`SELECT count() AS n FROM marketprism_hot.trades FINAL WHERE ${where}`);
    return Number(r!.n);
  };
  const caughtUp = () => consumerCaughtUp(jsm);

  beforeAll(async () => {
    env = await storageEnv({ engine: 'clickhouse', batch: { max_rows: 500, max_wait_ms: 300, ack_wait_ms: 20_000 } });
    jsm = await jetstreamManager(env.nc);
    newDeadLetters = deadLetterReader(jsm);
    stop = await startHealthyStorage(env);
  });
  afterAll(async () => {
    await stop?.();
    await env?.close();
  });

  it('stores a batch spanning 150 days (150 daily partitions) whole, dead-lettering nothing', async () => {
    const day0 = Math.floor(Date.now() / DAY_MS) * DAY_MS;
    // Future days: the hot tier's TTL would drop past ones at insert.
    const spread = trades(150, { idPrefix: 'days-' }).map((r, i) => ({ ...r, timestamp: day0 + i * DAY_MS + 1000, trade_time: day0 + i * DAY_MS + 1000 }));
    spread.forEach((r) => env.publisher.publish(r));
    expect(await env.publisher.flush()).toBe(true);
    await waitFor('150 trades on 150 days', async () => (await count("trade_id LIKE 'days-%'")) === 150);
    const [days] = await env.chdb!.query<{ n: string }>("SELECT uniqExact(toDate(timestamp)) AS n FROM marketprism_hot.trades WHERE trade_id LIKE 'days-%'");
    expect(Number(days!.n)).toBe(150);
    await caughtUp();
    expect((await jsm.streams.info('MARKET_DATA_DLQ')).state.messages).toBe(0);
  });

  it('dead-letters the one row ClickHouse refuses for its content and stores the rest of its batch', async () => {
    // A constraint stands in for any content ClickHouse refuses (VIOLATED_CONSTRAINT, a data error).
    const admin = new HttpEngine({ url: env.chdb!.url, username: 'default', password: '', requestTimeoutMs: 5000 });
    await admin.command("ALTER TABLE marketprism_hot.trades ADD CONSTRAINT no_refused_ids CHECK trade_id != 'refused-me'");
    try {
      const batch = trades(200, { idPrefix: 'refused-batch-' });
      batch.splice(77, 0, { ...trades(1)[0]!, trade_id: 'refused-me' });
      batch.forEach((r) => env.publisher.publish(r));
      expect(await env.publisher.flush()).toBe(true);
      await waitFor('the 200 others stored', async () => (await count("trade_id LIKE 'refused-batch-%'")) === 200);
      const [dl] = await newDeadLetters(1);
      expect(dl!.subject).toBe('deadletter.trade');
      expect(JSON.parse(dl!.string()).trade_id).toBe('refused-me');
      const reason = dl!.header.get(REASON_HEADER);
      expect(reason).toMatch(/^ClickHouse rejected the row: .*no_refused_ids/);
      expect(reason).not.toMatch(/[\r\n]/);
      expect(reason.length).toBeLessThanOrEqual(MAX_REASON_CHARS);
      expect(await count("trade_id = 'refused-me'")).toBe(0);
      await caughtUp();
    } finally {
      await admin.command('ALTER TABLE marketprism_hot.trades DROP CONSTRAINT no_refused_ids');
      await admin.close();
    }
  });

  it('dead-letters a message whose parse error holds a newline, with a one-line reason', async () => {
    const body = 'x\ny\r\n\u0007{"not": "json"';
    let parseError = '';
    try {
      JSON.parse(body);
    } catch (err) {
      parseError = (err as Error).message;
    }
    expect(parseError).toMatch(/\n/); // the premise: the parser quotes the input
    env.nc.publish('trade.binance.spot.BTC-USDT', body);
    env.nc.publish('trade.binance.spot.BTC-USDT', JSON.stringify({ ...trades(1)[0], trade_id: `t\n${'z'.repeat(2000)}`, price: 'NaN\n' }));
    await env.nc.flush();
    const after = trades(100, { idPrefix: 'after-newline-' });
    after.forEach((r) => env.publisher.publish(r));
    expect(await env.publisher.flush()).toBe(true);
    await waitFor('trades after the newline poison', async () => (await count("trade_id LIKE 'after-newline-%'")) === 100);
    const [unparseable, invalid] = await newDeadLetters(2);
    expect(unparseable!.string()).toBe(body);
    expect(unparseable!.header.get(ORIGINAL_SUBJECT_HEADER)).toBe('trade.binance.spot.BTC-USDT');
    expect(unparseable!.header.get(REASON_HEADER)).toBe(sanitizeReason(`unparseable JSON: ${parseError}`));
    expect(unparseable!.header.get(REASON_HEADER)).toMatch(/^unparseable JSON: /);
    expect(unparseable!.header.get(REASON_HEADER)).not.toMatch(/[\r\n]/);
    expect(unparseable!.header.get(REASON_HEADER)).not.toContain('\u0007');
    expect(invalid!.header.get(REASON_HEADER)).toBe('field "price": not a plain decimal: "NaN\\n"');
    await caughtUp();
  });

  it('dead-letters a message too large to copy with headers, without its body', async () => {
    const max = env.nc.info!.max_payload;
    const body = 'x'.repeat(max - 64); // fits on its own; not with the dead letter's headers
    env.nc.publish('trade.binance.spot.BTC-USDT', body);
    await env.nc.flush();
    const [dl] = await newDeadLetters(1);
    expect(dl!.data.length).toBe(0);
    expect(dl!.header.get(REASON_HEADER)).toMatch(/^unparseable JSON: /);
    expect(dl!.header.get(BODY_OMITTED_HEADER)).toMatch(new RegExp(`^${body.length} bytes: `));
    expect(dl!.header.get(ORIGINAL_SUBJECT_HEADER)).toBe('trade.binance.spot.BTC-USDT');
    await caughtUp();
  });
});

describe('sanitizeReason', () => {
  it('makes one bounded line of any text', () => {
    expect(sanitizeReason('a\nb\r\n\tc\u0000d\u2028e')).toBe('a b c d e');
    expect(sanitizeReason('  \n ')).toBe('(no reason given)');
    const long = sanitizeReason('é'.repeat(2000));
    expect(Array.from(long)).toHaveLength(MAX_REASON_CHARS);
    expect(long.endsWith('...')).toBe(true);
  });
});
