/**
 * Order-book apply throughput of the collector, in-process: Binance USDⓈ-M depth
 * diffs and OKX `books` updates (today's protocol, and 2025's with a CRC32 checksum on
 * every push) through the real adapter (VenueSession: JSON parse, sync rule, book,
 * publish_interval records). Frames come from the simulator's generated market
 * (bench/book-frames.ts), made in chunks outside the timed part. Heap is read after a
 * full GC at the start and after each quarter of the run: it must stay flat.
 */
import { catalogFromBodies, type InstrumentCatalog } from '../src/collector/instruments/catalog.js';
import type { SnapshotRequest } from '../src/collector/adapter.js';
import { VenueSession } from '../src/collector/session.js';
import { protocolOf, type VenueKind } from '../src/collector/venues/registry.js';
import { okxBookSource, usdmBookSource, type BookSource } from './book-frames.js';
import { fmt, gcAvailable, heapAfterGc, load1, mib, perSecond, Stopwatch } from './measure.js';
import type { Bench, BenchResult } from './registry.js';

/** Simulated time between two pushes of one book: 100 pushes/s per book, as `@depth@0ms` or `books-l2-tbt`. */
const PUSH_MS = 10;
const CHUNK_STEPS = 5_000;
/** Levels per side in the simulated books and in every published record (the config default). */
const LEVELS = 400;
const PUBLISH_INTERVAL_MS = 100;

interface CaseResult {
  diffs: number;
  levels: number;
  records: number;
  ms: number;
  cpuMs: number;
  heapStart: number;
  heapEndLive: number;
  heapEnd: number;
  heapMax: number;
  /** Heap after GC at each quarter of the run. */
  heapSeries: number[];
}

function levelsIn(frame: string): number {
  const m = JSON.parse(frame) as { data: { b?: unknown[]; a?: unknown[] } | { bids: unknown[]; asks: unknown[] }[] };
  if (Array.isArray(m.data)) return m.data.reduce((n, d) => n + d.bids.length + d.asks.length, 0);
  return (m.data.b?.length ?? 0) + (m.data.a?.length ?? 0);
}

function runCase(kind: VenueKind, src: BookSource, books: number, steps: number, catalog: InstrumentCatalog | undefined): CaseResult {
  let now = Date.now();
  let records = 0;
  const asked: SnapshotRequest[] = [];
  const { adapter, emitter, problems } = new VenueSession({
    venue: kind,
    settings: { depth: LEVELS, restUrl: 'http://sim', snapshotLimit: kind === 'okx' ? 400 : 1000, tickerIntervalMs: 0, publishIntervalMs: PUBLISH_INTERVAL_MS },
    env: { now: () => now, requestSnapshot: (r) => asked.push(r), send: () => undefined, instrument: (w) => catalog?.get(w) },
    events: { record: () => records++ },
  });
  const frameMs = PUSH_MS / books;
  const feed = (frames: string[]) => {
    for (const f of frames) {
      now += frameMs;
      emitter.tick(now);
      adapter.onMessage('bench', f);
      // Snapshots are answered at once from the market's current state (only at sync).
      while (asked.length) {
        const req = asked.shift()!;
        adapter.onSnapshot(req.key, src.snapshot(req.url));
      }
    }
  };
  // Sync every book one push at a time (the snapshot must fall between the pushes), then
  // one untimed chunk: the books fill up to their size and the code is compiled.
  for (let i = 0; i < 50; i++) feed(src.frames(1, now, PUSH_MS));
  if (records === 0) throw new Error(`${kind}: no book synced`);
  feed(src.frames(Math.min(CHUNK_STEPS, steps), now, PUSH_MS));
  records = 0;

  const heapStart = heapAfterGc();
  const heapSeries: number[] = [];
  const clock = new Stopwatch();
  let diffs = 0;
  let levels = 0;
  let heapEndLive = 0;
  const checkpoint = Math.max(1, Math.floor(steps / CHUNK_STEPS / 4));
  for (let chunk = 0, done = 0; done < steps; chunk++) {
    const n = Math.min(CHUNK_STEPS, steps - done);
    const frames = src.frames(n, now, PUSH_MS);
    for (const f of frames) levels += levelsIn(f);
    diffs += frames.length;
    done += n;
    clock.time(() => feed(frames));
    if ((chunk + 1) % checkpoint === 0 || done >= steps) {
      heapEndLive = mib(process.memoryUsage().heapUsed);
      heapSeries.push(heapAfterGc());
    }
  }
  const bad = [...problems.counts].filter(([k]) => k !== 'unsupported');
  if (bad.length) throw new Error(`${kind}: book problems during the run: ${JSON.stringify(Object.fromEntries(bad))}`);
  return {
    diffs,
    levels,
    records,
    ms: clock.ms,
    cpuMs: clock.cpuMs,
    heapStart,
    heapEndLive,
    heapEnd: heapAfterGc(),
    heapMax: Math.max(heapStart, ...heapSeries),
    heapSeries,
  };
}

