import { describe, expect, it } from 'vitest';
import { readCaptureFiles } from '../../src/capture/format.js';
import { crc32Signed, joinedChecksum, okxChecksum } from '../../src/collector/venues/okx/checksum.js';
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
        expect(joinedChecksum(top.bids as [string, string][], top.asks as [string, string][])).toBe(d.checksum);
        checked++;
      }
    }
    expect(checked).toBe(290);
  });

  it('is the CRC of the joined text for random books, empty and one-sided ones, and non-ASCII text', () => {
    let seed = 11;
    const r = () => (seed = (seed * 1664525 + 1013904223) >>> 0) / 2 ** 32;
    const text = () => String(Math.floor(r() * 1e6)) + (r() < 0.5 ? '' : '.' + String(Math.floor(r() * 1e4)));
    const side = (): [string, string][] => Array.from({ length: Math.floor(r() * 40) }, () => [text(), text()]);
    const joined = (bids: [string, string][], asks: [string, string][]) => {
      const parts: string[] = [];
      for (let i = 0; i < Math.min(25, Math.max(bids.length, asks.length)); i++) {
        if (bids[i]) parts.push(bids[i]![0], bids[i]![1]);
        if (asks[i]) parts.push(asks[i]![0], asks[i]![1]);
      }
      return crc32Signed(parts.join(':'));
    };
    for (let i = 0; i < 500; i++) {
      const bids = side();
      const asks = r() < 0.1 ? [] : side();
      expect(okxChecksum(bids, asks)).toBe(joined(bids, asks));
    }
    const odd: [string, string][] = [
      ['1.5', '2\u00e9'],
      ['1.4', '3'],
    ];
    expect(okxChecksum(odd, [])).toBe(crc32Signed('1.5:2\u00e9:1.4:3'));
    expect(okxChecksum([], [])).toBe(0);
  });
});
