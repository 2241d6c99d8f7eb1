/**
 * One logical WebSocket feed: connect, subscribe, keep alive, notice silence,
 * reconnect with backoff and jitter (longer after a 429/418), and rotate before a
 * venue's forced cut by opening the successor first and closing the old socket only
 * once the new one delivers data (both feed the adapter meanwhile; it de-duplicates).
 *
 * Every socket that is replaced is closed and stripped of listeners, whatever the
 * path (error, close, stale, rotation, stop): none is ever left behind.
 * A venue feed is data (FeedSpec): its URL, what to send on open, how to keep alive.
 */
import WebSocket from 'ws';
import { Backoff, type BackoffOptions } from '../../core/retry.js';

export interface FeedSpec {
  /** Stable name for logs and metrics, e.g. "binance-spot/0". */
  name: string;
  url: string;
  /** Frames to send once open (subscriptions, heartbeat setup), paced by `sendSpacingMs`. */
  onOpen(): string[];
  /** Minimum spacing of outgoing frames (Binance: 5 per second per connection). */
  sendSpacingMs?: number;
  /** A frame that answers `text` at once (Deribit test_request), or undefined. */
  reply?(text: string): string | undefined;
  /** Frames to drop before the adapter (OKX "pong"). */
  swallow?(text: string): boolean;
  /** Send this when nothing was received for `idlePingMs` (OKX "ping"). */
  idlePing?: { text: string; afterMs: number };
  /** No frame for this long: the socket is dead even if TCP says otherwise. */
  staleMs: number;
  /** Open a successor after this long (Binance cuts at 24 h). */
  rotateAfterMs?: number;
}

export interface FeedEvents {
  open(conn: string, url: string): void;
  message(conn: string, text: string): void;
  sent(conn: string, url: string, text: string): void;
  /** A socket went away; `planned` for rotation and stop. */
  closed(conn: string, planned: boolean, reason: string): void;
  /** Connecting failed or a socket died: the next attempt is in `delayMs`. */
  retrying(delayMs: number, reason: string): void;
}

const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 500, maxMs: 60_000 };
/** A connection that lasted this long resets the backoff. */
const HEALTHY_AFTER_MS = 30_000;

interface Conn {
  id: string;
  ws: WebSocket;
  openedAt: number;
  lastRecv: number;
  lastSent: number;
  gotData: boolean;
  timers: NodeJS.Timeout[];
  outbox: string[];
  sending: NodeJS.Timeout | undefined;
}

let nextId = 0;

export class Feed {
  private current: Conn | undefined;
  private successor: Conn | undefined;
  private stopped = false;
  private readonly retries: Backoff;
  private retryTimer: NodeJS.Timeout | undefined;
  private extraDelayMs = 0;
  connects = 0;

  constructor(
    readonly spec: FeedSpec,
    private readonly events: FeedEvents,
    backoff: BackoffOptions = DEFAULT_BACKOFF,
  ) {
    this.retries = new Backoff(backoff);
  }

  get connected(): boolean {
    return this.current?.ws.readyState === WebSocket.OPEN;
  }

  /** Sockets this feed holds right now (1, or 2 while rotating). */
  get sockets(): number {
    return (this.current ? 1 : 0) + (this.successor ? 1 : 0);
  }

  start(): void {
    this.stopped = false;
    this.current = this.connect();
  }

  /** Sends on the socket `conn` (if still open), paced. */
  send(conn: string, text: string): void {
    const c = [this.current, this.successor].find((x) => x?.id === conn) ?? this.current;
    if (c) this.enqueue(c, text);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    for (const c of [this.current, this.successor]) if (c) this.dispose(c, true, 'stop');
    this.current = this.successor = undefined;
  }