export const collectorBookBench: Bench = {
  name: 'collector-book',
  async run(smoke, mode = 'full') {
    // Steps (one push per book each); making the 2025 OKX frames costs the simulator a sort per push.
    const steps = (full: number) => (smoke ? 1_000 : mode === 'quick' ? full / 5 : full);
    const cases: [string, VenueKind, BookSource, number, number][] = [
      ['binance_usdm', 'binance-usdm', usdmBookSource({ seed: 1, symbols: ['BTC-USDT', 'ETH-USDT'], bookLevels: LEVELS }), 2, steps(100_000)],
      ['okx', 'okx', okxBookSource({ seed: 1, symbols: ['BTC-USDT'], bookLevels: LEVELS }), 2, steps(100_000)],
      ['okx_checksum', 'okx', okxBookSource({ seed: 1, symbols: ['BTC-USDT'], bookLevels: LEVELS, okxMode: '2025' }), 2, steps(40_000)],
    ];
    const out: BenchResult = { summary: '', load1_start: load1(), gc: gcAvailable ? 'forced' : 'unavailable' };
    const parts: string[] = [];
    for (const [name, kind, src, books, n] of cases) {
      // Contract sizes from the simulator's own instrument list, as a capture carries them.
      const catalog = protocolOf(kind).needsInstruments ? await catalogFromBodies(kind, src.instruments()) : undefined;
      const r = runCase(kind, src, books, n, catalog);
      const dps = perSecond(r.diffs, r.ms);
      const lps = perSecond(r.levels, r.ms);
      Object.assign(out, {
        [`${name}_diffs`]: r.diffs,
        [`${name}_diffs_per_second`]: dps,
        [`${name}_levels_per_second`]: lps,
        [`${name}_diffs_per_cpu_second`]: perSecond(r.diffs, r.cpuMs),
        [`${name}_levels_per_diff`]: Math.round((r.levels / r.diffs) * 10) / 10,
        [`${name}_records`]: r.records,
        [`${name}_heap_start_mb`]: r.heapStart,
        [`${name}_heap_end_before_gc_mb`]: r.heapEndLive,
        [`${name}_heap_end_after_gc_mb`]: r.heapEnd,
        [`${name}_heap_max_after_gc_mb`]: r.heapMax,
        [`${name}_heap_after_gc_series_mb`]: r.heapSeries.join(' '),
      });
      parts.push(
        `${name} ${fmt(dps)} diffs/s (${fmt(lps)} levels/s; ${fmt(perSecond(r.diffs, r.cpuMs))} per CPU-second) over ${fmt(r.diffs)}, heap after GC ${r.heapStart}→${r.heapEnd} MiB`,
      );
    }
    out.load1_end = load1();
    out.summary = `${parts.join('; ')} (${LEVELS}-level books, publish_interval ${PUBLISH_INTERVAL_MS} ms)`;
    return out;
  },
};
