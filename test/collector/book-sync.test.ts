/**
 * Book sync edges shared by the venues (src/collector/mappers/base.ts, book/*):
 * USDⓈ-M first diff with u == lastUpdateId, repeated and lagging diffs in the buffer
 * and after sync, depth limited to the range a snapshot makes known (with refresh),
 * and OKX pre-open books that are crossed by design. Sequences are built from the real
 * protocol samples where one exists; every book is compared with a longhand rebuild.
 */
import { describe, expect, it } from 'vitest';
import { protocolOf, type VenueKind } from '../../src/collector/venues/registry.js';
import type { OrderbookRecord } from '../../src/core/model.js';
import { edited, sample, TestContext } from './context.js';

const spot = (f: string) => sample('binance-spot', f);
const usdm = (f: string) => sample('binance-usdm', f);
const USDM_SNAPSHOT = 'rest-fapi-v1-depth.live-2024-08-08.BTCUSDT.limit1000.json';
const usdmSeq = (n: number) => usdm(`ws-depthUpdate.live-2024-08-08.BTCUSDT.seq${n}.json`);
const spotSeq = (n: number) => spot(`ws-depthUpdate.live-2025-12-07.BTCUSDT.${n}.json`);
/** Exchange time of the synthetic diffs (a real one: an impossible time is a bad_time problem). */
const T0 = 1_700_000_000_000;

function adapter(kind: VenueKind, depth = 400, snapshotLimit = 1000) {
  const ctx = new TestContext();
  const restUrl = protocolOf(kind).defaultRestUrl;
  return { ctx, adapter: protocolOf(kind).createAdapter(ctx, { depth, restUrl, snapshotLimit, tickerIntervalMs: 1000 }) };
}

// ---- a longhand book: plain Map, sorted on read, sharing no code with the collector ----

type Lv = [string, string];
class Longhand {
  bids = new Map<number, Lv>();
  asks = new Map<number, Lv>();
  constructor(snapshot: { bids: Lv[]; asks: Lv[] }) {
    this.apply(snapshot.bids, snapshot.asks);
  }
  apply(bids: Lv[], asks: Lv[]): this {
    for (const [p, q] of bids) {
      if (Number(q) === 0) this.bids.delete(Number(p));
      else this.bids.set(Number(p), [p, q]);
    }
    for (const [p, q] of asks) {
      if (Number(q) === 0) this.asks.delete(Number(p));
      else this.asks.set(Number(p), [p, q]);
    }
    return this;
  }
  frame(text: string): this {
    const m = JSON.parse(text);
    const d = m.data ?? m;
    return this.apply(d.b, d.a);
  }
  top(n: number): { bids: Lv[]; asks: Lv[] } {
    const side = (m: Map<number, Lv>, desc: boolean) =>
      [...m.entries()]
        .sort((a, b) => (desc ? b[0] - a[0] : a[0] - b[0]))
        .slice(0, n)
        .map((e) => e[1]);
    return { bids: side(this.bids, true), asks: side(this.asks, false) };
  }
}

function levelsOf(b: OrderbookRecord) {
  return { bids: b.bids.map(([p, q]) => [p, q]), asks: b.asks.map(([p, q]) => [p, q]) };
}

function nonDecreasing(books: OrderbookRecord[]): boolean {
  return books.every((b, i) => i === 0 || BigInt(b.last_update_id) >= BigInt(books[i - 1]!.last_update_id));
}

