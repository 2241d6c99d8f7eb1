/**
 * The multi-host check's comparison of stored book records with the driver's rebuilds
 * (src/testing/multihost/book-compare.ts), fed by a real OKX rebuild of the simulator: rows
 * written as storage holds them (swaps: base quantities beside the venue's contracts) are
 * equal; one at a REST snapshot's id is not comparable; one at an id never reached, one with
 * a level changed and one whose base quantity is not contracts × ctVal are each reported.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { multiplyDecimal } from '../../src/core/decimal-math.js';
import { startExchangeSim, type ExchangeSim } from '../../src/sim/sim.js';
import { compareStoredBooks, type RebuiltMarket, type StoredBookRow } from '../../src/testing/multihost/book-compare.js';
import { OkxBookRebuild } from '../../src/testing/multihost/okx-book-rebuild.js';
import { waitFor } from '../../src/testing/ports.js';

describe('compareStoredBooks', () => {
  let sim: ExchangeSim;
  let r: OkxBookRebuild;
  beforeAll(async () => {
    sim = await startExchangeSim({ venue: 'okx', source: { generate: { seed: 3, symbols: ['BTC-USDT'], ratePerSec: 20, bookLevels: 40 } } });
    r = new OkxBookRebuild(sim.wsUrl, sim.restUrl, ['BTC-USDT', 'BTC-USDT-SWAP'], 20);
    await r.loadContractSizes();
    await r.start();
    await waitFor('in sync', () => r.synced, 10_000, 50);
  });
  afterAll(async () => {
    r?.stop();
    await sim?.stop();
  });

  it('tallies equal, not comparable, never reached and differing records per market', async () => {
    const body = (await (await fetch(`${sim.restUrl}/api/v5/market/books?instId=BTC-USDT-SWAP&sz=400`)).json()) as { data: { seqId: number }[] };
    const restId = body.data[0]!.seqId;
    await waitFor('a push past the REST snapshot', () => r.insideWindow('BTC-USDT-SWAP', restId), 5000, 20);
    await waitFor('a few books of each', () => r.tops.get('BTC-USDT')!.size > 5 && r.tops.get('BTC-USDT-SWAP')!.size > 5, 5000, 20);
    expect(r.contractSizes.get('BTC-USDT-SWAP')).toBe('0.01');
    const size = r.contractSizes.get('BTC-USDT-SWAP')!;
    const spot: RebuiltMarket = { exchange: 'okx', marketType: 'spot', instrument: (s) => s, rebuild: r };
    const swap: RebuiltMarket = { ...spot, marketType: 'perpetual', instrument: (s) => `${s}-SWAP`, contractSize: (i) => r.contractSizes.get(i) };
    const spotRow = (id: number, top: string): StoredBookRow => {
      const [b, a] = top.split('|');
      return { e: 'okx', m: 'spot', s: 'BTC-USDT', id: String(id), b: b!, a: a!, br: '', ar: '' };
    };
    // As storage holds a swap's book: base quantities, the venue's contracts beside them (ClickHouse prints 18 places).
    const swapRow = (id: number, top: string, scale = size): StoredBookRow => {
      const [b, a] = top.split('|').map((side) => side.split(',').map((l) => l.split(':') as [string, string]));
      const base = (side: [string, string][]) => side.map(([p, q]) => `${p}:${multiplyDecimal(q, scale)}`).join(',');
      const raw = (side: [string, string][]) => side.map(([, q]) => `${q}.000000000000000000`).join(',');
      return { e: 'okx', m: 'perpetual', s: 'BTC-USDT', id: String(id), b: base(b!), a: base(a!), br: raw(b!), ar: raw(a!) };
    };
    const spotTops = [...r.tops.get('BTC-USDT')!].slice(-5);
    const swapTops = [...r.tops.get('BTC-USDT-SWAP')!].slice(-5);
    expect(spotTops.length).toBe(5);
    const [changedId, changedTop] = spotTops[0]!;
    const rows: StoredBookRow[] = [
      ...spotTops.slice(1).map(([id, t]) => spotRow(id, t)),
      ...swapTops.slice(1).map(([id, t]) => swapRow(id, t)),
      // Another client's REST snapshot: a state inside a push.
      swapRow(restId, swapTops[0]![1]),
      // An id the venue never reached.
      spotRow(spotTops.at(-1)![0] + 1_000_000, spotTops.at(-1)![1]),
      // The best bid's quantity one lot off.
      spotRow(
        changedId,
        changedTop.replace(/^([^:]+):([^,]+)/, (_m, p: string, q: string) => `${p}:${q}1`),
      ),
      // Contracts right, base quantities at the wrong contract size.
      swapRow(swapTops[0]![0], swapTops[0]![1], '0.1'),
      // Another market: not compared.
      { ...spotRow(changedId, changedTop), e: 'binance' },
    ];
    const tally = compareStoredBooks(rows, [spot, swap]);
    const s = tally.get(spot)!;
    const w = tally.get(swap)!;
    expect({ stored: s.stored, equal: s.equal, inWindow: s.inWindow, missing: s.missing.length, differ: s.differ.length }).toEqual({
      stored: 6,
      equal: 4,
      inWindow: 0,
      missing: 1,
      differ: 1,
    });
    expect(s.missing[0]).toBe(`BTC-USDT@${spotTops.at(-1)![0] + 1_000_000}`);
    expect(s.differ[0]).toMatch(new RegExp(`^BTC-USDT@${changedId}: stored .*, rebuilt `));
    expect({ stored: w.stored, equal: w.equal, inWindow: w.inWindow, missing: w.missing.length, differ: w.differ.length }).toEqual({
      stored: 6,
      equal: 4,
      inWindow: 1,
      missing: 0,
      differ: 1,
    });
    expect(w.differ[0]).toMatch(/^BTC-USDT@\d+: level 1: quantity [\d.]+, but [\d.]+ contracts × 0\.01 is [\d.]+$/);
    expect([...s.symbols, ...w.symbols]).toEqual(['BTC-USDT', 'BTC-USDT']);
    expect(r.breaks).toEqual([]);
  });
});
