/**
 * Replays a capture as the exchange: the recorded frames of the topics a client
 * subscribed to, in receipt order, paced by their receipt times (scaled by `speed`,
 * or as fast as possible), and the recorded REST bodies in step with them.
 *
 * In step means: a client asking for a book snapshot gets the recorded body only
 * after every frame received before it in the recording (the stream is fast-
 * forwarded to it if need be), and the stream holds at a recorded snapshot of a
 * subscribed book until the client fetches it (or `holdTimeoutMs` passes). So the
 * client sees what the live client saw: diffs buffered before the snapshot, the
 * first diff that straddles it, and so on.
 *
 * The timeline starts at the first subscription (or snapshot request), with the
 * capture's first connection open as time zero. It is one session: a client that
 * reconnects continues where the recording is, as it would live.
 */
import { readCaptureFiles } from '../../capture/format.js';
import type { Logger } from '../../core/logger.js';
import type { SimConnection } from '../connection.js';
import type { Hub } from '../hub.js';
import type { VenueProtocol } from '../protocol.js';
import { jsonReply, type Feed, type Frame, type RestReply, type RestRequest, type SimStats } from '../types.js';
import { RecordedBodies } from './rest-bodies.js';

export interface ReplayOptions {
  /** 1 = as recorded (default), 10 = ten times faster, 0 or Infinity = as fast as possible. */
  speed?: number;
  /** Hold the stream at a recorded snapshot of a subscribed book until it is fetched (default true). */
  holdForSnapshots?: boolean;
  /** Longest hold (default 10 s). */
  holdTimeoutMs?: number;
}

const HIGH_WATER_BYTES = 8 * 1024 * 1024;
const YIELD_EVERY = 64;

export class ReplayFeed implements Feed {
  readonly done: Promise<void>;
  private readonly speed: number;
  private readonly hold: boolean;
  private readonly holdTimeoutMs: number;
  private started = false;
  private stopped = false;
  private startSignal!: () => void;
  private readonly startPromise = new Promise<void>((r) => (this.startSignal = r));
  /** Wakes the timeline from a pacing sleep or a hold. */
  private wake: (() => void) | undefined;
  private sleepTimer: NodeJS.Timeout | undefined;
  /** Ordinal of the next recorded body the stream will reach. */
  private httpSeen = 0;
  /** Deliver without pacing until the body with this ordinal is reached. */
  private fastForwardTo = -1;
  private readonly reachedWaiters = new Map<number, (() => void)[]>();

  private constructor(
    private readonly paths: string[],
    options: ReplayOptions,
    private readonly protocol: VenueProtocol,
    private readonly hub: Hub,
    private readonly stats: SimStats,
    private readonly bodies: RecordedBodies,
    private readonly topics: Set<string>,
    private readonly t0: number,
    /** The capture's `configuration:` lines: what the recorder subscribed to. */
    readonly configuration: string[],
    private readonly logger: Logger | undefined,
  ) {
    const speed = options.speed ?? 1;
    if (!(speed >= 0)) throw new RangeError(`replay speed must be >= 0, got ${speed}`);
    this.speed = speed === 0 ? Infinity : speed;
    this.hold = options.holdForSnapshots ?? true;
    this.holdTimeoutMs = options.holdTimeoutMs ?? 10_000;
    this.done = this.run();
    this.done.catch(() => undefined); // reported through `done` to whoever awaits it
  }

  /** Reads the capture once to index its REST bodies and topics; frames are streamed later. */
  static async open(paths: string[], options: ReplayOptions, protocol: VenueProtocol, hub: Hub, stats: SimStats, logger?: Logger): Promise<ReplayFeed> {
    if (paths.length === 0) throw new RangeError('replay needs at least one capture file');
    const bodies = new RecordedBodies(protocol);
    const topics = new Set<string>();
    const configuration: string[] = [];
    let t0: number | undefined;
    for await (const e of readCaptureFiles(paths)) {
      if (e.kind === 'http') bodies.add(e.url, e.at, e.body);
      else if (e.kind === 'config') configuration.push(e.text);
      else if (e.kind === 'open') t0 ??= e.at;
      else if (e.kind === 'recv') {
        t0 ??= e.at;
        const c = classify(protocol, e.text);
        if (c) topics.add(c.topic);
      }
    }
    return new ReplayFeed(paths, options, protocol, hub, stats, bodies, topics, t0 ?? Infinity, configuration, logger);
  }

