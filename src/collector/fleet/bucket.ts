/**
 * The lease bucket: a JetStream key-value bucket (config/streams.yaml `kv_buckets`, stream
 * `KV_<bucket>`), used the way NATS KV uses one, on @nats-io/jetstream alone:
 *   - every write is a JetStream publish to `$KV.<bucket>.<key>` with a per-message TTL
 *     (`Nats-TTL`); a key not written again within it expires and the server leaves a
 *     delete marker (`Nats-Marker-Reason`), which is how the members learn of it;
 *   - create and compare-and-swap are publishes with an expected last sequence for the key
 *     (`Nats-Expected-Last-Subject-Sequence`: 0 for "absent", else the revision read):
 *     the broker decides who won, nobody else;
 *   - the members read the bucket by watching it: an ordered consumer, last value per key
 *     first, then every change, kept in `entries`.
 * A write's answer can come after the watch has brought later writes of other members (the
 * answer and the deliveries travel separately, more so in a cluster): a lower revision than
 * one seen is not by itself a sign the bucket was made anew, so the stream's creation time
 * decides (`verifySame`).
 */
import { DeliverPolicy, JetStreamApiError, jetstream, type ConsumerMessages, type JetStreamClient, type JsMsg } from '@nats-io/jetstream';
import { headers, type NatsConnection } from '@nats-io/transport-node';
import { logsFailure, retryUntil } from '../../core/retry.js';
import { kvStreamName, kvSubjectPrefix } from '../../core/streams.js';

/** JetStream's "wrong last sequence" (a compare-and-swap lost). */
const WRONG_LAST_SEQUENCE = 10071;

export interface KvEntry {
  key: string;
  /** The stream sequence of the key's last message: what a compare-and-swap expects. */
  revision: number;
  /** Deleted, or expired (the server's marker). */
  deleted: boolean;
  value: unknown;
}

export class LeaseBucket {
  readonly stream: string;
  private readonly prefix: string;
  private readonly js: JetStreamClient;
  /** The last entry of every key seen, deleted ones too (their revision is what a create expects). */
  readonly entries = new Map<string, KvEntry>();
  /** The watch has delivered every key that existed when it started. */
  caughtUp = false;
  private messages: ConsumerMessages | undefined;
  private readonly closing = new AbortController();
  /** The highest revision seen: a write answered with a lower one may mean the bucket was made anew. */
  private highest = 0;
  /** The bucket stream's creation time when the watch started: another one means it was made anew. */
  private created: string | undefined;
  private verifying = false;
  /** Writes answered with a lower revision than one the watch had brought already (stats; a test reads it). */
  lateAnswers = 0;
  /** Times the bucket was found made anew (its stream's creation time changed). */
  remade = 0;
  /** Told when the watch ended under us and is being made again (for a log line). */
  onWatchLost: ((why: string) => void) | undefined;

  constructor(
    nc: NatsConnection,
    readonly bucket: string,
  ) {
    this.stream = kvStreamName(bucket);
    this.prefix = kvSubjectPrefix(bucket);
    this.js = jetstream(nc);
  }

  /** Throws (naming the bucket) when the broker has no such bucket. */
  async check(): Promise<void> {
    try {
      await this.js.streams.get(this.stream);
    } catch (err) {
      throw new Error(
        `key-value bucket ${this.bucket} (stream ${this.stream}) not reachable: ${(err as Error).message}; is it in streams.yaml kv_buckets and reconciled (marketprism streams ensure)?`,
      );
    }
  }

  /**
   * Starts watching; once caught up, `changed` with every entry not written by this process
   * and what was known of its key before. Resumes on its own after a reconnect (ordered consumer).
   */
  async watch(changed: (e: KvEntry, before: KvEntry | undefined) => void): Promise<void> {
    const created = await this.createdAt();
    if (this.created !== undefined && created !== this.created) this.forget();
    this.created = created;
    const consumer = await this.js.consumers.get(this.stream, { filter_subjects: [`${this.prefix}>`], deliver_policy: DeliverPolicy.LastPerSubject });
    if ((await consumer.info(true)).num_pending === 0) this.caughtUp = true;
    const messages = (this.messages = await consumer.consume());
    const remade = this.remade;
    void (async () => {
      let failure: Error | undefined;
      try {
        for await (const m of messages) {
          if (this.remade !== remade) break; // what is still buffered is of the old bucket
          const e = this.entryOf(m);
          const before = this.entries.get(e.key);
          this.remember(e);
          const caughtUp = this.caughtUp;
          if (m.info.pending === 0) this.caughtUp = true;
          if (caughtUp && (!before || before.revision < e.revision)) changed(e, before);
        }
      } catch (err) {
        failure = err as Error;
      }
      if (this.closing.signal.aborted) return;
      // The watch ended under us (the bucket's stream deleted and made again, a consumer the
      // client could not recreate): watch again, the last value of every key first. What is
      // known meanwhile stays; a later revision replaces it.
      this.onWatchLost?.(failure?.message ?? 'the watch ended');
      await retryUntil(() => this.watch(changed), {
        initialMs: 500,
        maxMs: 10_000,
        signal: this.closing.signal,
        onError: (err, attempt) => {
          if (logsFailure(attempt)) this.onWatchLost?.(err.message);
        },
      }).catch(() => undefined);
    })();
  }