describe('binance USDⓈ-M: the first diff has u == lastUpdateId (2024-08-08 sequence)', () => {
  const seq1u = 5123107853551;
  const seq2u = 5123107856210;

  it('buffered before the snapshot: applied as the bridging diff, then the pu chain', () => {
    const { ctx, adapter: a } = adapter('binance-usdm');
    a.onMessage('c1', usdmSeq(1));
    const snap = edited('binance-usdm', USDM_SNAPSHOT, (m) => (m.lastUpdateId = seq1u));
    a.onSnapshot('BTCUSDT', snap);
    a.onMessage('c1', usdmSeq(2));
    a.onMessage('c1', usdmSeq(3));
    expect(ctx.problems).toEqual([]);
    const books = ctx.books();
    expect(books.map((b) => b.last_update_id)).toEqual([String(seq1u), String(seq2u), '5123107858366']);
    const want = new Longhand(JSON.parse(snap)).frame(usdmSeq(1)).frame(usdmSeq(2)).frame(usdmSeq(3));
    expect(levelsOf(books[2]!)).toEqual(want.top(400));
  });

  it('arriving after the snapshot (bridging): applied, and the next diff chains (no false gap)', () => {
    const { ctx, adapter: a } = adapter('binance-usdm');
    a.onMessage('c1', usdmSeq(1)); // u < lastUpdateId: contained in the snapshot
    const snap = edited('binance-usdm', USDM_SNAPSHOT, (m) => (m.lastUpdateId = seq2u));
    a.onSnapshot('BTCUSDT', snap);
    expect(ctx.books().map((b) => b.last_update_id)).toEqual([String(seq2u)]);
    a.onMessage('c1', usdmSeq(2)); // U <= lastUpdateId == u
    a.onMessage('c1', usdmSeq(3)); // pu == seq2's u
    expect(ctx.problems).toEqual([]);
    expect(ctx.resyncs).toEqual([]);
    expect(ctx.snapshots).toHaveLength(1);
    const books = ctx.books();
    expect(books.map((b) => b.last_update_id)).toEqual([String(seq2u), String(seq2u), '5123107858366']);
    const want = new Longhand(JSON.parse(snap)).frame(usdmSeq(2)).frame(usdmSeq(3));
    expect(levelsOf(books[2]!)).toEqual(want.top(400));
  });

  it('still drops a diff that ends before lastUpdateId while bridging', () => {
    const { ctx, adapter: a } = adapter('binance-usdm');
    a.onMessage('c1', usdmSeq(1));
    a.onSnapshot(
      'BTCUSDT',
      edited('binance-usdm', USDM_SNAPSHOT, (m) => (m.lastUpdateId = seq2u)),
    );
    a.onMessage('c2', usdmSeq(1)); // a lagging connection: u < lastUpdateId, ignored
    a.onMessage('c1', usdmSeq(2));
    expect(ctx.problems).toEqual([]);
    expect(ctx.books().map((b) => b.last_update_id)).toEqual([String(seq2u), String(seq2u)]);
  });
});

