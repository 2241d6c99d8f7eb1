/**
 * An independent rebuild of the simulator's OKX books (spot `BTC-USDT`, swap
 * `BTC-USDT-SWAP`), to compare stored book records with: the driver is one more client of
 * the venue, following OKX's documented procedure on its own and sharing no code with the
 * collector's books (book-rebuild.ts does the same for Binance USDⓈ-M):
 *   - channel `books` on `/ws/v5/public`; a pushed snapshot (`action: snapshot`,
 *     `prevSeqId` -1) replaces the book (OKX until August 2026, the simulator's
 *     `--okx-mode 2025`, the 2022 capture);
 *   - where none is pushed (OKX since, the simulator's default) updates are buffered and
 *     `GET /api/v5/market/books?instId=..&sz=400` taken; a snapshot whose `seqId` is below
 *     the first buffered update's `prevSeqId` is taken again; buffered updates with
 *     `seqId` <= the snapshot's are dropped, and the first one kept must straddle it
 *     (`prevSeqId` <= snapshot `seqId` < `seqId`);
 *   - from then on each update's `prevSeqId` is the last `seqId` (`seqId` = `prevSeqId` with
 *     no levels: a heartbeat); a size of 0 removes the level; the channel is the top 400
 *     levels a side, so a level that slid below them is dropped;
 *   - a non-zero `checksum` is the signed CRC32 of the top 25 levels interleaved
 *     `bidPx:bidSz:askPx:askSz:...` (a missing level skipped) on the wire text; OKX sends 0
 *     since its deprecation in 2026, and the 2022 protocol has no `seqId` (the checksum is
 *     its only check).
 * A broken chain, a checksum mismatch or a failed snapshot is a break (recorded) and the
 * instrument starts over: resubscribed, so OKX pushes a new snapshot where it still does.
 * After every update it keeps the top levels by `seqId`: what a book record with that
 * `last_update_id` must hold. Prices and sizes stay text, sizes as OKX counts them (swaps:
 * contracts; the contract size, ctVal × ctMult, from `/api/v5/public/instruments`).
 */
import { crc32 } from 'node:zlib';
import WebSocket from 'ws';
import { multiplyDecimal } from '../../core/decimal-math.js';
import { Backoff } from '../../core/retry.js';
import { bestLevels, isZero, openStream, top } from './book-rebuild.js';

type WireLevel = [string, string, ...unknown[]];

interface BookData {
  asks: WireLevel[];
  bids: WireLevel[];
  checksum?: number;
  prevSeqId?: number;
  seqId?: number;
}

interface WsMessage {
  event?: string;
  code?: string;
  msg?: string;
  arg?: { channel?: string; instId?: string };
  action?: string;
  data?: BookData[];
}

/** `books` carries the top 400 levels a side. */
const CHANNEL_DEPTH = 400;
const CHECKSUM_DEPTH = 25;
/** OKX closes a connection after 30 s without traffic: a `ping` every 20 s. */
const PING_MS = 20_000;

type State = 'fresh' | 'fetching' | 'bridging' | 'synced';

interface InstrumentBook {
  bids: Map<string, string>;
  asks: Map<string, string>;
  state: State;
  /** The last applied `seqId` (the REST snapshot's while bridging); undefined without one. */
  id: number | undefined;
  /** Updates buffered until the REST snapshot. */
  pending: BookData[];
  /** Bumped at every start-over: an answer or timer of an earlier attempt is dropped. */
  epoch: number;
  backoff: Backoff;
}

/** OKX's checksum of a book: signed CRC32 of its top 25 levels a side, interleaved bid:ask. */
export function okxBookChecksum(bids: readonly (readonly [string, string])[], asks: readonly (readonly [string, string])[]): number {
  const parts: string[] = [];
  for (let i = 0; i < CHECKSUM_DEPTH; i++) {
    const b = bids[i];
    const a = asks[i];
    if (b) parts.push(`${b[0]}:${b[1]}`);
    if (a) parts.push(`${a[0]}:${a[1]}`);
  }
  return crc32(parts.join(':')) | 0;
}

export class OkxBookRebuild {
  /** instId → `seqId` → `bids|asks` top levels (sizes as OKX counts them). */
  readonly tops = new Map<string, Map<number, string>>();
  /** instId → each applied update's [prevSeqId, seqId]: an id strictly inside one is a state the stream never shows (a REST snapshot's). */
  readonly windows = new Map<string, [number, number][]>();
  /** Chain breaks, checksum mismatches, failed snapshots (each followed by a start-over). */
  readonly breaks: string[] = [];
  /** Pushes whose non-zero checksum matched the rebuilt book; pushes with checksum 0 (or none): nothing to verify. */
  readonly checksums = { verified: 0, zero: 0 };
  /** SWAP instId → base units per contract (ctVal × ctMult), for linear swaps: loadContractSizes(). */
  readonly contractSizes = new Map<string, string>();
  private readonly books = new Map<string, InstrumentBook>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private ws: WebSocket | undefined;
  private stopped = false;