  knows(topic: string): boolean {
    return this.topics.has(topic);
  }

  subscribing(_conn: SimConnection, _topic: string): void {
    this.start();
  }

  async rest(req: RestRequest): Promise<RestReply> {
    const snapshot = this.protocol.snapshotEndpoint(req);
    if (!snapshot) {
      const ref = this.bodies.reference(req);
      return ref ? { status: 200, body: ref.body } : notRecorded(req);
    }
    const i = this.bodies.nextSnapshot(snapshot);
    if (i === undefined) return notRecorded(req);
    const rec = this.bodies.list[i]!;
    rec.consumed = true;
    if (!rec.reached) {
      this.start();
      this.fastForwardTo = Math.max(this.fastForwardTo, i);
      this.wake?.();
      await new Promise<void>((resolve) => {
        const list = this.reachedWaiters.get(i) ?? [];
        list.push(resolve);
        this.reachedWaiters.set(i, list);
      });
    }
    this.wake?.();
    return { status: 200, body: rec.body };
  }

  stop(): void {
    this.stopped = true;
    this.startSignal();
    this.wake?.();
    for (const list of this.reachedWaiters.values()) for (const r of list) r();
    this.reachedWaiters.clear();
  }

  private start(): void {
    if (this.started) return;
    this.started = true;
    this.startSignal();
  }

  private async run(): Promise<void> {
    await this.startPromise;
    if (this.stopped) return;
    let anchorWall = Date.now();
    let anchorAt = this.t0;
    let sinceYield = 0;
    try {
      for await (const e of readCaptureFiles(this.paths)) {
        if (this.stopped) return;
        if (e.kind !== 'recv' && e.kind !== 'http') continue;
        // Pace by receipt time, unless a client is waiting for a body further on.
        while (this.speed !== Infinity && e.at > this.t0) {
          if (this.fastForwardTo >= this.httpSeen) {
            anchorWall = Date.now();
            anchorAt = e.at;
            break;
          }
          const wait = anchorWall + ((e.at - anchorAt) * 1000) / this.speed - Date.now();
          if (wait < 1) break;
          await this.sleep(wait);
          if (this.stopped) return;
        }
        if (e.kind === 'recv') {
          const c = classify(this.protocol, e.text);
          if (c) {
            this.hub.publish({ ...c, text: e.text });
            this.stats.replayFrames++;
          }
        } else if (await this.reach(this.httpSeen++)) {
          anchorWall = Date.now();
          anchorAt = e.at;
        }
        if (++sinceYield >= YIELD_EVERY) {
          sinceYield = 0;
          await new Promise<void>((r) => setImmediate(r));
          while (!this.stopped && this.hub.maxBufferedBytes() > HIGH_WATER_BYTES) await this.sleep(5);
        }
      }
    } catch (err) {
      this.logger?.error({ err }, 'replay failed');
      throw err;
    } finally {
      this.stats.replayDone = true;
      this.stop();
    }
  }

  /** The stream reaches recorded body `i`; true when it held there for the client. */
  private async reach(i: number): Promise<boolean> {
    const rec = this.bodies.list[i]!;
    rec.reached = true;
    for (const r of this.reachedWaiters.get(i) ?? []) r();
    this.reachedWaiters.delete(i);
    const snapshot = rec.snapshot;
    if (!this.hold || !snapshot || rec.consumed || this.fastForwardTo > i || !this.hub.hasSubscriber((t) => snapshot.isBookTopic(t))) return false;
    const deadline = Date.now() + this.holdTimeoutMs;
    while (!rec.consumed && this.fastForwardTo <= i && !this.stopped) {
      const left = deadline - Date.now();
      if (left <= 0) {
        this.logger?.warn({ url: rec.url }, 'replay: recorded snapshot not fetched; going on');
        break;
      }
      await this.sleep(left);
    }
    return true;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(this.sleepTimer);
        this.sleepTimer = undefined;
        this.wake = undefined;
        resolve();
      };
      this.wake = done;
      this.sleepTimer = setTimeout(done, ms);
    });
  }
}

function classify(protocol: VenueProtocol, text: string): Pick<Frame, 'topic' | 'kind'> | undefined {
  try {
    return protocol.classify(text);
  } catch {
    return undefined; // not JSON (e.g. a recorded "pong"): not market data
  }
}

function notRecorded(req: RestRequest): RestReply {
  return jsonReply({ code: -1, msg: `replay: no recorded response (left) for ${req.path}?${req.params.toString()}` }, 404);
}
