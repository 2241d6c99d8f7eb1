/**
 * The clock of a generated session: `step` (one book push per instrument, with the
 * trades of that step) at `ratePerSec`, and `periodic` (funding, mark price, open
 * interest, liquidations, DVOL) every `periodicMs`. High rates are met by running
 * several steps per timer tick; while a client's send buffer is over the high-water
 * mark, steps are skipped rather than buffered without bound.
 */
import type { SimConnection } from '../connection.js';
import type { Feed, FramePublisher, RestReply, RestRequest } from '../types.js';
import { Rng } from './rng.js';

export interface GenerateOptions {
  seed: number;
  /** Normalized symbols, e.g. BTC-USDT (Deribit uses the base: BTC-PERPETUAL, btc_usd). Default BTC-USDT, ETH-USDT. */
  symbols?: string[];
  /** Book pushes per second per instrument (each with 0-2 trades). Default 10. */
  ratePerSec?: number;
  /** Interval of funding, mark price, open interest, liquidation and DVOL messages. Default 1000. */
  periodicMs?: number;
  /** OKX books: '2026' (default) no pushed snapshot and checksum 0; '2025' pushed snapshot and CRC32 checksum. */
  okxMode?: '2025' | '2026';
  /** Levels kept per side of every book. Default 100. */
  bookLevels?: number;
  /**
   * Book updates per push, a random integer in [low, high] each push (each update sets
   * or removes one level near the top; a few land on the same level). Default [1, 3]:
   * 2-3 levels a diff. Real venues' 100 ms diffs carry tens of levels: [20, 40].
   */
  diffUpdates?: readonly [number, number];
}

export const DEFAULT_SYMBOLS = ['BTC-USDT', 'ETH-USDT'];
const HIGH_WATER_BYTES = 8 * 1024 * 1024;
const MAX_TIMER_MS = 100;

export abstract class GeneratedFeed implements Feed {
  protected readonly rng: Rng;
  protected readonly seed: number;
  protected readonly symbols: string[];
  protected readonly bookLevels: number;
  private readonly rate: number;
  private readonly periodicMs: number;
  private stepTimer: NodeJS.Timeout | undefined;
  private periodicTimer: NodeJS.Timeout | undefined;
  private lastFire = 0;
  private carry = 0;
  /** Timer ticks skipped because a client could not keep up. */
  backpressureSkips = 0;

  constructor(
    opts: GenerateOptions,
    protected readonly publisher: FramePublisher,
  ) {
    if (!Number.isInteger(opts.seed)) throw new RangeError(`generate.seed must be an integer, got ${opts.seed}`);
    this.seed = opts.seed;
    this.rng = new Rng(opts.seed);
    this.symbols = opts.symbols ?? DEFAULT_SYMBOLS;
    if (this.symbols.length === 0 || !this.symbols.every((s) => /^[A-Z0-9]+(-[A-Z0-9]+)?$/.test(s))) {
      throw new RangeError(`generate.symbols must be like BTC-USDT, got ${JSON.stringify(this.symbols)}`);
    }
    this.rate = opts.ratePerSec ?? 10;
    if (!(this.rate > 0)) throw new RangeError(`generate.ratePerSec must be positive, got ${this.rate}`);
    this.periodicMs = opts.periodicMs ?? 1000;
    if (!(this.periodicMs >= 1)) throw new RangeError(`generate.periodicMs must be >= 1, got ${this.periodicMs}`);
    this.bookLevels = opts.bookLevels ?? 100;
    if (!(this.bookLevels >= 2 && this.bookLevels <= 400)) throw new RangeError(`generate.bookLevels must be 2..400, got ${this.bookLevels}`);
  }

  start(): void {
    this.lastFire = Date.now();
    this.stepTimer = setInterval(() => this.fire(), Math.max(1, Math.min(MAX_TIMER_MS, Math.floor(1000 / this.rate))));
    this.periodicTimer = setInterval(() => this.periodic(Date.now()), this.periodicMs);
  }

  stop(): void {
    clearInterval(this.stepTimer);
    clearInterval(this.periodicTimer);
    this.stepTimer = this.periodicTimer = undefined;
  }

  abstract knows(topic: string): boolean;
  abstract subscribing(conn: SimConnection, topic: string): void;
  abstract rest(req: RestRequest): RestReply | Promise<RestReply>;
  /** One book push per instrument, with that step's trades. */
  protected abstract step(now: number): void;
  protected abstract periodic(now: number): void;

  private fire(): void {
    const now = Date.now();
    const budget = ((now - this.lastFire) * this.rate) / 1000 + this.carry;
    this.lastFire = now;
    if (this.publisher.maxBufferedBytes() > HIGH_WATER_BYTES) {
      this.backpressureSkips++;
      this.carry = 0;
      return;
    }
    // After a long pause (a blocked event loop) catch up by at most a fifth of a second.
    const cap = Math.max(1, Math.ceil(this.rate / 5));
    const steps = Math.min(cap, Math.floor(budget));
    this.carry = steps === cap ? 0 : budget - steps;
    for (let i = 0; i < steps; i++) this.step(now);
  }
}
