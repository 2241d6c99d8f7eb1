/**
 * OKX order-book checksum: CRC32 (signed 32-bit, as OKX publishes it) of the top 25
 * levels interleaved `bidPx:bidSz:askPx:askSz:...`, a missing side skipped. It is
 * computed on the venue's own text, so books must keep prices and sizes as strings.
 * Used by the collector to verify books and by the simulator to sign them.
 */
import { crc32 } from 'node:zlib';

export const CHECKSUM_LEVELS = 25;

export type TextLevel = readonly [string, string, ...unknown[]];

export function crc32Signed(text: string): number {
  return crc32(text) | 0;
}

export function okxChecksum(bids: readonly TextLevel[], asks: readonly TextLevel[]): number {
  // One string built by concatenation (a checksum runs after every book update).
  let text = '';
  const n = Math.min(CHECKSUM_LEVELS, Math.max(bids.length, asks.length));
  for (let i = 0; i < n; i++) {
    const b = bids[i];
    const a = asks[i];
    if (b) text += text === '' ? `${b[0]}:${b[1]}` : `:${b[0]}:${b[1]}`;
    if (a) text += text === '' ? `${a[0]}:${a[1]}` : `:${a[0]}:${a[1]}`;
  }
  return crc32Signed(text);
}
