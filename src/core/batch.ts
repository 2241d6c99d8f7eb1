/**
 * The multi-record message format: several records of one subject in one JetStream
 * message. The body is the records' JSON, one a line (newline-delimited JSON; a record's
 * JSON never holds a raw newline); headers say the format version and the record count.
 * A message without the format header is a single record, as before batching. The one
 * place the format is written and read.
 */
export const BATCH_FORMAT_HEADER = 'MarketPrism-Format';
export const BATCH_COUNT_HEADER = 'MarketPrism-Count';
export const BATCH_FORMAT = 'ndjson-v1';

const NL = 0x0a;

/** A text with its UTF-8 size, as `writeBatch` takes it. */
export function batchPart(text: string): { text: string; size: number } {
  return { text, size: Buffer.byteLength(text) };
}

/**
 * Records' JSON texts (with their UTF-8 sizes) as one body, newline-separated, each text
 * written once, straight into the body.
 */
export function writeBatch(parts: readonly { text: string; size: number }[]): Buffer {
  let size = parts.length - 1;
  for (const p of parts) size += p.size;
  const out = Buffer.allocUnsafe(size);
  let at = 0;
  for (let i = 0; i < parts.length; i++) {
    if (i > 0) out[at++] = NL;
    at += out.write(parts[i]!.text, at);
  }
  if (at !== size) throw new Error(`batch body: wrote ${at} bytes of ${size} (a size that is not the text's UTF-8 length)`);
  return out;
}

export interface HeaderReader {
  get(k: string): string;
  has(k: string): boolean;
}

/**
 * The records' JSON texts of a message: one for a plain message, the lines of a batch.
 * A string when the message is not in a format this reads (an unknown version, a count
 * that does not match its lines): the reason, naming the problem.
 */
export function splitMessage(body: string, h: HeaderReader | undefined): string[] | string {
  if (!h || !h.has(BATCH_FORMAT_HEADER)) return [body];
  const format = h.get(BATCH_FORMAT_HEADER);
  if (format !== BATCH_FORMAT) return `unknown message format ${JSON.stringify(format.slice(0, 40))} (this storage reads ${BATCH_FORMAT})`;
  const declared = h.get(BATCH_COUNT_HEADER);
  const lines = body.split('\n');
  if (String(lines.length) !== declared)
    return `batch says ${JSON.stringify(declared.slice(0, 20))} records (${BATCH_COUNT_HEADER}) and holds ${lines.length} lines`;
  return lines;
}

/** A multi-record message (its records are dead-lettered one by one, by line). */
export function isBatch(h: HeaderReader | undefined): boolean {
  return h !== undefined && h.has(BATCH_FORMAT_HEADER);
}

/** Records a message says it holds (1 when it is not a batch or its count is unreadable). */
export function recordCountOf(h: HeaderReader | undefined): number {
  if (!h || !h.has(BATCH_FORMAT_HEADER)) return 1;
  const n = Number(h.get(BATCH_COUNT_HEADER));
  return Number.isSafeInteger(n) && n > 0 ? n : 1;
}
