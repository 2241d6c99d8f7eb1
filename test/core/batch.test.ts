/** The multi-record message body: written from texts in one copy, read back line by line. */
import { describe, expect, it } from 'vitest';
import { BATCH_COUNT_HEADER, BATCH_FORMAT, BATCH_FORMAT_HEADER, batchPart, splitMessage, writeBatch } from '../../src/core/batch.js';

const enc = new TextEncoder();
const headers = (n: number) => {
  const h = new Map([
    [BATCH_FORMAT_HEADER, BATCH_FORMAT],
    [BATCH_COUNT_HEADER, String(n)],
  ]);
  return { get: (k: string) => h.get(k) ?? '', has: (k: string) => h.has(k) };
};

describe('batch bodies', () => {
  it('writeBatch gives the texts’ UTF-8 bytes, newline-separated, multi-byte texts included, and reads back as the texts', () => {
    const texts = ['{"a":1}', '{"symbol":"BTC-USDT","note":"é ü 漢 𝄞"}', '', '{"b":"' + 'x'.repeat(70_000) + '"}', '{}'];
    for (let n = 1; n <= texts.length; n++) {
      const parts = texts.slice(0, n);
      const written = writeBatch(parts.map(batchPart));
      expect(new Uint8Array(written)).toEqual(enc.encode(parts.join('\n')));
      expect(splitMessage(written.toString('utf8'), headers(n))).toEqual(parts);
    }
  });

  it('refuses a size that is not the text’s UTF-8 length (a body it would cut or pad)', () => {
    expect(() => writeBatch([{ text: 'é', size: 1 }])).toThrow(/wrote 0 bytes of 1/);
    expect(() => writeBatch([{ text: 'ab', size: 3 }])).toThrow(/wrote 2 bytes of 3/);
  });
});