  private connect(): Conn {
    const id = `${this.spec.name}#${++nextId}`;
    const ws = new WebSocket(this.spec.url, { handshakeTimeout: 15_000, perMessageDeflate: false });
    const c: Conn = { id, ws, openedAt: 0, lastRecv: Date.now(), lastSent: 0, gotData: false, timers: [], outbox: [], sending: undefined };
    ws.on('open', () => {
      this.connects++;
      c.openedAt = c.lastRecv = Date.now();
      this.events.open(id, this.spec.url);
      for (const text of this.spec.onOpen()) this.enqueue(c, text);
      c.timers.push(setInterval(() => this.watch(c), Math.min(1000, this.spec.staleMs / 4)));
      if (this.spec.rotateAfterMs && c === this.current) c.timers.push(setTimeout(() => this.rotate(), this.spec.rotateAfterMs));
    });
    ws.on('message', (data: WebSocket.RawData) => {
      c.lastRecv = Date.now();
      const text = rawText(data);
      const answer = this.spec.reply?.(text);
      if (answer) this.enqueue(c, answer);
      if (this.spec.swallow?.(text)) return;
      if (!c.gotData) {
        c.gotData = true;
        if (c === this.successor) this.handOver();
      }
      this.events.message(id, text);
    });
    ws.on('unexpected-response', (_req, res) => {
      // The venue refused the upgrade: 429 (too many connections) or 418 (banned) say how long to wait.
      const retryAfter = Number(res.headers['retry-after']);
      this.extraDelayMs = Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : res.statusCode === 418 || res.statusCode === 429 ? 60_000 : 0;
      this.lost(c, `HTTP ${res.statusCode} on upgrade`);
    });
    ws.on('error', (err) => this.lost(c, err.message));
    ws.on('close', (code) => this.lost(c, `closed by peer (${code})`));
    return c;
  }

  private watch(c: Conn): void {
    const now = Date.now();
    if (now - c.lastRecv > this.spec.staleMs) return this.lost(c, `no data for ${Math.round((now - c.lastRecv) / 1000)} s`);
    const ping = this.spec.idlePing;
    if (ping && now - c.lastRecv > ping.afterMs && now - c.lastSent > ping.afterMs) this.enqueue(c, ping.text);
  }

  private enqueue(c: Conn, text: string): void {
    c.outbox.push(text);
    if (!c.sending) this.flushOutbox(c);
  }

  private flushOutbox(c: Conn): void {
    c.sending = undefined;
    if (c.ws.readyState !== WebSocket.OPEN) return; // the open handler re-sends subscriptions
    const text = c.outbox.shift();
    if (text === undefined) return;
    c.ws.send(text);
    c.lastSent = Date.now();
    this.events.sent(c.id, this.spec.url, text);
    if (c.outbox.length > 0) c.sending = setTimeout(() => this.flushOutbox(c), this.spec.sendSpacingMs ?? 0);
  }

  private rotate(): void {
    if (this.stopped || this.successor) return;
    this.successor = this.connect();
  }

  /** The successor delivers: the old socket goes. */
  private handOver(): void {
    const old = this.current;
    this.current = this.successor;
    this.successor = undefined;
    if (old) this.dispose(old, true, 'rotated');
    if (this.spec.rotateAfterMs && this.current) this.current.timers.push(setTimeout(() => this.rotate(), this.spec.rotateAfterMs));
  }

  private lost(c: Conn, reason: string): void {
    if (c !== this.current && c !== this.successor) return; // already disposed
    const wasSuccessor = c === this.successor;
    const wasHealthy = c.openedAt > 0 && Date.now() - c.openedAt > HEALTHY_AFTER_MS;
    this.dispose(c, false, reason);
    if (wasSuccessor) {
      // Rotation failed: the current socket carries on; try again in a minute.
      if (this.current) this.current.timers.push(setTimeout(() => this.rotate(), 60_000));
      return;
    }
    if (this.successor) {
      // Lost mid-rotation: the successor (open or opening) takes over.
      this.current = this.successor;
      this.successor = undefined;
      if (this.spec.rotateAfterMs) this.current.timers.push(setTimeout(() => this.rotate(), this.spec.rotateAfterMs));
      return;
    }
    if (this.stopped) return;
    if (wasHealthy) this.retries.reset();
    const delay = Math.max(this.extraDelayMs, this.retries.next());
    this.extraDelayMs = 0;
    this.events.retrying(delay, reason);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      if (!this.stopped && !this.current) this.current = this.connect();
    }, delay);
  }

  private dispose(c: Conn, planned: boolean, reason: string): void {
    if (c === this.current) this.current = undefined;
    if (c === this.successor) this.successor = undefined;
    for (const t of c.timers) clearTimeout(t);
    clearTimeout(c.sending);
    c.outbox = [];
    c.ws.removeAllListeners();
    c.ws.on('error', () => undefined); // a late error on a dead socket must not become an uncaught exception
    c.ws.terminate();
    this.events.closed(c.id, planned, reason);
  }
}

/** A ws message as text: a Buffer, an ArrayBuffer or fragments (Buffer[]), decoded as UTF-8. */
export function rawText(data: WebSocket.RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data as ArrayBuffer).toString('utf8');
}