describe('repeated and lagging diffs never move a book back', () => {
  // .2 edited so that re-applying .1 after it would visibly restore an old quantity.
  const two = edited('binance-spot', 'ws-depthUpdate.live-2025-12-07.BTCUSDT.2.json', (m) => m.data.b.push(['89218.34000000', '0.50000000']));
  const spotSnap = { lastUpdateId: 82626886846, bids: [['89200.00', '1.0']] as Lv[], asks: [['89300.00', '1.0']] as Lv[] };

  it('spot: a lagging diff inside the buffer, after the bridging one, is ignored', () => {
    const { ctx, adapter: a } = adapter('binance-spot');
    a.onMessage('c1', spotSeq(1));
    a.onMessage('c1', two);
    a.onMessage('c2', spotSeq(1)); // the rotation successor delivers .1 again, after .2
    a.onSnapshot('BTCUSDT', JSON.stringify(spotSnap));
    a.onMessage('c2', spotSeq(3));
    expect(ctx.problems).toEqual([]);
    const books = ctx.books();
    expect(books.map((b) => b.last_update_id)).toEqual(['82626886854', '82626886860']);
    const want = new Longhand(spotSnap).frame(spotSeq(1)).frame(two);
    expect(levelsOf(books[0]!)).toEqual(want.top(400));
    expect(books[0]!.bids[0]).toEqual(['89218.34000000', '0.50000000']);
    expect(levelsOf(books[1]!)).toEqual(want.frame(spotSeq(3)).top(400));
  });

  it('spot: repeats and lags after sync are ignored, last_update_id never decreases', () => {
    const { ctx, adapter: a } = adapter('binance-spot');
    a.onMessage('c1', spotSeq(1));
    a.onSnapshot('BTCUSDT', JSON.stringify(spotSnap));
    a.onMessage('c1', two);
    a.onMessage('c2', spotSeq(1)); // lagging: older than the book
    a.onMessage('c2', two); // repeat
    a.onMessage('c1', spotSeq(3));
    a.onMessage('c2', two); // lagging by two
    a.onMessage('c2', spotSeq(3)); // repeat
    expect(ctx.problems).toEqual([]);
    const books = ctx.books();
    expect(nonDecreasing(books)).toBe(true);
    expect(books.map((b) => b.last_update_id)).toEqual(['82626886850', '82626886854', '82626886860']);
    expect(levelsOf(books[2]!)).toEqual(new Longhand(spotSnap).frame(spotSeq(1)).frame(two).frame(spotSeq(3)).top(400));
  });

  it('USDⓈ-M: a repeated diff inside the buffer is not a false pu gap; repeats after sync are ignored', () => {
    const { ctx, adapter: a } = adapter('binance-usdm');
    a.onMessage('c1', usdmSeq(1));
    a.onMessage('c1', usdmSeq(2));
    a.onMessage('c2', usdmSeq(1)); // lagging inside the buffer
    a.onMessage('c2', usdmSeq(2)); // repeated inside the buffer
    a.onSnapshot('BTCUSDT', usdm(USDM_SNAPSHOT)); // lastUpdateId inside seq1
    a.onMessage('c2', usdmSeq(1));
    a.onMessage('c1', usdmSeq(3));
    a.onMessage('c2', usdmSeq(2));
    a.onMessage('c2', usdmSeq(3));
    expect(ctx.problems).toEqual([]);
    expect(ctx.snapshots).toHaveLength(1);
    const books = ctx.books();
    expect(nonDecreasing(books)).toBe(true);
    expect(books.map((b) => b.last_update_id)).toEqual(['5123107856210', '5123107858366']);
    const want = new Longhand(JSON.parse(usdm(USDM_SNAPSHOT))).frame(usdmSeq(1)).frame(usdmSeq(2));
    expect(levelsOf(books[0]!)).toEqual(want.top(400));
    expect(levelsOf(books[1]!)).toEqual(want.frame(usdmSeq(3)).top(400));
  });
});

