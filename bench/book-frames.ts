/**
 * Venue book frames without sockets: the simulator's own generated markets
 * (src/sim), stepped by hand on a simulated clock, their depth frames collected in
 * memory and their REST book snapshots answered in-process. The frames are what the
 * simulator would send over WebSocket, byte for byte.
 */
import type { RecordedBody } from '../src/collector/instruments/types.js';
import type { GenerateOptions } from '../src/sim/generate/feed.js';
import { BinanceUsdmFeed } from '../src/collector/venues/binance/sim/usdm.js';
import { OkxFeed } from '../src/collector/venues/okx/sim/feed.js';
import type { Frame, FramePublisher } from '../src/sim/types.js';

/** Keeps the frames of the chosen topics. */
class Collect implements FramePublisher {
  frames: string[] = [];
  constructor(private readonly topics: ReadonlySet<string>) {}
  publish(f: Frame): void {
    this.frames.push(f.text);
  }
  wants(topic: string): boolean {
    return this.topics.has(topic);
  }
  maxBufferedBytes(): number {
    return 0;
  }
}

export interface BookSource {
  /** Runs `steps` market steps (one push per instrument each) at times now, now+stepMs, ... and returns the frames. */
  frames(steps: number, now: number, stepMs: number): string[];
  /** The venue's REST body for a snapshot URL, taken at the market's current state. */
  snapshot(url: string): string;
  /** The venue's instrument-list bodies (contract sizes), as a capture records them. */
  instruments(): RecordedBody[];
}

interface Steppable {
  stepAt(now: number): void;
  rest(req: { path: string; params: URLSearchParams }): { status: number; body: string } | Promise<unknown>;
}

class UsdmSteps extends BinanceUsdmFeed {
  stepAt(now: number): void {
    this.step(now);
  }
}

class OkxSteps extends OkxFeed {
  stepAt(now: number): void {
    this.step(now);
  }
}

function source(feed: Steppable, out: Collect, instrumentUrls: string[]): BookSource {
  const get = (url: string) => {
    const u = new URL(url);
    const reply = feed.rest({ path: u.pathname, params: u.searchParams });
    if (reply instanceof Promise || reply.status !== 200) throw new Error(`${url} not answered`);
    return reply.body;
  };
  return {
    instruments: () => instrumentUrls.map((url) => ({ url, body: get(url) })),
    frames(steps, now, stepMs) {
      out.frames = [];
      for (let i = 0; i < steps; i++) feed.stepAt(now + i * stepMs);
      return out.frames;
    },
    snapshot: get,
  };
}

/** Binance USDⓈ-M `@depth@0ms` diffs (U/u/pu chained) for `symbols`. */
export function usdmBookSource(opts: GenerateOptions): BookSource {
  const symbols = opts.symbols ?? ['BTC-USDT'];
  const out = new Collect(new Set(symbols.map((s) => `${s.replace('-', '').toLowerCase()}@depth@0ms`)));
  return source(new UsdmSteps(opts, out, { restWeightPerMin: 1e9 }), out, ['http://sim/fapi/v1/exchangeInfo']);
}

/** OKX `books` updates (seqId/prevSeqId; mode '2025' adds the CRC32 checksum) for the spot pair and swap of `symbols`. */
export function okxBookSource(opts: GenerateOptions): BookSource {
  const symbols = opts.symbols ?? ['BTC-USDT'];
  const out = new Collect(new Set(symbols.flatMap((s) => [`books/${s}`, `books/${s}-SWAP`])));
  return source(
    new OkxSteps(opts, out),
    out,
    ['SPOT', 'SWAP'].map((t) => `http://sim/api/v5/public/instruments?instType=${t}`),
  );
}