  constructor(
    /** The venue's public WebSocket URL (ending `/ws/v5/public`). */
    private readonly wsUrl: string,
    private readonly restUrl: string,
    /** OKX instIds, e.g. BTC-USDT, BTC-USDT-SWAP. */
    readonly instIds: readonly string[],
    private readonly depth: number,
  ) {
    for (const i of instIds) {
      this.books.set(i, {
        bids: new Map(),
        asks: new Map(),
        state: 'fresh',
        id: undefined,
        pending: [],
        epoch: 0,
        backoff: new Backoff({ initialMs: 200, maxMs: 5000 }),
      });
      this.tops.set(i, new Map());
      this.windows.set(i, []);
    }
  }

  /** Reads the contract size of every linear swap among the instruments from `/api/v5/public/instruments`. */
  async loadContractSizes(): Promise<void> {
    const url = `${this.restUrl}/api/v5/public/instruments?instType=SWAP`;
    const res = await fetch(url);
    const body = (await res.json().catch(() => ({}))) as { code?: string; msg?: string; data?: Record<string, string>[] };
    if (!res.ok || body.code !== '0' || !Array.isArray(body.data))
      throw new Error(`OKX book rebuild: GET ${url}: HTTP ${res.status}, code ${body.code}: ${body.msg}`);
    for (const r of body.data)
      if (this.books.has(r.instId!) && r.ctType === 'linear') this.contractSizes.set(r.instId!, multiplyDecimal(r.ctVal!, r.ctMult || '1'));
  }

  async start(): Promise<void> {
    const ws = await openStream(
      this.wsUrl,
      'the books stream',
      (text) => this.onMessage(text),
      (why) => !this.stopped && this.breaks.push(why),
    );
    this.ws = ws;
    this.send('subscribe', this.instIds);
    const ping = setInterval(() => ws.readyState === WebSocket.OPEN && ws.send('ping'), PING_MS);
    this.timers.add(ping);
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.ws?.close();
  }

  /** Whether every instrument's book is in sync (a snapshot and its updates chained). */
  get synced(): boolean {
    return [...this.books.values()].every((b) => b.state === 'synced');
  }

  /** Whether `id` falls strictly inside an update this rebuild applied (prevSeqId < id < seqId). */
  insideWindow(instId: string, id: number): boolean {
    return this.windows.get(instId)?.some(([lo, hi]) => lo < id && id < hi) === true;
  }

