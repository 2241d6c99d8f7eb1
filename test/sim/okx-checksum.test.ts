import { describe, expect, it } from 'vitest';
import { readCaptureFiles } from '../../src/capture/format.js';
import { crc32Signed, okxChecksum } from '../../src/collector/venues/okx/checksum.js';
import { capturePaths } from '../capture/captures.js';
import { TextBook } from './books.js';

interface BooksPush {
  arg: { channel: string; instId: string };
  action: 'snapshot' | 'update';
  data: { bids: string[][]; asks: string[][]; checksum: number }[];
}

describe('OKX checksum', () => {
  it('is the signed CRC32 of the text', () => {
    expect(crc32Signed('123456789')).toBe(0xcbf43926 | 0);
    expect(crc32Signed('')).toBe(0);
  });

  it('matches every checksum of the real 2022 OKX books capture, rebuilt from its pushes', async () => {
    const books = new Map<string, TextBook>();
    let checked = 0;
    for await (const e of readCaptureFiles(capturePaths('OKX.ws.1.0'))) {
      if (e.kind !== 'recv' || !e.text.startsWith('{"arg":{"channel":"books"')) continue;
      const msg = JSON.parse(e.text) as BooksPush;
      if (msg.action === 'snapshot') books.set(msg.arg.instId, new TextBook());
      const book = books.get(msg.arg.instId)!;
      for (const d of msg.data) {
        book.apply('bids', d.bids);
        book.apply('asks', d.asks);
        const top = book.top(25);
        expect(okxChecksum(top.bids as [string, string][], top.asks as [string, string][])).toBe(d.checksum);
        checked++;
      }
    }
    expect(checked).toBe(290);
  });
});
