/**
 * Multi-record messages (core/batch.ts) in storage: every record validated on its own, a
 * bad one dead-lettered alone (its line as the body, its index in a header) while the
 * others are stored, a message whose framing is wrong dead-lettered whole, and a
 * single-record message as published before batching still stored. Real nats-server,
 * real chDB behind its HTTP interface.
 */
import { headers } from '@nats-io/transport-node';
import { jetstream, jetstreamManager, type JetStreamManager, type StoredMsg } from '@nats-io/jetstream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BATCH_COUNT_HEADER, BATCH_FORMAT, BATCH_FORMAT_HEADER, batchPart, writeBatch } from '../../src/core/batch.js';
import { ORIGINAL_SEQ_HEADER, REASON_HEADER, RECORD_INDEX_HEADER } from '../../src/storage/dead-letter.js';
import { waitFor } from '../../src/testing/ports.js';
import { trades } from '../helpers/records.js';
import { consumerCaughtUp, deadLetterReader, startHealthyStorage, storageEnv, type StorageEnv } from '../helpers/storage-env.js';

const SUBJECT = 'trade.binance.spot.BTC-USDT';

function batchHeaders(count: number, format = BATCH_FORMAT) {
  const h = headers();
  h.set(BATCH_FORMAT_HEADER, format);
  h.set(BATCH_COUNT_HEADER, String(count));
  return h;
}

describe('multi-record messages in storage', () => {
  let env: StorageEnv;
  let jsm: JetStreamManager;
  let stop: () => Promise<void>;
  let newDeadLetters: (n: number) => Promise<StoredMsg[]>;
  const count = async (where: string) => {
    const [r] = await env.chdb!.query<{ n: string }>(`SELECT count() AS n FROM marketprism_hot.trades WHERE ${where}`);
    return Number(r!.n);
  };
  const caughtUp = () => consumerCaughtUp(jsm);

  beforeAll(async () => {
    env = await storageEnv({ engine: 'clickhouse', batch: { max_rows: 500, max_wait_ms: 200, ack_wait_ms: 20_000 } });
    jsm = await jetstreamManager(env.nc);
    newDeadLetters = deadLetterReader(jsm);
    stop = await startHealthyStorage(env);
  });
  afterAll(async () => {
    await stop?.();
    await env?.close();
  });

  it('stores the good records of a batch and dead-letters each bad one alone, with its line and index', async () => {
    const good = trades(5, { idPrefix: 'mixed-' });
    const invalid = JSON.stringify({ ...good[0], trade_id: 'mixed-invalid', price: 27000 });
    const lines = [JSON.stringify(good[0]), invalid, JSON.stringify(good[1]), '{"not json', ...good.slice(2).map((r) => JSON.stringify(r))];
    const ack = await jetstream(env.nc).publish(SUBJECT, writeBatch(lines.map(batchPart)), { headers: batchHeaders(lines.length) });
    await waitFor('the five good records', async () => (await count("trade_id LIKE 'mixed-%'")) === 5);
    const dls = await newDeadLetters(2);
    const byIndex = new Map(dls.map((d) => [d.header.get(RECORD_INDEX_HEADER), d]));
    expect([...byIndex.keys()].sort()).toEqual(['1', '3']);
    expect(byIndex.get('1')!.string()).toBe(invalid);
    expect(byIndex.get('1')!.header.get(REASON_HEADER)).toBe('field "price": expected a decimal string, got number');
    expect(byIndex.get('3')!.string()).toBe('{"not json');
    expect(byIndex.get('3')!.header.get(REASON_HEADER)).toMatch(/^unparseable JSON: /);
    for (const d of dls) expect(d.header.get(ORIGINAL_SEQ_HEADER)).toBe(String(ack.seq));
    expect(await count("trade_id = 'mixed-invalid'")).toBe(0);
    await caughtUp(); // the message is acked once every record is stored or dead-lettered
  });

  it('dead-letters whole a batch whose count does not match its lines, or of an unknown format version', async () => {
    const rs = trades(3, { idPrefix: 'framing-' }).map((r) => batchPart(JSON.stringify(r)));
    const js = jetstream(env.nc);
    const short = await js.publish(SUBJECT, writeBatch(rs), { headers: batchHeaders(4) });
    const future = await js.publish(SUBJECT, writeBatch(rs), { headers: batchHeaders(3, 'ndjson-v9') });
    const [a, b] = await newDeadLetters(2);
    expect(a!.header.get(ORIGINAL_SEQ_HEADER)).toBe(String(short.seq));
    expect(a!.header.has(RECORD_INDEX_HEADER)).toBe(false);
    expect(a!.header.get(REASON_HEADER)).toBe(`batch says "4" records (${BATCH_COUNT_HEADER}) and holds 3 lines`);
    expect(a!.data).toEqual(new Uint8Array(writeBatch(rs)));
    expect(b!.header.get(ORIGINAL_SEQ_HEADER)).toBe(String(future.seq));
    expect(b!.header.get(REASON_HEADER)).toBe('unknown message format "ndjson-v9" (this storage reads ndjson-v1)');
    expect(await count("trade_id LIKE 'framing-%'")).toBe(0);
    await caughtUp();
  });

  it('stores single-record messages as published before batching, beside batches', async () => {
    const old = trades(3, { idPrefix: 'single-' });
    const js = jetstream(env.nc);
    for (const r of old) await js.publish(SUBJECT, JSON.stringify(r));
    const batch = trades(400, { idPrefix: 'beside-' });
    await js.publish(SUBJECT, writeBatch(batch.map((r) => batchPart(JSON.stringify(r)))), { headers: batchHeaders(batch.length) });
    await waitFor('both kinds stored', async () => (await count("trade_id LIKE 'single-%'")) === 3 && (await count("trade_id LIKE 'beside-%'")) === 400);
    await caughtUp();
  });
});
