/**
 * One client WebSocket on the simulator. Owns every timer it starts (heartbeats,
 * idle and lifetime cuts) and clears them all when the socket closes, so nothing
 * outlives a connection.
 */
import { WebSocket } from 'ws';
import type { SimStats } from './types.js';

let nextId = 0;

export class SimConnection {
  readonly id = ++nextId;
  readonly topics = new Set<string>();
  /** A stalled connection keeps its socket but sends nothing, not even pongs. */
  stalled = false;
  lastClientMessageAt = Date.now();
  lastPongAt = Date.now();
  lastSentAt = Date.now();
  /** The venue protocol's per-connection state. */
  venueState: unknown;
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(
    readonly ws: WebSocket,
    readonly url: URL,
    private readonly stats: SimStats,
  ) {
    ws.on('ping', (data: Buffer) => {
      if (!this.stalled) ws.pong(data);
    });
    ws.on('pong', () => {
      this.lastPongAt = Date.now();
    });
    ws.once('close', () => this.dispose());
  }

  get isOpen(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  /** Sends unless stalled or closed; true when sent. */
  send(text: string): boolean {
    if (!this.isOpen) return false;
    if (this.stalled) {
      this.stats.framesStalled++;
      return false;
    }
    this.ws.send(text);
    this.lastSentAt = Date.now();
    this.stats.framesSent++;
    return true;
  }

  /** A repeating timer tied to this connection; returns its cancel function. */
  every(ms: number, fn: () => void): () => void {
    const t = setInterval(fn, ms);
    this.timers.add(t);
    return () => {
      clearInterval(t);
      this.timers.delete(t);
    };
  }

  after(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    this.timers.add(t);
  }

  close(code: number, reason: string): void {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.close(code, reason);
  }

  /** Drops the TCP connection without a close frame, as a network failure would. */
  terminate(): void {
    this.ws.terminate();
  }

  get timerCount(): number {
    return this.timers.size;
  }

  private dispose(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }
}
