/**
 * Generated Deribit market, per currency (BTC, ETH): `book.<CUR>-PERPETUAL.100ms`
 * (snapshot on subscribe, then changes chained by change_id/prev_change_id),
 * `trades.<inst>.100ms`, `ticker.<inst>.100ms` (funding, open interest, mark and
 * index price) and `deribit_volatility_index.<cur>_usd` (DVOL); REST
 * `public/get_volatility_index_data`, `public/ticker`, `public/test`,
 * `public/get_time`, `public/get_instruments`, `public/get_currencies`. Prices and amounts are JSON numbers, as Deribit sends them.
 */
import type { SimConnection } from '../../../../sim/connection.js';
import type { LevelChange } from '../../../../sim/generate/book.js';
import { numeric } from '../../../../sim/generate/decimal-text.js';
import { GeneratedFeed, type GenerateOptions } from '../../../../sim/generate/feed.js';
import { dvolAt, FUNDING_DECIMALS, instrumentSpec, SymbolMarket } from '../../../../sim/generate/market.js';
import { jsonReply, type FramePublisher, type RestReply, type RestRequest } from '../../../../sim/types.js';
import { DERIBIT_API_VERSION, rpcError, rpcResult } from './protocol.js';
import { deribitCurrencyRow, deribitInstrumentRows } from './instruments.js';

interface DeribitInstrument {
  currency: string;
  name: string;
  index: string;
  market: SymbolMarket;
  tradeSeq: number;
}
type DeribitLevel = ['new' | 'change' | 'delete', number, number];

/** Amounts are USD contracts in multiples of 10. */
const AMOUNT_STEP = 10;
const MAX_DVOL_ROWS = 1000;
const RESOLUTIONS: Record<string, number> = { '1': 1, '60': 60, '3600': 3600, '43200': 43200, '1D': 86400 };

export class DeribitFeed extends GeneratedFeed {
  private readonly instruments = new Map<string, DeribitInstrument>();
  private readonly topics = new Set<string>();

  constructor(opts: GenerateOptions, publisher: FramePublisher) {
    super(opts, publisher);
    for (const currency of new Set(this.symbols.map((s) => s.split('-')[0]!))) {
      const name = `${currency}-PERPETUAL`;
      const rng = this.rng.fork(`deribit:${name}`);
      const market = new SymbolMarket(rng, instrumentSpec(currency, 1, 0), { firstId: rng.int(1e10, 9e10), idStep: [1, 5], maxLevels: this.bookLevels });
      const index = `${currency.toLowerCase()}_usd`;
      this.instruments.set(currency, { currency, name, index, market, tradeSeq: rng.int(1e6, 9e6) });
      for (const t of [`book.${name}.100ms`, `trades.${name}.100ms`, `ticker.${name}.100ms`, `deribit_volatility_index.${index}`]) this.topics.add(t);
    }
  }

  knows(topic: string): boolean {
    return this.topics.has(topic);
  }

  subscribing(conn: SimConnection, topic: string): void {
    const i = [...this.instruments.values()].find((x) => topic === `book.${x.name}.100ms`);
    if (!i) return;
    // Push pending changes to the others first: the snapshot then ends where the next change starts.
    this.pushBook(i, Date.now());
    const snap = i.market.book.snapshot();
    const level = ([p, q]: [number, number]): DeribitLevel => ['new', this.px(i, p), q * AMOUNT_STEP];
    const data = {
      type: 'snapshot',
      timestamp: Date.now(),
      instrument_name: i.name,
      change_id: snap.id,
      bids: snap.bids.map(level),
      asks: snap.asks.map(level),
    };
    conn.send(notification(topic, data));
  }

  rest(req: RestRequest): RestReply {
    const p = req.params;
    switch (req.path) {
      case '/api/v2/public/get_volatility_index_data':
        return this.volatilityIndexData(p);
      case '/api/v2/public/ticker': {
        const i = [...this.instruments.values()].find((x) => x.name === p.get('instrument_name'));
        return i ? jsonReply(rpcResult(null, this.ticker(i, Date.now()))) : jsonReply(rpcError(null, 10020, 'instrument_not_found'), 400);
      }
      case '/api/v2/public/get_instruments':
        return this.instrumentList(p);
      case '/api/v2/public/get_currencies':
        return jsonReply(rpcResult(null, [...this.instruments.keys()].map(deribitCurrencyRow)));
      case '/api/v2/public/test':
        return jsonReply(rpcResult(null, { version: DERIBIT_API_VERSION }));
      case '/api/v2/public/get_time':
        return jsonReply(rpcResult(null, Date.now()));
      default:
        return jsonReply(rpcError(null, -32601, 'Method not found'), 400);
    }
  }

  protected step(now: number): void {
    for (const i of this.instruments.values()) {
      const trades = i.market.step(now);
      if (trades.length > 0 && this.publisher.wants(`trades.${i.name}.100ms`)) {
        const mark = this.px(i, i.market.midTicks());
        const data = trades.map((t) => ({
          trade_seq: ++i.tradeSeq,
          trade_id: String(t.id),
          timestamp: t.time,
          tick_direction: t.taker === 'buy' ? 0 : 2,
          price: this.px(i, t.price),
          mark_price: mark,
          instrument_name: i.name,
          index_price: mark,
          direction: t.taker,
          amount: t.qty * AMOUNT_STEP,
        }));
        this.publisher.publish({ topic: `trades.${i.name}.100ms`, text: notification(`trades.${i.name}.100ms`, data), kind: 'other' });
      }
      this.pushBook(i, now);
    }
  }

