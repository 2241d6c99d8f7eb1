import { describe, expect, it } from 'vitest';
import type { ExchangeSim } from '../../src/sim/sim.js';
import type { SimVenue } from '../../src/sim/types.js';
import { okxChecksum } from '../../src/collector/venues/okx/checksum.js';
import { TextBook } from './books.js';
import type { TestClient } from './client.js';
import { simHarness } from './harness.js';

const harness = simHarness();
const client = harness.client;
const start = (venue: SimVenue, extra: Record<string, unknown> = {}): Promise<ExchangeSim> =>
  harness.start({ venue, source: { generate: { seed: 42, ratePerSec: 50, periodicMs: 200, ...extra } } });
const getJson = async <T>(url: string): Promise<T> => {
  const res = await fetch(url);
  expect(res.status).toBe(200);
  return (await res.json()) as T;
};

/** One book push reduced to its sequence ids. */
interface Link {
  first?: number;
  prev?: number;
  last: number;
}
interface ChainCase {
  venue: SimVenue;
  path: string;
  subscribe?: object;
  extra?: Record<string, unknown>;
  /** The push's ids, or undefined when the message is not a book push. */
  link(msg: any): Link | undefined;
  follows(prev: Link, next: Link): boolean;
}

const CASES: ChainCase[] = [
  {
    venue: 'binance-spot',
    path: '/stream?streams=btcusdt@depth@100ms',
    link: (m) => (m.data?.e === 'depthUpdate' ? { first: m.data.U, last: m.data.u } : undefined),
    follows: (p, n) => n.first === p.last + 1,
  },
  {
    venue: 'binance-usdm',
    path: '/public/stream?streams=btcusdt@depth@100ms',
    link: (m) => (m.data?.e === 'depthUpdate' ? { first: m.data.U, prev: m.data.pu, last: m.data.u } : undefined),
    follows: (p, n) => n.prev === p.last,
  },
  {
    venue: 'okx',
    path: '',
    subscribe: { op: 'subscribe', args: [{ channel: 'books', instId: 'BTC-USDT-SWAP' }] },
    link: (m) => (m.arg?.channel === 'books' && m.data ? { prev: m.data[0].prevSeqId, last: m.data[0].seqId } : undefined),
    follows: (p, n) => n.prev === p.last,
  },
  {
    venue: 'deribit',
    path: '',
    subscribe: { jsonrpc: '2.0', id: 1, method: 'public/subscribe', params: { channels: ['book.BTC-PERPETUAL.100ms'] } },
    link: (m) => (m.params?.channel?.startsWith('book.') ? { prev: m.params.data.prev_change_id, last: m.params.data.change_id } : undefined),
    follows: (p, n) => n.prev === p.last,
  },
];

function links(c: TestClient, cs: ChainCase): Link[] {
  return c.json().flatMap((m) => {
    const l = cs.link(m);
    return l ? [l] : [];
  });
}
/** A pushed snapshot (OKX prevSeqId -1, Deribit without prev_change_id) starts a chain rather than continuing one. */
const startsChain = (l: Link): boolean => l.prev === -1 || (l.prev === undefined && l.first === undefined);

/** Places where a push does not follow the one before it. */
function breaks(list: Link[], cs: ChainCase): number {
  let n = 0;
  for (let i = 1; i < list.length; i++) if (!startsChain(list[i]!) && !cs.follows(list[i - 1]!, list[i]!)) n++;
  return n;
}

describe.each(CASES)('generated $venue book sequence', (cs) => {
  it('is unbroken, and has exactly one break after a drop-diff', async () => {
    const sim = await start(cs.venue, cs.extra);
    const c = await client(sim.wsUrl + cs.path);
    if (cs.subscribe) c.send(cs.subscribe);
    await c.until('40 pushes', () => links(c, cs).length >= 40);
    expect(breaks(links(c, cs), cs)).toBe(0);
    const ids = links(c, cs).map((l) => l.last);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));

    sim.inject({ kind: 'drop-diff' });
    const seen = links(c, cs).length;
    await c.until('40 more pushes', () => links(c, cs).length >= seen + 40);
    expect(breaks(links(c, cs), cs)).toBe(1);
    expect(sim.stats.framesDropped).toBe(1);
  });
});

