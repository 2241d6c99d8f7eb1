/**
 * The multi-host run's independent OKX book rebuild (src/testing/multihost/okx-book-rebuild.ts)
 * against the real simulator: in OKX's current protocol (no pushed snapshot, checksum 0:
 * REST snapshot and seqId chain) and in the earlier one (pushed snapshot, CRC32 checksum),
 * two rebuilds from different snapshots hold the same book at every seqId both reached and
 * a dropped update is a break; against the real 2022 capture every pushed checksum equals
 * the rebuilt book's, and a dropped update is caught by the checksum alone (no seqId then).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { readCaptureFiles } from '../../src/capture/format.js';
import { startExchangeSim, type ExchangeSim } from '../../src/sim/sim.js';
import { compareDecimal } from '../../src/testing/multihost/book-rebuild.js';
import { okxBookChecksum, OkxBookRebuild } from '../../src/testing/multihost/okx-book-rebuild.js';
import { waitFor } from '../../src/testing/ports.js';
import { capturePaths } from '../capture/captures.js';

const DEPTH = 20;
const INSTRUMENTS = ['BTC-USDT', 'BTC-USDT-SWAP', 'ETH-USDT-SWAP'];
const OKX_CAPTURE = capturePaths('OKX.0', 'OKX.ws.1.0');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let sim: ExchangeSim | undefined;
const rebuilds: OkxBookRebuild[] = [];
afterEach(async () => {
  for (const r of rebuilds.splice(0)) r.stop();
  await sim?.stop();
  sim = undefined;
});

function rebuild(instIds = INSTRUMENTS): OkxBookRebuild {
  const r = new OkxBookRebuild(sim!.wsUrl, sim!.restUrl, instIds, DEPTH);
  rebuilds.push(r);
  return r;
}

const generated = (okxMode: '2025' | '2026') =>
  startExchangeSim({ venue: 'okx', source: { generate: { seed: 11, symbols: ['BTC-USDT', 'ETH-USDT'], ratePerSec: 20, bookLevels: 60, okxMode } } });

/** A generated OKX market and two rebuilds of it in sync, b begun 700 ms after a (from another snapshot). */
async function twoRebuilds(okxMode: '2025' | '2026'): Promise<{ a: OkxBookRebuild; b: OkxBookRebuild }> {
  sim = await generated(okxMode);
  const a = rebuild();
  const b = rebuild();
  await a.start();
  await sleep(700);
  await b.start();
  await waitFor('both in sync', () => a.synced && b.synced, 10_000, 50);
  return { a, b };
}

/** a began earlier than b: they agree at every seqId both hold, and a holds ones from before b began. */
function agree(a: OkxBookRebuild, b: OkxBookRebuild): void {
  for (const i of INSTRUMENTS) {
    const common = [...b.tops.get(i)!.keys()].filter((id) => a.tops.get(i)!.has(id));
    expect(common.length, i).toBeGreaterThan(10);
    expect(Math.min(...a.tops.get(i)!.keys())).toBeLessThan(Math.min(...common));
    for (const id of common) expect(b.tops.get(i)!.get(id), `${i}@${id}`).toBe(a.tops.get(i)!.get(id));
    const [bids, asks] = a.tops.get(i)!.get(common.at(-1)!)!.split('|');
    expect(bids!.split(',')).toHaveLength(DEPTH);
    expect(asks!.split(',')).toHaveLength(DEPTH);
    const prices = bids!.split(',').map((l) => l.split(':')[0]!);
    for (let k = 1; k < prices.length; k++) expect(compareDecimal(prices[k - 1]!, prices[k]!)).toBeGreaterThan(0);
    expect(compareDecimal(prices[0]!, asks!.split(':')[0]!)).toBeLessThan(0);
  }
}

async function dropOneUpdate(a: OkxBookRebuild, instId: string): Promise<void> {
  sim!.inject({ kind: 'drop-diff', topic: `books/${instId}` });
  await waitFor('the gap seen', () => a.breaks.length > 0, 5000, 20);
  expect(a.breaks[0]).toMatch(new RegExp(`^${instId}: prevSeqId \\d+, the last seqId \\d+$`));
  await waitFor('in sync again', () => a.synced, 10_000, 50);
}

