/**
 * The pipeline benchmark's collector side, in a worker thread (the collector is a process
 * of its own in production): a JetStreamPublisher with the collector's defaults on its
 * own NATS connection, offering trades on command. See bench/pipeline.ts.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { jetstream } from '@nats-io/jetstream';
import { DEFAULT_BATCH, JetStreamPublisher } from '../src/collector/publisher.js';
import { createLogger } from '../src/core/logger.js';
import { connectNats } from '../src/core/nats.js';
import { sampleTrade } from './records.js';

export const SYMBOLS = ['BTC-USDT', 'ETH-USDT'];
/** Throughput: the publisher's buffer is kept at most this full. */
const BACKLOG = 50_000;

export type Command =
  | { cmd: 'latency'; rate: number; warmupMs: number; ms: number }
  | { cmd: 'throughput' }
  /** Throughput: offer records up to this count (since the throughput run began), no further. */
  | { cmd: 'credit'; upTo: number }
  | { cmd: 'stats' }
  | { cmd: 'stop' }
  | { cmd: 'close' };
export type Reply =
  | { cmd: 'latency'; sent: number; receipts: Record<string, number[]>; warmupEnd: number }
  | { cmd: 'stats'; published: number; offered: number }
  | { cmd: 'stop'; offered: number; published: number }
  | { cmd: 'close' };

/** Trade `i`, received now, on the symbols the bench reads back. */
const benchTrade = (i: number, prefix: string, now: number) => sampleTrade(i, prefix, now, SYMBOLS[i % SYMBOLS.length]!);
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const tick = () => new Promise<void>((r) => setImmediate(r));

if (parentPort) {
  const port = parentPort;
  const log = createLogger({ name: 'bench-publisher', level: 'warn' });
  const nc = await connectNats({ servers: [(workerData as { url: string }).url], name: 'bench-publisher' }, log);
  // The collector's defaults (config/collector.yaml nats: and publish:).
  const publisher = new JetStreamPublisher(jetstream(nc), { maxPending: 2000, bufferMax: 200_000 }, log);
  let offered = 0;
  let credit = 0;
  let running = false;
  let offering: Promise<void> | undefined;
  const reply = (r: Reply) => port.postMessage(r);
  port.on('message', (c: Command) => {
    void (async () => {
      switch (c.cmd) {
        case 'latency': {
          const receipts: Record<string, number[]> = Object.fromEntries(SYMBOLS.map((s) => [s, []]));
          const t0 = Date.now();
          let sent = 0;
          while (Date.now() - t0 < c.warmupMs + c.ms) {
            const due = Math.floor(((Date.now() - t0) * c.rate) / 1000);
            while (sent < due) {
              const now = Date.now();
              const r = benchTrade(sent++, 'lat-', now);
              receipts[r.symbol]!.push(now);
              publisher.publish(r);
            }
            await sleep(5);
          }
          await publisher.flush(60_000);
          reply({ cmd: 'latency', sent, receipts, warmupEnd: t0 + c.warmupMs });
          break;
        }
        case 'throughput':
          running = true;
          offering = (async () => {
            while (running) {
              const now = Date.now();
              const before = offered;
              while (running && offered < credit && publisher.queued + publisher.pendingAcks * DEFAULT_BATCH.maxRecords < BACKLOG)
                publisher.publish(benchTrade(offered++, 'tp-', now));
              // Nothing to offer (no credit, or the buffer full): wait, not spin, as a collector waits for frames.
              if (offered === before) await sleep(2);
              else await tick();
            }
          })();
          break;
        case 'credit':
          credit = c.upTo;
          break;
        case 'stats':
          reply({ cmd: 'stats', published: publisher.published, offered });
          break;
        case 'stop':
          running = false;
          await offering;
          await publisher.flush(120_000);
          reply({ cmd: 'stop', offered, published: publisher.published });
          break;
        case 'close':
          publisher.close();
          await nc.close();
          reply({ cmd: 'close' });
          break;
      }
    })();
  });
}