  protected periodic(now: number): void {
    for (const i of this.instruments.values()) {
      i.market.drift();
      const ticker = `ticker.${i.name}.100ms`;
      this.publisher.publish({ topic: ticker, text: notification(ticker, this.ticker(i, now)), kind: 'other' });
      const dvol = `deribit_volatility_index.${i.index}`;
      const data = { timestamp: now, volatility: dvolAt(this.seed, i.currency, Math.floor(now / 1000) * 1000) / 100, index_name: i.index };
      this.publisher.publish({ topic: dvol, text: notification(dvol, data), kind: 'other' });
    }
  }

  private pushBook(i: DeribitInstrument, now: number): void {
    const push = i.market.flush();
    const topic = `book.${i.name}.100ms`;
    if (!push || !this.publisher.wants(topic)) return;
    const data = {
      type: 'change',
      timestamp: now,
      prev_change_id: push.prev,
      instrument_name: i.name,
      change_id: push.last,
      bids: push.bids.flatMap((c) => this.level(i, c)),
      asks: push.asks.flatMap((c) => this.level(i, c)),
    };
    this.publisher.publish({ topic, text: notification(topic, data), kind: 'book-diff' });
  }

  /** new / change / delete against the state of the previous push; a level born and gone within one push is left out. */
  private level(i: DeribitInstrument, c: LevelChange): DeribitLevel[] {
    if (c.qty === 0) return c.before === 0 ? [] : [['delete', this.px(i, c.price), 0]];
    return [[c.before === 0 ? 'new' : 'change', this.px(i, c.price), c.qty * AMOUNT_STEP]];
  }

  private ticker(i: DeribitInstrument, now: number) {
    const book = i.market.book;
    const mark = this.px(i, i.market.midTicks());
    const index = this.px(i, i.market.indexTicks());
    const funding = numeric(i.market.fundingRate, FUNDING_DECIMALS);
    return {
      timestamp: now,
      stats: { high: mark * 1.02, low: mark * 0.98, price_change: 0.5, volume: 10000, volume_usd: 900_000_000 },
      state: 'open',
      settlement_price: mark,
      open_interest: i.market.openInterest * AMOUNT_STEP,
      min_price: Math.round(mark * 0.985 * 2) / 2,
      max_price: Math.round(mark * 1.015 * 2) / 2,
      mark_price: mark,
      last_price: mark,
      interest_value: funding,
      instrument_name: i.name,
      index_price: index,
      funding_8h: funding,
      estimated_delivery_price: index,
      current_funding: funding,
      best_bid_price: this.px(i, book.bestBid()),
      best_bid_amount: (book.snapshot(1).bids[0]?.[1] ?? 0) * AMOUNT_STEP,
      best_ask_price: this.px(i, book.bestAsk()),
      best_ask_amount: (book.snapshot(1).asks[0]?.[1] ?? 0) * AMOUNT_STEP,
    };
  }

  private volatilityIndexData(p: URLSearchParams): RestReply {
    const i = this.instruments.get(p.get('currency') ?? '');
    const res = RESOLUTIONS[p.get('resolution') ?? ''];
    const start = Number(p.get('start_timestamp'));
    const end = Number(p.get('end_timestamp'));
    if (!i || res === undefined || !Number.isInteger(start) || !Number.isInteger(end) || start > end) {
      return jsonReply(rpcError(null, -32602, 'Invalid params'), 400);
    }
    const step = res * 1000;
    const rows: number[][] = [];
    for (let ts = Math.ceil(start / step) * step; ts <= end; ts += step) {
      const open = dvolAt(this.seed, i.currency, ts) / 100;
      const close = dvolAt(this.seed, i.currency, ts + step) / 100;
      rows.push([ts, open, Math.max(open, close) + 0.05, Math.min(open, close) - 0.05, close]);
    }
    // Deribit answers the newest rows and a continuation (the next end_timestamp) when there are more.
    const page = rows.slice(-MAX_DVOL_ROWS);
    const continuation = rows.length > MAX_DVOL_ROWS ? page[0]![0]! - step : null;
    return jsonReply(rpcResult(null, { data: page, continuation }));
  }

  /** `public/get_instruments`: `currency` BTC, ETH or any (also absent), `kind` future (the only kind listed), `expired` false. */
  private instrumentList(p: URLSearchParams): RestReply {
    const currency = p.get('currency') ?? 'any';
    const kind = p.get('kind');
    if (currency !== 'any' && !this.instruments.has(currency)) return jsonReply(rpcError(null, -32602, 'Invalid params'), 400);
    if (p.get('expired') === 'true' || (kind !== null && kind !== 'future')) return jsonReply(rpcResult(null, []));
    const now = Date.now();
    const rows = [...this.instruments.values()]
      .map((i, n) => ({ i, n }))
      .filter(({ i }) => currency === 'any' || i.currency === currency)
      .flatMap(({ i, n }) => deribitInstrumentRows(i.currency, this.px(i, 1), now, 124972 + 10 * n));
    return jsonReply(rpcResult(null, rows));
  }

  private px(i: DeribitInstrument, ticks: number): number {
    return numeric(ticks, i.market.spec.priceDecimals);
  }
}

function notification(channel: string, data: unknown): string {
  return JSON.stringify({ jsonrpc: '2.0', method: 'subscription', params: { channel, data } });
}
