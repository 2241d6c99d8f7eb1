/**
 * OKX order-book checksum: CRC32 (signed 32-bit, as OKX publishes it) of the top 25
 * levels interleaved `bidPx:bidSz:askPx:askSz:...`, a missing side skipped. It is
 * computed on the venue's own text, so books must keep prices and sizes as strings.
 * Used by the collector to verify books and by the simulator to sign them.
 *
 * A checksum runs after every book update, so the CRC is taken over the level texts
 * as they are (table-driven, one step a character), without building the joined text
 * and encoding it for zlib: that was 14 % of an OKX replay. Level texts are ASCII (decimal
 * digits); a text with any other character goes the long way, through zlib's CRC of its
 * UTF-8 bytes. test/sim/okx-checksum.test.ts checks both against every checksum of the
 * real 2022 capture and against zlib on random books.
 */
import { crc32 } from 'node:zlib';

export const CHECKSUM_LEVELS = 25;

export type TextLevel = readonly [string, string, ...unknown[]];

export function crc32Signed(text: string): number {
  return crc32(text) | 0;
}

/** The CRC-32 (IEEE, reflected) table. */
const TABLE = (() => {
  const t = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c;
  }
  return t;
})();

const COLON = 58;

/** Whether every character fed to `update` since the checksum began was ASCII. */
let ascii = true;

/** The running CRC (pre-inverted) on over the characters of `s`. */
function update(crc: number, s: string): number {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 127) ascii = false;
    crc = TABLE[(crc ^ c) & 0xff]! ^ (crc >>> 8);
  }
  return crc;
}

function level(crc: number, l: TextLevel, first: boolean): number {
  if (!first) crc = TABLE[(crc ^ COLON) & 0xff]! ^ (crc >>> 8);
  crc = update(crc, l[0]);
  crc = TABLE[(crc ^ COLON) & 0xff]! ^ (crc >>> 8);
  return update(crc, l[1]);
}

export function okxChecksum(bids: readonly TextLevel[], asks: readonly TextLevel[]): number {
  ascii = true;
  let crc = -1;
  let first = true;
  const n = Math.min(CHECKSUM_LEVELS, Math.max(bids.length, asks.length));
  for (let i = 0; i < n; i++) {
    const b = bids[i];
    const a = asks[i];
    if (b) {
      crc = level(crc, b, first);
      first = false;
    }
    if (a) {
      crc = level(crc, a, first);
      first = false;
    }
  }
  return ascii ? (crc ^ -1) | 0 : joinedChecksum(bids, asks);
}

/** The same checksum through zlib, over the joined text's UTF-8 bytes. */
export function joinedChecksum(bids: readonly TextLevel[], asks: readonly TextLevel[]): number {
  const parts: string[] = [];
  const n = Math.min(CHECKSUM_LEVELS, Math.max(bids.length, asks.length));
  for (let i = 0; i < n; i++) {
    const b = bids[i];
    const a = asks[i];
    if (b) parts.push(b[0], b[1]);
    if (a) parts.push(a[0], a[1]);
  }
  return crc32Signed(parts.join(':'));
}