describe('generated Binance spot', () => {
  it('syncs by the documented rule: REST lastUpdateId L, first kept diff has U <= L+1 <= u', async () => {
    const sim = await start('binance-spot');
    const c = await client(`${sim.wsUrl}/stream?streams=btcusdt@depth@100ms/btcusdt@trade/btcusdt@aggTrade`);
    await c.until('a diff', (m) => m.some((x) => x.includes('depthUpdate')));
    const res = await fetch(`${sim.restUrl}/api/v3/depth?symbol=BTCUSDT&limit=1000`);
    expect(Number(res.headers.get('x-mbx-used-weight-1m'))).toBeGreaterThanOrEqual(50);
    const snap = (await res.json()) as { lastUpdateId: number; bids: string[][]; asks: string[][] };
    expect(snap.bids[0]![0]).toMatch(/^\d+\.\d{8}$/);
    await c.until('diffs past the snapshot', (m) => m.some((x) => x.includes('depthUpdate') && (JSON.parse(x) as any).data.u > snap.lastUpdateId + 20));
    const diffs = c
      .json<any>()
      .filter((m) => m.data.e === 'depthUpdate')
      .map((m) => m.data);
    const kept = diffs.filter((d) => d.u > snap.lastUpdateId);
    expect(kept[0].U).toBeLessThanOrEqual(snap.lastUpdateId + 1);
    expect(kept[0].u).toBeGreaterThanOrEqual(snap.lastUpdateId + 1);
    const book = new TextBook();
    book.apply('bids', snap.bids);
    book.apply('asks', snap.asks);
    for (const d of kept) {
      book.apply('bids', d.b);
      book.apply('asks', d.a);
      expect(book.crossed()).toBe(false);
    }
    const trades = c
      .json<any>()
      .filter((m) => m.stream === 'btcusdt@trade')
      .map((m) => m.data);
    expect(trades.length).toBeGreaterThan(5);
    expect(new Set(trades.map((t) => t.t)).size).toBe(trades.length);
    expect(trades[0]).toMatchObject({ e: 'trade', s: 'BTCUSDT', M: true });
    expect(typeof trades[0].p).toBe('string');
  });

  it('is deterministic: the same seed gives the same first snapshot', async () => {
    const bodies: string[] = [];
    for (const seed of [7, 7, 8]) {
      const sim = await harness.start({ venue: 'binance-spot', source: { generate: { seed, ratePerSec: 1 } } });
      bodies.push(await (await fetch(`${sim.restUrl}/api/v3/depth?symbol=ETHUSDT&limit=20`)).text());
      await sim.stop();
    }
    expect(bodies[0]).toBe(bodies[1]);
    expect(bodies[2]).not.toBe(bodies[0]);
  });
});

describe('generated Binance USDⓈ-M', () => {
  it('syncs by U <= L <= u, and serves funding, liquidations, open interest and both long/short ratios', async () => {
    const sim = await start('binance-usdm');
    const book = await client(`${sim.wsUrl}/public/stream?streams=btcusdt@depth@100ms`);
    const market = await client(`${sim.wsUrl}/market/stream?streams=btcusdt@aggTrade/btcusdt@markPrice@1s/btcusdt@forceOrder`);
    await book.until('a diff', (m) => m.length > 0);
    const snap = await getJson<{ lastUpdateId: number; E: number; T: number }>(`${sim.restUrl}/fapi/v1/depth?symbol=BTCUSDT&limit=1000`);
    await book.until('a diff past the snapshot', (m) => m.some((x) => (JSON.parse(x) as any).data.u > snap.lastUpdateId));
    const first = book
      .json<any>()
      .map((m) => m.data)
      .find((d) => d.u >= snap.lastUpdateId);
    expect(first.U).toBeLessThanOrEqual(snap.lastUpdateId);
    expect(first.u).toBeGreaterThanOrEqual(snap.lastUpdateId);

    await market.until('every stream', (m) => ['aggTrade', 'markPriceUpdate', 'forceOrder'].every((e) => m.some((x) => x.includes(`"e":"${e}"`))));
    const mark = market.json<any>().find((m) => m.data.e === 'markPriceUpdate').data;
    expect(mark).toMatchObject({ s: 'BTCUSDT', st: 1 });
    expect(mark.r).toMatch(/^-?\d+\.\d{8}$/);
    expect(mark.T % (8 * 3600_000)).toBe(0);
    const force = market.json<any>().find((m) => m.data.e === 'forceOrder').data.o;
    expect(force).toMatchObject({ s: 'BTCUSDT', X: 'FILLED' });
    expect(['BUY', 'SELL']).toContain(force.S);

    const oi = await getJson<{ symbol: string; openInterest: string }>(`${sim.restUrl}/fapi/v1/openInterest?symbol=BTCUSDT`);
    expect(oi.openInterest).toMatch(/^\d+\.\d{3}$/);
    for (const path of ['topLongShortPositionRatio', 'globalLongShortAccountRatio']) {
      const rows = await getJson<{ longAccount: string; shortAccount: string; longShortRatio: string; timestamp: number }[]>(
        `${sim.restUrl}/futures/data/${path}?symbol=BTCUSDT&period=5m&limit=3`,
      );
      expect(rows).toHaveLength(3);
      for (const r of rows) {
        expect(Number(r.longAccount) + Number(r.shortAccount)).toBeCloseTo(1, 6);
        expect(Number(r.longShortRatio)).toBeCloseTo(Number(r.longAccount) / Number(r.shortAccount), 3);
        expect(r.timestamp % 300_000).toBe(0);
      }
    }
    const top = await getJson<unknown[]>(`${sim.restUrl}/futures/data/topLongShortPositionRatio?symbol=BTCUSDT&period=5m&limit=3`);
    const all = await getJson<unknown[]>(`${sim.restUrl}/futures/data/globalLongShortAccountRatio?symbol=BTCUSDT&period=5m&limit=3`);
    expect(top).not.toEqual(all);
  });

  it('routes by path: markPrice is not delivered on /public or on an unrouted /stream, depth is', async () => {
    const sim = await start('binance-usdm');
    const pub = await client(`${sim.wsUrl}/public/stream?streams=btcusdt@markPrice@1s`);
    const legacy = await client(`${sim.wsUrl}/stream?streams=btcusdt@markPrice@1s/btcusdt@depth@100ms`);
    await legacy.until('depth on the unrouted path', (m) => m.filter((x) => x.includes('depthUpdate')).length >= 5);
    await new Promise((r) => setTimeout(r, 500));
    expect(pub.messages).toEqual([]);
    expect(legacy.messages.some((x) => x.includes('markPriceUpdate'))).toBe(false);
  });
});