  private send(op: 'subscribe' | 'unsubscribe', instIds: readonly string[]): void {
    if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify({ op, args: instIds.map((instId) => ({ channel: 'books', instId })) }));
  }

  private onMessage(text: string): void {
    if (text === 'pong') return;
    let m: WsMessage;
    try {
      m = JSON.parse(text) as WsMessage;
    } catch {
      this.breaks.push(`not JSON from the books stream: ${text.slice(0, 100)}`);
      return;
    }
    if (m.event === 'error') {
      this.breaks.push(`OKX error ${m.code}: ${m.msg}`);
      return;
    }
    if (m.event !== undefined || m.arg?.channel !== 'books' || !Array.isArray(m.data)) return;
    const instId = m.arg.instId ?? '';
    const b = this.books.get(instId);
    if (!b) return;
    for (const d of m.data) {
      const bad = malformed(d);
      if (bad) this.startOver(instId, b, bad);
      else if (m.action === 'snapshot' || d.prevSeqId === -1) this.onSnapshot(instId, b, d);
      else this.onUpdate(instId, b, d);
    }
  }

  /** A pushed snapshot replaces the book, whatever came before. */
  private onSnapshot(instId: string, b: InstrumentBook, d: BookData): void {
    b.epoch++;
    b.pending = [];
    load(b, d);
    b.id = d.seqId;
    b.state = 'synced';
    if (this.checksumOk(instId, b, d)) this.record(instId, b, undefined);
  }

  private onUpdate(instId: string, b: InstrumentBook, d: BookData): void {
    switch (b.state) {
      case 'fresh':
        b.pending.push(d);
        b.state = 'fetching';
        void this.fetchSnapshot(instId, b);
        return;
      case 'fetching':
        b.pending.push(d);
        return;
      case 'bridging':
        if (d.seqId === undefined || d.prevSeqId === undefined) return this.startOver(instId, b, 'an update without seqId/prevSeqId after a REST snapshot');
        if (d.seqId <= b.id!) return; // already in the snapshot
        if (d.prevSeqId > b.id!) return this.startOver(instId, b, `first update prevSeqId ${d.prevSeqId} after the snapshot's seqId ${b.id}: updates missed`);
        b.state = 'synced';
        break;
      case 'synced':
        // The 2022 protocol has no seqId: the checksum is the only check.
        if (d.prevSeqId !== undefined && d.prevSeqId !== b.id) return this.startOver(instId, b, `prevSeqId ${d.prevSeqId}, the last seqId ${b.id}`);
    }
    for (const [side, levels] of [
      [b.bids, d.bids],
      [b.asks, d.asks],
    ] as const)
      for (const [p, q] of levels) {
        if (isZero(q)) side.delete(p);
        else side.set(p, q);
      }
    trim(b.bids, true);
    trim(b.asks, false);
    if (d.seqId !== undefined) b.id = d.seqId;
    if (this.checksumOk(instId, b, d)) this.record(instId, b, d.prevSeqId);
  }

  private checksumOk(instId: string, b: InstrumentBook, d: BookData): boolean {
    if (!d.checksum) {
      this.checksums.zero++;
      return true;
    }
    const ours = okxBookChecksum(bestLevels(b.bids, CHECKSUM_DEPTH, true), bestLevels(b.asks, CHECKSUM_DEPTH, false));
    if (ours === d.checksum) {
      this.checksums.verified++;
      return true;
    }
    this.startOver(instId, b, `checksum ${d.checksum} from OKX, ${ours} of the rebuilt book${b.id === undefined ? '' : ` at seqId ${b.id}`}`);
    return false;
  }

  private record(instId: string, b: InstrumentBook, prev: number | undefined): void {
    if (b.id === undefined) return;
    this.tops.get(instId)!.set(b.id, `${top(b.bids, this.depth, true)}|${top(b.asks, this.depth, false)}`);
    if (prev !== undefined && prev >= 0 && prev < b.id) this.windows.get(instId)!.push([prev, b.id]);
  }

  private async fetchSnapshot(instId: string, b: InstrumentBook): Promise<void> {
    const epoch = b.epoch;
    const path = `/api/v5/market/books?instId=${instId}&sz=${CHANNEL_DEPTH}`;
    let snap: BookData & { seqId: number };
    try {
      const res = await fetch(`${this.restUrl}${path}`);
      const body = (await res.json().catch(() => ({}))) as { code?: string; msg?: string; data?: BookData[] };
      const s = body.data?.[0];
      if (!res.ok || body.code !== '0' || !s || typeof s.seqId !== 'number' || malformed(s))
        throw new Error(`HTTP ${res.status}, code ${body.code}${body.msg ? `: ${body.msg}` : ''}${s && typeof s.seqId !== 'number' ? ', no seqId' : ''}`);
      snap = s as typeof snap;
    } catch (e) {
      if (this.stopped || b.epoch !== epoch) return;
      this.breaks.push(`${instId}: GET ${path}: ${(e as Error).message}`);
      this.later(b, epoch, b.backoff.next(), () => void this.fetchSnapshot(instId, b));
      return;
    }
    if (this.stopped || b.epoch !== epoch) return;
    // Older than the first update buffered: OKX says take it again.
    const first = b.pending[0];
    if (first?.prevSeqId !== undefined && snap.seqId < first.prevSeqId) {
      this.later(b, epoch, b.backoff.next(), () => void this.fetchSnapshot(instId, b));
      return;
    }
    b.backoff.reset();
    load(b, snap);
    b.id = snap.seqId;
    b.state = 'bridging';
    const pending = b.pending;
    b.pending = [];
    for (const d of pending) {
      if (b.epoch !== epoch) break;
      this.onUpdate(instId, b, d);
    }
  }

  /** Records the break and starts the instrument over: resubscribed, its book empty until a snapshot. */
  private startOver(instId: string, b: InstrumentBook, why: string): void {
    this.breaks.push(`${instId}: ${why}`);
    b.epoch++;
    b.state = 'fresh';
    b.id = undefined;
    b.pending = [];
    b.bids.clear();
    b.asks.clear();
    this.send('unsubscribe', [instId]);
    this.send('subscribe', [instId]);
  }

  private later(b: InstrumentBook, epoch: number, ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      if (!this.stopped && b.epoch === epoch) fn();
    }, ms);
    this.timers.add(t);
  }
}

function load(b: InstrumentBook, d: BookData): void {
  b.bids = new Map(d.bids.filter(([, q]) => !isZero(q)).map(([p, q]) => [p, q]));
  b.asks = new Map(d.asks.filter(([, q]) => !isZero(q)).map(([p, q]) => [p, q]));
}

/** Keeps a side's best CHANNEL_DEPTH levels. */
function trim(side: Map<string, string>, descending: boolean): void {
  if (side.size <= CHANNEL_DEPTH) return;
  const keep = new Set(bestLevels(side, CHANNEL_DEPTH, descending).map(([p]) => p));
  for (const p of [...side.keys()]) if (!keep.has(p)) side.delete(p);
}

const DECIMAL = /^\d+(\.\d+)?$/;

/** What is wrong with a `books` data entry, or undefined. */
function malformed(d: BookData): string | undefined {
  for (const [name, levels] of [
    ['bids', d.bids],
    ['asks', d.asks],
  ] as const) {
    if (!Array.isArray(levels)) return `${name} is not an array`;
    const bad = levels.find((l) => !Array.isArray(l) || typeof l[0] !== 'string' || typeof l[1] !== 'string' || !DECIMAL.test(l[0]) || !DECIMAL.test(l[1]));
    if (bad) return `${name} level ${JSON.stringify(bad).slice(0, 80)} is not [price, size, ...] as decimal text`;
  }
  for (const f of ['seqId', 'prevSeqId', 'checksum'] as const)
    if (d[f] !== undefined && !Number.isSafeInteger(d[f])) return `${f} ${JSON.stringify(d[f])} is not an integer`;
  return undefined;
}