  private entryOf(m: JsMsg): KvEntry {
    const op = m.headers?.get('KV-Operation');
    const deleted = op === 'DEL' || op === 'PURGE' || Boolean(m.headers?.get('Nats-Marker-Reason'));
    let value: unknown;
    if (!deleted && m.data.length > 0) {
      try {
        value = m.json();
      } catch {
        value = undefined; // not ours: treated as a value nobody can claim by
      }
    }
    return { key: m.subject.slice(this.prefix.length), revision: m.seq, deleted, value };
  }

  /** Keeps `e` unless a later revision of its key is known already (our own writes are remembered before the watch brings them). */
  private remember(e: KvEntry): void {
    const known = this.entries.get(e.key);
    if (!known || known.revision <= e.revision) this.entries.set(e.key, e);
    this.highest = Math.max(this.highest, e.revision);
  }

  /**
   * A write's revision. Lower than one seen before: either the answer came after the watch
   * brought later writes (common, harmless) or the bucket's stream was deleted and made again
   * (its sequences start over). `verifySame` tells them apart by the stream's creation time.
   */
  private written(revision: number): number {
    if (revision < this.highest) {
      this.lateAnswers++;
      void this.verifySame();
    }
    return revision;
  }

  /**
   * Made anew (another creation time): everything known is void and the watch (an ordered
   * consumer, which would resume past the old sequence) starts over. Unreachable: nothing is
   * concluded; the next late answer asks again.
   */
  private async verifySame(): Promise<void> {
    if (this.verifying || this.created === undefined) return;
    this.verifying = true;
    try {
      if ((await this.createdAt()) === this.created) return;
      this.forget();
      void this.messages?.close();
    } catch {
      // NATS away or the stream missing for now: the watch's own end or the next late answer decides.
    } finally {
      this.verifying = false;
    }
  }

  /** When the bucket's stream was created (the broker's word): another time, another bucket. */
  private async createdAt(): Promise<string> {
    return (await (await this.js.streams.get(this.stream)).info(true)).created;
  }

  /** The bucket was made anew: what was known of the old one is void, and its revisions too. */
  private forget(): void {
    this.remade++;
    this.created = undefined;
    this.entries.clear();
    this.highest = 0;
    this.caughtUp = false;
  }

  /** The live value of `key` (not deleted, not expired), or undefined. */
  get(key: string): KvEntry | undefined {
    const e = this.entries.get(key);
    return e && !e.deleted ? e : undefined;
  }

  /** Keys under `prefix` with a live value. */
  live(prefix: string): KvEntry[] {
    return [...this.entries.values()].filter((e) => !e.deleted && e.key.startsWith(prefix));
  }

  async put(key: string, value: unknown, ttlMs: number): Promise<number> {
    const revision = this.written((await this.js.publish(this.prefix + key, JSON.stringify(value), { ttl: ttl(ttlMs) })).seq);
    this.remember({ key, revision, deleted: false, value });
    return revision;
  }

  /**
   * Writes `key` if its last message is still `revision` (0: it has none; a deleted or
   * expired key: the marker's revision). The new revision, or undefined when another write
   * came first.
   */
  async swap(key: string, value: unknown, revision: number, ttlMs: number): Promise<number | undefined> {
    try {
      const next = this.written(
        (await this.js.publish(this.prefix + key, JSON.stringify(value), { ttl: ttl(ttlMs), expect: { lastSubjectSequence: revision } })).seq,
      );
      this.remember({ key, revision: next, deleted: false, value });
      return next;
    } catch (err) {
      if (!(err instanceof JetStreamApiError && err.code === WRONG_LAST_SEQUENCE)) throw err;
      // The marker of an expired key is itself removed after marker_ttl: the key then has no
      // message at all, which the watch does not see. The answer says so ("... sequence: 0").
      if (revision !== 0 && /: 0$/.test(err.message)) return this.swap(key, value, 0, ttlMs);
      return undefined;
    }
  }

  /** Creates `key` if absent (never written, deleted, or expired as far as the watch knows). */
  async create(key: string, value: unknown, ttlMs: number): Promise<number | undefined> {
    const e = this.entries.get(key);
    if (e && !e.deleted) return undefined;
    return this.swap(key, value, e?.revision ?? 0, ttlMs);
  }

  /** Deletes `key` if it is still at `revision`; the delete marker expires after `ttlMs`. */
  async delete(key: string, revision: number, ttlMs: number): Promise<boolean> {
    const h = headers();
    h.set('KV-Operation', 'DEL');
    try {
      const next = this.written(
        (await this.js.publish(this.prefix + key, undefined, { headers: h, ttl: ttl(ttlMs), expect: { lastSubjectSequence: revision } })).seq,
      );
      this.remember({ key, revision: next, deleted: true, value: undefined });
      return true;
    } catch (err) {
      if (err instanceof JetStreamApiError && err.code === WRONG_LAST_SEQUENCE) return false;
      throw err;
    }
  }

  async close(): Promise<void> {
    this.closing.abort();
    await this.messages?.close();
  }
}

/** JetStream TTLs are whole seconds (config.ts checks lease_ttl is). */
const ttl = (ms: number) => `${Math.max(1, Math.ceil(ms / 1000))}s`;