describe('generated OKX', () => {
  it('2026 mode: no pushed snapshot, checksum 0; the REST snapshot lines up as prevSeqId <= seqId(REST) < seqId', async () => {
    const sim = await start('okx');
    const c = await client(sim.wsUrl);
    c.send({ op: 'subscribe', args: [{ channel: 'books', instId: 'BTC-USDT' }] });
    await c.until('updates', (m) => m.length >= 5);
    const pushes = c.json<any>().filter((m) => m.arg?.channel === 'books' && !m.event);
    expect(pushes.length).toBeGreaterThan(0);
    expect(pushes.every((m) => m.action === 'update' && m.data[0].checksum === 0)).toBe(true);
    const rest = await getJson<{ code: string; data: { seqId: number; bids: string[][]; asks: string[][] }[] }>(
      `${sim.restUrl}/api/v5/market/books?instId=BTC-USDT&sz=400`,
    );
    expect(rest.code).toBe('0');
    const s = rest.data[0]!.seqId;
    await c.until('an update past the REST snapshot', (m) =>
      m.some((x) => x.startsWith('{"arg":{"channel":"books"') && (JSON.parse(x) as any).data[0].seqId > s),
    );
    const first = c
      .json<any>()
      .filter((m) => m.arg?.channel === 'books' && !m.event)
      .map((m) => m.data[0])
      .find((d) => d.seqId > s);
    expect(first.prevSeqId).toBeLessThanOrEqual(s);
    expect(rest.data[0]!.bids.length).toBeGreaterThan(10);
  });

  it('2025 mode: a pushed snapshot (prevSeqId -1) and CRC32 checksums that match the rebuilt book; heartbeats keep the chain', async () => {
    const sim = await start('okx', { okxMode: '2025', ratePerSec: 100 });
    const c = await client(sim.wsUrl);
    c.send({ op: 'subscribe', args: [{ channel: 'books', instId: 'ETH-USDT-SWAP' }] });
    await c.until('pushes', (m) => m.filter((x) => x.includes('"books"') && !x.includes('"event"')).length >= 60);
    const pushes = c.json<any>().filter((m) => m.arg?.channel === 'books' && !m.event);
    expect(pushes[0].action).toBe('snapshot');
    expect(pushes[0].data[0].prevSeqId).toBe(-1);
    const book = new TextBook();
    let heartbeats = 0;
    for (const p of pushes) {
      const d = p.data[0];
      if (d.seqId === d.prevSeqId) heartbeats++;
      book.apply('bids', d.bids);
      book.apply('asks', d.asks);
      const top = book.top(25);
      expect(d.checksum).not.toBe(0);
      expect(okxChecksum(top.bids as [string, string][], top.asks as [string, string][])).toBe(d.checksum);
    }
    expect(heartbeats).toBeGreaterThan(0);
  });

  it('serves trades, mark price, funding, open interest, liquidations and the rubik long/short ratios', async () => {
    const sim = await start('okx');
    const c = await client(sim.wsUrl);
    const args = [
      { channel: 'trades', instId: 'BTC-USDT-SWAP' },
      { channel: 'mark-price', instId: 'BTC-USDT-SWAP' },
      { channel: 'funding-rate', instId: 'BTC-USDT-SWAP' },
      { channel: 'open-interest', instId: 'BTC-USDT-SWAP' },
      { channel: 'liquidation-orders', instType: 'SWAP' },
    ];
    c.send({ op: 'subscribe', args });
    await c.until('every channel', (m) => args.every((a) => m.some((x) => x.startsWith(`{"arg":{"channel":"${a.channel}"`))));
    const pushes = c.json<any>().filter((m) => !m.event);
    const trades = pushes.filter((m) => m.arg.channel === 'trades').flatMap((m) => m.data);
    expect(new Set(trades.map((t) => t.tradeId)).size).toBe(trades.length);
    expect(trades[0]).toMatchObject({ instId: 'BTC-USDT-SWAP', source: '0' });
    const funding = pushes.find((m) => m.arg.channel === 'funding-rate').data[0];
    expect(funding.fundingRate).toMatch(/^-?\d+(\.\d+)?$/);
    const liq = pushes.find((m) => m.arg.channel === 'liquidation-orders').data[0];
    expect(liq.details[0].side === 'sell' ? 'long' : 'short').toBe(liq.details[0].posSide);
    const oi = await getJson<any>(`${sim.restUrl}/api/v5/public/open-interest?instType=SWAP&instId=BTC-USDT-SWAP`);
    expect(oi.data[0]).toMatchObject({ instId: 'BTC-USDT-SWAP', instType: 'SWAP' });
    const top = await getJson<any>(`${sim.restUrl}/api/v5/rubik/stat/contracts/long-short-account-ratio-contract-top-trader?instId=BTC-USDT-SWAP&period=5m`);
    const all = await getJson<any>(`${sim.restUrl}/api/v5/rubik/stat/contracts/long-short-account-ratio-contract?instId=BTC-USDT-SWAP&period=5m`);
    expect(top.data.length).toBe(100);
    expect(Number(top.data[0][0])).toBeGreaterThan(Number(top.data[1][0]));
    expect(top.data).not.toEqual(all.data);
  });
});