describe('depth: only the range a depth-limited snapshot makes known is published', () => {
  /**
   * A little venue: its true book (a seeded random walk that drifts the price down),
   * Binance spot diffs with contiguous ids, and snapshots of at most `limit` levels a
   * side answered some diffs after they were asked for, as a real REST call is.
   */
  function walk(seed: number, steps: number, depth: number, limit: number) {
    let s = seed;
    const rnd = () => (s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const venue = new Longhand({ bids: [], asks: [] });
    let mid = 10_000; // in ticks of 0.01
    const px = (t: number) => (t / 100).toFixed(2);
    for (let i = 1; i <= 60; i++) venue.apply([[px(mid - i), '1']], [[px(mid + i), '1']]);
    const { ctx, adapter: a } = adapter('binance-spot', depth, limit);
    let id = 1000;
    let answered = 0;
    const published: { record: OrderbookRecord; truth: ReturnType<Longhand['top']> }[] = [];
    for (let step = 0; step < steps; step++) {
      // The price walks down: the best bids are taken, asks follow; a few far levels change too.
      const b: Lv[] = [];
      const as: Lv[] = [];
      if (rnd() < 0.6) {
        b.push([px(mid - 1), '0']);
        as.push([px(mid + 30), '0'], [px(mid - 1), String(1 + Math.floor(rnd() * 5))]);
        mid -= 1;
      }
      b.push([px(mid - 1 - Math.floor(rnd() * 80)), String(Math.floor(rnd() * 3))]);
      as.push([px(mid + 1 + Math.floor(rnd() * 80)), String(Math.floor(rnd() * 3))]);
      venue.apply(b, as);
      const U = id + 1;
      id += 1 + Math.floor(rnd() * 3);
      a.onMessage('c1', JSON.stringify({ stream: 'btcusdt@depth@100ms', data: { e: 'depthUpdate', E: T0 + step, s: 'BTCUSDT', U, u: id, b, a: as } }));
      if (ctx.snapshots.length > answered && rnd() < 0.3) {
        answered = ctx.snapshots.length;
        const top = venue.top(limit);
        a.onSnapshot('BTCUSDT', JSON.stringify({ lastUpdateId: id, bids: top.bids, asks: top.asks }));
      }
      ctx.time += 1000;
      for (const r of ctx.books().slice(published.length)) published.push({ record: r, truth: venue.top(limit * 10) });
    }
    return { ctx, published };
  }

  it('every published level is the venue book (a prefix of it, never a level from past the boundary); thin books are re-snapshot', () => {
    const depth = 10;
    const limit = 20;
    const { ctx, published } = walk(7, 600, depth, limit);
    expect(ctx.problems).toEqual([]);
    expect(published.length).toBeGreaterThan(300);
    let short = 0;
    for (const { record, truth } of published) {
      const n = { bids: record.bids.length, asks: record.asks.length };
      expect(levelsOf(record)).toEqual({ bids: truth.bids.slice(0, n.bids), asks: truth.asks.slice(0, n.asks) });
      expect(n.bids).toBeGreaterThan(0);
      if (n.bids < depth || n.asks < depth) short++;
    }
    // The walk eats 20 snapshot levels in well under 600 steps: books were refreshed, not left thin.
    expect(ctx.snapshots.length).toBeGreaterThan(3);
    expect(ctx.snapshots.every((r) => r.url.endsWith('limit=20'))).toBe(true);
    expect(short).toBeLessThan(published.length / 4);
    expect(ctx.resyncs).toEqual([]);
  });

  it('without a boundary (the snapshot held fewer levels than asked) the whole side is published and nothing is refreshed', () => {
    const { ctx, adapter: a } = adapter('binance-spot', 5, 1000);
    a.onMessage('c1', spotSeq(1));
    a.onSnapshot('BTCUSDT', JSON.stringify({ lastUpdateId: 82626886846, bids: [['89200.00', '1.0']], asks: [['89300.00', '1.0']] }));
    a.onMessage('c1', spotSeq(2));
    expect(
      ctx
        .books()
        .at(-1)!
        .bids.map((l) => l[0]),
    ).toEqual(['89218.34000000', '89200.00', '80325.00000000', '71401.00000000', '71400.63000000']);
    expect(ctx.snapshots).toHaveLength(1);
  });

  it('a level a diff adds past the boundary is kept but not published until a snapshot covers it', () => {
    const { ctx, adapter: a } = adapter('binance-spot', 3, 3);
    const diff = (U: number, u: number, b: Lv[]) => JSON.stringify({ stream: 's', data: { e: 'depthUpdate', E: T0 + u, s: 'BTCUSDT', U, u, b, a: [] } });
    a.onMessage('c1', diff(1, 1, []));
    a.onSnapshot(
      'BTCUSDT',
      JSON.stringify({
        lastUpdateId: 1,
        bids: [
          ['100', '1'],
          ['99', '1'],
          ['98', '1'],
        ],
        asks: [
          ['101', '1'],
          ['102', '1'],
          ['103', '1'],
        ],
      }),
    );
    a.onMessage('c1', diff(2, 2, [['97', '5']])); // past the bid boundary 98
    expect(
      ctx
        .books()
        .at(-1)!
        .bids.map((l) => l[0]),
    ).toEqual(['100', '99', '98']);
    a.onMessage('c1', diff(3, 3, [['100', '0']])); // 2 known bids < 3: thin
    expect(
      ctx
        .books()
        .at(-1)!
        .bids.map((l) => l[0]),
    ).toEqual(['99', '98']); // not 97: an unknown level may sit at 97.5
    expect(ctx.snapshots).toHaveLength(2);
    a.onMessage('c1', diff(4, 4, [['99', '2']])); // applied and buffered while the refresh is on its way
    expect(ctx.books().at(-1)!.bids).toEqual([
      ['99', '2'],
      ['98', '1'],
    ]);
    a.onSnapshot(
      'BTCUSDT',
      JSON.stringify({
        lastUpdateId: 3,
        bids: [
          ['99', '1'],
          ['98', '1'],
          ['97.5', '4'],
        ],
        asks: [
          ['101', '1'],
          ['102', '1'],
          ['103', '1'],
        ],
      }),
    );
    expect(ctx.books().at(-1)!.bids).toEqual([
      ['99', '2'],
      ['98', '1'],
      ['97.5', '4'],
    ]);
    expect(ctx.books().at(-1)!.last_update_id).toBe('4');
    expect(ctx.problems).toEqual([]);
  });

  it('a refresh answered by a snapshot older than the book asks again instead of going back', () => {
    const { ctx, adapter: a } = adapter('binance-spot', 2, 2);
    const diff = (U: number, u: number, b: Lv[]) => JSON.stringify({ stream: 's', data: { e: 'depthUpdate', E: T0 + u, s: 'BTCUSDT', U, u, b, a: [] } });
    a.onMessage('c1', diff(1, 1, []));
    a.onSnapshot(
      'BTCUSDT',
      JSON.stringify({
        lastUpdateId: 1,
        bids: [
          ['100', '1'],
          ['99', '1'],
        ],
        asks: [
          ['101', '1'],
          ['102', '1'],
        ],
      }),
    );
    a.onMessage('c1', diff(2, 2, [['100', '0']])); // thin: refresh asked
    expect(ctx.snapshots).toHaveLength(2);
    a.onSnapshot(
      'BTCUSDT',
      JSON.stringify({
        lastUpdateId: 1,
        bids: [
          ['100', '1'],
          ['99', '1'],
        ],
        asks: [
          ['101', '1'],
          ['102', '1'],
        ],
      }),
    ); // a cached, older answer
    expect(ctx.snapshots).toHaveLength(3);
    expect(ctx.books().at(-1)!.last_update_id).toBe('2');
    a.onMessage('c1', diff(3, 3, [['99', '3']]));
    expect(ctx.books().map((b) => b.last_update_id)).toEqual(['1', '2', '3']);
    expect(ctx.problems).toEqual([]);
  });
});

describe('okx: the known range', () => {
  const update = (prevSeqId: number, seqId: number, bids: string[][]) =>
    edited('okx', 'ws-books-update.docs.json', (m) => Object.assign(m.data[0], { checksum: 0, prevSeqId, seqId, bids, asks: [['41007', '2', '0', '1']] }));

  it('a REST snapshot of fewer levels than the channel keeps is bounded; a pushed snapshot is not', () => {
    const { ctx, adapter: a } = adapter('okx', 2, 1);
    a.onMessage('c1', update(100, 110, []));
    expect(ctx.snapshots[0]!.url).toContain('sz=1');
    // the docs body holds one level a side (= sz): both sides bounded at it
    a.onSnapshot(
      'BTC-USDT',
      edited('okx', 'rest-api-v5-market-books.docs.json', (m) => Object.assign(m.data[0], { seqId: 110 })),
    );
    a.onMessage('c1', update(110, 111, [['41000', '7', '0', '1']])); // bid 41000 and ask 41007: past the boundaries
    const last = ctx.books().at(-1)!;
    expect(last.last_update_id).toBe('111');
    expect(last.bids).toEqual([['41006.3', '0.30178218']]);
    expect(last.asks).toEqual([['41006.8', '0.60038921']]);
    a.onMessage('c1', update(111, 112, [['41006.3', '0', '0', '0']])); // the only known bid goes: thin, refreshed
    expect(ctx.books().at(-1)!.bids).toEqual([]);
    expect(ctx.snapshots).toHaveLength(2);
    expect(ctx.problems).toEqual([]);
    // a pushed snapshot is the channel's own full view: all of it is published
    const pushed = adapter('okx', 400, 1);
    pushed.adapter.onMessage(
      'c1',
      edited('okx', 'ws-books-snapshot.docs.json', (m) => (m.data[0].checksum = 0)),
    );
    expect(pushed.ctx.books()[0]!.bids).toHaveLength(8);
  });
});

describe('okx: a crossed book in the pre-open call auction', () => {
  const snapshot = edited('okx', 'ws-books-snapshot.docs.json', (m) => (m.data[0].checksum = 0));
  // bid 8477.5 above the best ask 8476.98: crossed, as OKX documents for pre-open.
  const crossing = edited('okx', 'ws-books-update.docs.json', (m) => Object.assign(m.data[0], { checksum: 0, bids: [['8477.5', '3', '0', '1']], asks: [] }));

  it('is published as is when the seqId chain is intact, counted as crossed_auction, not resynced', () => {
    const { ctx, adapter: a } = adapter('okx');
    a.onMessage('c1', snapshot);
    a.onMessage('c1', crossing);
    expect(ctx.problems.map((p) => p.kind)).toEqual(['crossed_auction']);
    expect(ctx.resyncs).toEqual([]);
    expect(ctx.sent).toEqual([]);
    const books = ctx.books();
    expect(books.map((b) => b.last_update_id)).toEqual(['123456', '123457']);
    expect(books[1]!.bids[0]![0]).toBe('8477.5');
    expect(books[1]!.asks[0]![0]).toBe('8476.98');
    // and the chain goes on
    a.onMessage(
      'c1',
      edited('okx', 'ws-books-update.docs.json', (m) =>
        Object.assign(m.data[0], { checksum: 0, prevSeqId: 123457, seqId: 123458, bids: [['8477.5', '0', '0', '0']], asks: [] }),
      ),
    );
    expect(ctx.books().map((b) => b.last_update_id)).toEqual(['123456', '123457', '123458']);
  });

  it('a crossed book whose chain is broken is a gap as before', () => {
    const { ctx, adapter: a } = adapter('okx');
    a.onMessage('c1', snapshot);
    a.onMessage(
      'c1',
      edited('okx', 'ws-books-update.docs.json', (m) => Object.assign(m.data[0], { checksum: 0, prevSeqId: 1, bids: [['8477.5', '3', '0', '1']], asks: [] })),
    );
    expect(ctx.problems.map((p) => p.kind)).toEqual(['gap']);
    expect(ctx.books()).toHaveLength(1);
  });

  it('without seqId or checksum (nothing checks the book) a crossing still drops it', () => {
    const { ctx, adapter: a } = adapter('okx');
    const strip = (m: any) => {
      delete m.data[0].seqId;
      delete m.data[0].prevSeqId;
      m.data[0].checksum = 0;
    };
    a.onMessage('c1', edited('okx', 'ws-books-snapshot.docs.json', strip));
    a.onMessage(
      'c1',
      edited(
        'okx',
        'ws-books-update.docs.json',
        (m) => (strip(m), (m.action = 'update'), (m.data[0].bids = [['8477.5', '3', '0', '1']]), (m.data[0].asks = [])),
      ),
    );
    expect(ctx.problems.map((p) => p.kind)).toEqual(['crossed']);
    expect(ctx.books()).toHaveLength(1);
  });
});
