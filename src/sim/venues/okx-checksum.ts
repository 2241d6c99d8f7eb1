/**
 * OKX order-book checksum: CRC32 of the top 25 levels interleaved
 * `bidPx:bidSz:askPx:askSz:...` (a missing side skipped), as a signed 32-bit integer.
 * The strings are the ones on the wire, so the book must be kept as text.
 */
const TABLE = (() => {
  const t = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c;
  }
  return t;
})();

export function crc32Signed(text: string): number {
  let crc = -1;
  const bytes = Buffer.from(text, 'utf8');
  for (const b of bytes) crc = TABLE[(crc ^ b) & 0xff]! ^ (crc >>> 8);
  return (crc ^ -1) | 0;
}

export type TextLevel = readonly [string, string, ...unknown[]];

export function okxChecksum(bids: readonly TextLevel[], asks: readonly TextLevel[]): number {
  const parts: string[] = [];
  for (let i = 0; i < 25; i++) {
    const b = bids[i];
    const a = asks[i];
    if (b) parts.push(b[0], b[1]);
    if (a) parts.push(a[0], a[1]);
  }
  return crc32Signed(parts.join(':'));
}