describe('OkxBookRebuild', () => {
  it("computes OKX's checksum: signed CRC32 of the top 25 levels interleaved bid:ask, a missing level skipped", () => {
    // OKX's documented examples (v3 depth checksum; the v5 books checksum is the same).
    expect(
      okxBookChecksum(
        [
          ['3366.1', '7'],
          ['3366', '6'],
        ],
        [
          ['3366.8', '9'],
          ['3368', '8'],
        ],
      ),
    ).toBe(-1881014294);
    expect(
      okxBookChecksum(
        [['3366.1', '7']],
        [
          ['3366.8', '9'],
          ['3368', '8'],
          ['3372', '8'],
        ],
      ),
    ).toBe(831078360);
  });

  it("OKX's current protocol (no snapshot pushed, checksum 0): REST snapshot and seqId chain; two rebuilds agree; a REST snapshot's id lies inside a push; a dropped update is a break", async () => {
    const { a, b } = await twoRebuilds('2026');
    // A REST snapshot as another client (the collector) takes it: its seqId falls strictly inside a push a applies next.
    const body = (await (await fetch(`${sim!.restUrl}/api/v5/market/books?instId=BTC-USDT-SWAP&sz=400`)).json()) as { data: { seqId: number }[] };
    const restId = body.data[0]!.seqId;
    await sleep(1500);
    agree(a, b);
    expect(a.insideWindow('BTC-USDT-SWAP', restId)).toBe(true);
    expect(a.tops.get('BTC-USDT-SWAP')!.has(restId)).toBe(false);
    expect(a.checksums.verified).toBe(0);
    expect(a.checksums.zero).toBeGreaterThan(50);
    expect([...a.breaks, ...b.breaks]).toEqual([]);
    await dropOneUpdate(a, 'BTC-USDT-SWAP');
  });

  it("OKX's earlier protocol (snapshot pushed, CRC32 checksum): every checksum verified; a later snapshot's seqId is one the first rebuild holds; a dropped update is a break", async () => {
    const { a, b } = await twoRebuilds('2025');
    await sleep(1500);
    agree(a, b);
    // The simulator pushes what is pending to the others before a snapshot: it ends where their push did.
    for (const i of INSTRUMENTS) expect(a.tops.get(i)!.has(Math.min(...b.tops.get(i)!.keys())), i).toBe(true);
    expect(a.checksums.zero).toBe(0);
    expect(a.checksums.verified).toBeGreaterThan(100);
    expect([...a.breaks, ...b.breaks]).toEqual([]);
    await dropOneUpdate(a, 'ETH-USDT-SWAP');
  });

  describe('the real OKX capture (2022: snapshot pushed, checksum, no seqId)', () => {
    const INSTRUMENTS_2022 = ['BTC-USDT', 'UNI-USD-SWAP', 'BTC-USD-220527'];

    async function bookPushes(): Promise<number> {
      let n = 0;
      for await (const e of readCaptureFiles(OKX_CAPTURE)) {
        if (e.kind !== 'recv' || !e.text.startsWith('{"arg":{"channel":"books"')) continue;
        const m = JSON.parse(e.text) as { data: { checksum: number }[] };
        expect(m.data[0]!.checksum).not.toBe(0);
        n += m.data.length;
      }
      return n;
    }

    it("every pushed checksum equals the rebuilt book's", async () => {
      const pushes = await bookPushes();
      expect(pushes).toBeGreaterThan(200);
      sim = await startExchangeSim({ venue: 'okx', source: { capture: OKX_CAPTURE, speed: 0 } });
      const r = rebuild(INSTRUMENTS_2022);
      await r.start();
      await sim.replayDone();
      await waitFor('every book push checked', () => r.checksums.verified + r.breaks.length >= pushes, 20_000, 50);
      expect(r.breaks).toEqual([]);
      expect(r.checksums).toEqual({ verified: pushes, zero: 0 });
      expect(r.synced).toBe(true);
    });

    it('a dropped update is caught by the checksum', async () => {
      sim = await startExchangeSim({ venue: 'okx', source: { capture: OKX_CAPTURE, speed: 0 } });
      sim.inject({ kind: 'drop-diff', topic: 'books/BTC-USDT' });
      const r = rebuild(INSTRUMENTS_2022);
      await r.start();
      await waitFor('the mismatch seen', () => r.breaks.length > 0, 20_000, 20);
      expect(r.breaks[0]).toMatch(/^BTC-USDT: checksum -?\d+ from OKX, -?\d+ of the rebuilt book$/);
    });
  });
});