describe('generated Deribit', () => {
  it('sends a book snapshot then new/change/delete changes that are consistent with it', async () => {
    const sim = await start('deribit');
    const c = await client(sim.wsUrl);
    c.send({ jsonrpc: '2.0', id: 7, method: 'public/subscribe', params: { channels: ['book.ETH-PERPETUAL.100ms'] } });
    await c.until('changes', (m) => m.filter((x) => x.includes('"type":"change"')).length >= 30);
    const msgs = c.json<any>();
    expect(msgs[0]).toMatchObject({ id: 7, result: ['book.ETH-PERPETUAL.100ms'] });
    const data = msgs.slice(1).map((m) => m.params.data);
    expect(data[0].type).toBe('snapshot');
    const book = { bids: new Map<number, number>(), asks: new Map<number, number>() };
    for (const d of data) {
      for (const side of ['bids', 'asks'] as const) {
        for (const [action, price, amount] of d[side] as [string, number, number][]) {
          expect(typeof price).toBe('number');
          expect(action === 'new').toBe(!book[side].has(price));
          if (action === 'delete') book[side].delete(price);
          else book[side].set(price, amount);
        }
      }
    }
  });

  it('serves DVOL over the socket and its history over REST and JSON-RPC', async () => {
    const sim = await start('deribit');
    const c = await client(sim.wsUrl);
    c.send({ jsonrpc: '2.0', id: 1, method: 'public/subscribe', params: { channels: ['deribit_volatility_index.btc_usd', 'ticker.BTC-PERPETUAL.100ms'] } });
    await c.until('dvol and ticker', (m) => m.some((x) => x.includes('"volatility"')) && m.some((x) => x.includes('"current_funding"')));
    const dvol = c.json<any>().find((m) => m.params?.channel === 'deribit_volatility_index.btc_usd').params.data;
    expect(dvol.index_name).toBe('btc_usd');
    expect(typeof dvol.volatility).toBe('number');
    const end = Date.now();
    const rest = await getJson<any>(
      `${sim.restUrl}/api/v2/public/get_volatility_index_data?currency=BTC&start_timestamp=${end - 3600_000}&end_timestamp=${end}&resolution=60`,
    );
    expect(rest.result.data.length).toBeGreaterThanOrEqual(59);
    expect(rest.result.data[0]).toHaveLength(5);
    c.send({
      jsonrpc: '2.0',
      id: 99,
      method: 'public/get_volatility_index_data',
      params: { currency: 'BTC', start_timestamp: end - 3600_000, end_timestamp: end, resolution: '60' },
    });
    await c.until('rpc answer', (m) => m.some((x) => x.includes('"id":99')));
    const answer = c.json<any>().find((m) => m.id === 99);
    expect(answer.result.data).toEqual(rest.result.data);
  });
});
