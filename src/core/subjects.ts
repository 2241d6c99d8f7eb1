/**
 * NATS subjects, as in the original: `{data_type}.{exchange}.{market_type}.{symbol}`.
 * The one place subjects are built or parsed.
 */
import { createHash } from 'node:crypto';
import { NATURAL_KEYS } from './fields.js';
import { isDataType, type DataType, type MarketRecord } from './model.js';

export function subjectOf(r: Pick<MarketRecord, 'data_type' | 'exchange' | 'market_type' | 'symbol'>): string {
  return `${r.data_type}.${r.exchange}.${r.market_type}.${r.symbol}`;
}

/**
 * A market data subject's parts (the symbol is the rest, dots and all); undefined when it
 * is not `{data_type}.{exchange}.{market_type}.{symbol}` of a known data type. The parts are
 * the subject's, not checked against the venues the model knows.
 */
export function parseSubject(subject: string): { data_type: DataType; exchange: string; market_type: string; symbol: string } | undefined {
  const [type, exchange, market_type, ...rest] = subject.split('.');
  if (!isDataType(type) || !exchange || !market_type || rest.length === 0 || rest.includes('')) return undefined;
  return { data_type: type, exchange, market_type, symbol: rest.join('.') };
}

/** Every subject of one data type, for a consumer's filter. */
export function subjectFilter(type: DataType): string {
  return `${type}.>`;
}

export function deadLetterSubject(prefix: string, type: DataType | 'unknown'): string {
  return `${prefix}.${type}`;
}

/**
 * JetStream de-duplication id from the record's natural key, e.g.
 * `trade:binance:spot:BTC-USDT:12345` (the original's format, extended to every type).
 */
export function msgIdOf(r: MarketRecord): string {
  const values = NATURAL_KEYS[r.data_type].map((k) => String((r as unknown as Record<string, unknown>)[k]));
  return `${r.data_type}:${values.join(':')}`;
}

/**
 * JetStream de-duplication id of a multi-record message, from its exact contents: the
 * first record's id, the count and a hash of the body, e.g.
 * `trade:binance:spot:BTC-USDT:12345+500:q3K...`. The same records in the same order give
 * the same id, in this process (a retry) or another (the same burst sent again).
 */
export function batchMsgId(first: MarketRecord, count: number, body: Uint8Array): string {
  return `${msgIdOf(first)}+${count}:${createHash('sha256').update(body).digest('base64url').slice(0, 22)}`;
}

/** Who publishes what it counted per interval (core/interval-counts.ts), on a subject of its own. */
export type CountingDaemon = 'collector' | 'storage';
/** Every daemon's counts, for the stream (streams.yaml MARKETPRISM_COUNTS). */
export const COUNTS_SUBJECTS = 'marketprism.counts.>';
/** One daemon's counts, `marketprism.counts.collector.<member id>`; `*` as the id: every one of that daemon (a permission). */
export function countsSubject(daemon: CountingDaemon, id: string): string {
  return `marketprism.counts.${daemon}.${id}`;
}
/** True when `subjects` (a stream's) are the counts subjects. */
export const isCountsStream = (subjects: readonly string[]) => subjects.includes(COUNTS_SUBJECTS);
