/**
 * An independent rebuild of the simulator's Binance USDⓈ-M books, to compare stored book
 * records with: the driver is one more client of the venue, following Binance's documented
 * procedure on its own (diff stream `<symbol>@depth@100ms` on `/public/stream`, REST
 * snapshot `/fapi/v1/depth`, drop diffs with `u` < `lastUpdateId`, the first kept has
 * `U` <= lastUpdateId <= `u`, then each diff's `pu` is the previous `u`), sharing no code
 * with the collector's books. After every diff it keeps the top levels by the diff's `u`:
 * what a book record with that `last_update_id` must hold. Prices and quantities stay text
 * (compared as decimals, never as floats).
 */
import WebSocket from 'ws';
import { normalizeDecimal } from '../../storage/natural-key.js';

interface Diff {
  s: string;
  U: number;
  u: number;
  pu: number;
  b: [string, string][];
  a: [string, string][];
}

interface SymbolBook {
  bids: Map<string, string>;
  asks: Map<string, string>;
  /** The snapshot's lastUpdateId until the first diff is applied, then the last applied `u`. */
  id: number | undefined;
  synced: boolean;
  pending: Diff[];
}

/** Compares two non-negative decimal texts exactly. */
export function compareDecimal(a: string, b: string): number {
  const [ai = '', af = ''] = normalizeDecimal(a).split('.');
  const [bi = '', bf = ''] = normalizeDecimal(b).split('.');
  const ia = ai.replace(/^0+(?=\d)/, '');
  const ib = bi.replace(/^0+(?=\d)/, '');
  if (ia.length !== ib.length) return ia.length - ib.length;
  if (ia !== ib) return ia < ib ? -1 : 1;
  const n = Math.max(af.length, bf.length);
  const fa = af.padEnd(n, '0');
  const fb = bf.padEnd(n, '0');
  return fa === fb ? 0 : fa < fb ? -1 : 1;
}

/** Whether a level's quantity text is zero (the level is removed). */
export const isZero = (q: string) => /^0*(\.0*)?$/.test(q);

/** One side's best `depth` levels (price → quantity, as received), best first: bids `descending`. */
export function bestLevels(side: Map<string, string>, depth: number, descending: boolean): [string, string][] {
  return [...side].sort(([a], [b]) => (descending ? compareDecimal(b, a) : compareDecimal(a, b))).slice(0, depth);
}

/** One side's top `depth` levels as `price:quantity,...` (normalized decimals), best first. */
export function top(side: Map<string, string>, depth: number, descending: boolean): string {
  return bestLevels(side, depth, descending)
    .map(([p, q]) => `${normalizeDecimal(p)}:${normalizeDecimal(q)}`)
    .join(',');
}

/**
 * A rebuild's venue stream, open: each text message to `onMessage`; an error or the close to
 * `broken` (a break, unless the rebuild stopped), named `name`.
 */
export async function openStream(url: string, name: string, onMessage: (text: string) => void, broken: (why: string) => void): Promise<WebSocket> {
  const ws = new WebSocket(url);
  ws.on('message', (raw) => onMessage((raw as Buffer).toString('utf8')));
  ws.on('error', (e) => broken(`${name}: ${e.message}`));
  ws.on('close', () => broken(`${name} closed`));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return ws;
}

export class BinanceBookRebuild {
  /** Wire symbol (BTCUSDT) → `u` → `bids|asks` top levels. */
  readonly tops = new Map<string, Map<number, string>>();
  /** Wire symbol → each applied diff's [U, u]: an id inside one (U <= id < u) is a state inside a push window, as a REST snapshot's. */
  readonly windows = new Map<string, [number, number][]>();
  /** Chain breaks seen (each followed by a new snapshot). */
  readonly breaks: string[] = [];
  private readonly books = new Map<string, SymbolBook>();
  private ws: WebSocket | undefined;
  private stopped = false;

  constructor(
    private readonly wsBase: string,
    private readonly restBase: string,
    /** Wire symbols, e.g. BTCUSDT. */
    private readonly symbols: readonly string[],
    private readonly depth: number,
  ) {
    for (const s of symbols) {
      this.books.set(s, { bids: new Map(), asks: new Map(), id: undefined, synced: false, pending: [] });
      this.tops.set(s, new Map());
      this.windows.set(s, []);
    }
  }

  async start(): Promise<void> {
    const streams = this.symbols.map((s) => `${s.toLowerCase()}@depth@100ms`).join('/');
    this.ws = await openStream(
      `${this.wsBase}/public/stream?streams=${streams}`,
      'the diff stream',
      (text) => {
        const d = (JSON.parse(text) as { data?: Diff }).data;
        if (d && this.books.has(d.s)) this.onDiff(d);
      },
      (why) => !this.stopped && this.breaks.push(why),
    );
    for (const s of this.symbols) await this.snapshot(s);
  }

  stop(): void {
    this.stopped = true;
    this.ws?.close();
  }

  /** Whether every symbol's book is in sync (a snapshot and its diffs chained). */
  get synced(): boolean {
    return [...this.books.values()].every((b) => b.synced);
  }

  private async snapshot(symbol: string): Promise<void> {
    const res = await fetch(`${this.restBase}/fapi/v1/depth?symbol=${symbol}&limit=1000`);
    if (!res.ok) throw new Error(`book rebuild: GET /fapi/v1/depth ${symbol}: HTTP ${res.status}`);
    const snap = (await res.json()) as { lastUpdateId: number; bids: [string, string][]; asks: [string, string][] };
    const b = this.books.get(symbol)!;
    b.bids = new Map(snap.bids);
    b.asks = new Map(snap.asks);
    b.id = snap.lastUpdateId;
    b.synced = false;
    const pending = b.pending;
    b.pending = [];
    for (const d of pending) this.onDiff(d);
  }

  private onDiff(d: Diff): void {
    const b = this.books.get(d.s)!;
    if (b.id === undefined) {
      b.pending.push(d);
      return;
    }
    if (!b.synced) {
      if (d.u < b.id) return;
      if (d.U > b.id) return this.resync(b, d.s, `first diff U ${d.U} after the snapshot's lastUpdateId ${b.id}`);
      b.synced = true;
    } else if (d.pu !== b.id) return this.resync(b, d.s, `pu ${d.pu}, the last u ${b.id}`);
    for (const [side, levels] of [
      [b.bids, d.b],
      [b.asks, d.a],
    ] as const)
      for (const [p, q] of levels) {
        if (isZero(q)) side.delete(p);
        else side.set(p, q);
      }
    b.id = d.u;
    this.windows.get(d.s)!.push([d.U, d.u]);
    this.tops.get(d.s)!.set(d.u, `${top(b.bids, this.depth, true)}|${top(b.asks, this.depth, false)}`);
  }

  /** Whether `id` falls inside a diff this rebuild applied (U <= id < u): a state the diff stream never shows. */
  insideWindow(symbol: string, id: number): boolean {
    return this.windows.get(symbol)?.some(([lo, hi]) => lo <= id && id < hi) === true;
  }

  private resync(b: SymbolBook, symbol: string, why: string): void {
    this.breaks.push(`${symbol}: ${why}`);
    b.id = undefined;
    b.synced = false;
    void this.snapshot(symbol).catch((e: Error) => this.breaks.push(e.message));
  }
}
