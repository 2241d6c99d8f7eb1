/**
 * JetStream streams as configured in streams.yaml, reconciled idempotently:
 * missing → add, different → update, same → nothing. A change JetStream cannot
 * make in place (storage type, retention) is reported, never forced by deleting data.
 *
 * Key-value buckets (`kv_buckets:`, the collector fleet's leases) are streams too, as
 * NATS KV lays them out (`KV_<bucket>` on `$KV.<bucket>.>`, one message per key, direct
 * get, rollups), with per-message TTLs and the server's delete markers when one expires:
 * the same spec, the same reconcile, the same cluster replicas.
 */
import { DiscardPolicy, JetStreamApiError, JetStreamApiCodes, RetentionPolicy, StorageType, jetstreamManager, type StreamConfig } from '@nats-io/jetstream';
import { ConfigProblems, type ConfigReader } from './config.js';
import type { NatsConnection } from './nats.js';

export interface StreamSpec {
  name: string;
  subjects: string[];
  storage: 'file' | 'memory';
  retention: 'limits' | 'interest' | 'workqueue';
  discard: 'old' | 'new';
  max_age_ms: number;
  max_msgs: number;
  max_bytes: number;
  max_msg_size: number;
  duplicate_window_ms: number;
  num_replicas: number;
  /** A key-value bucket: the stream is `KV_<bucket>`; an expired key leaves a marker kept marker_ttl. */
  kv?: { bucket: string; marker_ttl_ms: number };
}

/** The stream that holds a key-value bucket, and the subject prefix of its keys. */
export const kvStreamName = (bucket: string) => `KV_${bucket}`;
export const kvSubjectPrefix = (bucket: string) => `$KV.${bucket}.`;

export function loadStreamSpecs(file: string): StreamSpec[] {
  const problems = new ConfigProblems();
  const root = problems.readFile(file);
  const specs = root ? readStreamSpecs(root) : [];
  problems.throwIfAny();
  return specs;
}

/** JetStream keeps durations as int64 nanoseconds. */
const JETSTREAM_MAX_DURATION_MS = Math.floor(Number((2n ** 63n - 1n) / 1_000_000n));

/** The streams of a streams.yaml reader; problems go to the reader (see ConfigReader). */
export function readStreamSpecs(root: ConfigReader): StreamSpec[] {
  const specs = root.list('streams').map((s) => {
    const spec: StreamSpec = {
      name: s.string('name'),
      subjects: s.strings('subjects'),
      storage: s.oneOf('storage', ['file', 'memory'] as const, 'file'),
      retention: s.oneOf('retention', ['limits', 'interest', 'workqueue'] as const, 'limits'),
      discard: s.oneOf('discard', ['old', 'new'] as const, 'old'),
      max_age_ms: s.durationMs('max_age', 0, JETSTREAM_MAX_DURATION_MS),
      max_msgs: s.int('max_msgs', -1, -1),
      max_bytes: s.bytes('max_bytes', -1),
      max_msg_size: s.bytes('max_msg_size', -1),
      duplicate_window_ms: s.durationMs('duplicate_window', '2m', JETSTREAM_MAX_DURATION_MS),
      num_replicas: s.int('num_replicas', 1, 1, 5),
    };
    if (!/^[A-Za-z0-9_-]+$/.test(spec.name)) s.fail('name', `invalid stream name ${JSON.stringify(spec.name)}`);
    if (spec.subjects.length === 0) s.fail('subjects', 'a stream needs at least one subject');
    if (spec.max_age_ms > 0 && spec.duplicate_window_ms > spec.max_age_ms) {
      s.fail('duplicate_window', `${spec.duplicate_window_ms} ms is longer than max_age (${spec.max_age_ms} ms); JetStream refuses such a stream`);
    }
    if (spec.max_msg_size > 0 && spec.max_bytes > 0 && spec.max_msg_size > spec.max_bytes) {
      s.fail('max_msg_size', `${spec.max_msg_size} bytes is more than the stream's max_bytes (${spec.max_bytes}); no message that large could be kept`);
    }
    s.done();
    return spec;
  });
  if (specs.length === 0) root.fail('streams', 'no streams configured');
  const buckets = root.list('kv_buckets').map((b): StreamSpec => {
    const bucket = b.string('bucket');
    if (!/^[A-Za-z0-9_-]+$/.test(bucket)) b.fail('bucket', `expected letters, digits, _ and - only, got ${JSON.stringify(bucket)}`);
    const spec: StreamSpec = {
      name: kvStreamName(bucket),
      subjects: [`${kvSubjectPrefix(bucket)}>`],
      storage: b.oneOf('storage', ['file', 'memory'] as const, 'file'),
      retention: 'limits',
      discard: 'old',
      max_age_ms: 0,
      max_msgs: -1,
      max_bytes: b.bytes('max_bytes', -1),
      max_msg_size: b.bytes('max_value_size', -1),
      duplicate_window_ms: 120_000, // JetStream's default; leases carry no Nats-Msg-Id
      num_replicas: b.int('num_replicas', 1, 1, 5),
      kv: { bucket, marker_ttl_ms: b.durationMs('marker_ttl', '1m', JETSTREAM_MAX_DURATION_MS) },
    };
    if (spec.kv!.marker_ttl_ms < 1000) b.fail('marker_ttl', `must be at least 1s (JetStream counts TTLs in seconds), got ${spec.kv!.marker_ttl_ms} ms`);
    b.done();
    return spec;
  });
  root.done();
  return [...specs, ...buckets];
}

const MS_TO_NS = 1_000_000;

export function toStreamConfig(spec: StreamSpec): Partial<StreamConfig> & { name: string } {
  const kv: Partial<StreamConfig> = spec.kv
    ? {
        // As NATS KV: the last value per key only, read directly, rolled up; and TTLs with markers.
        max_msgs_per_subject: 1,
        allow_rollup_hdrs: true,
        deny_delete: true,
        allow_direct: true,
        allow_msg_ttl: true,
        subject_delete_marker_ttl: spec.kv.marker_ttl_ms * MS_TO_NS,
      }
    : {};
  return {
    name: spec.name,
    subjects: spec.subjects,
    storage: spec.storage === 'file' ? StorageType.File : StorageType.Memory,
    retention: spec.retention === 'limits' ? RetentionPolicy.Limits : spec.retention === 'interest' ? RetentionPolicy.Interest : RetentionPolicy.Workqueue,
    discard: spec.discard === 'old' ? DiscardPolicy.Old : DiscardPolicy.New,
    max_age: spec.max_age_ms * MS_TO_NS,
    max_msgs: spec.max_msgs,
    max_bytes: spec.max_bytes,
    max_msg_size: spec.max_msg_size,
    duplicate_window: spec.duplicate_window_ms * MS_TO_NS,
    num_replicas: spec.num_replicas,
    ...kv,
  };
}

export type StreamAction = 'created' | 'updated' | 'unchanged';

export interface StreamResult {
  name: string;
  action: StreamAction;
  changed?: string[];
}

export class StreamReconcileError extends Error {
  override name = 'StreamReconcileError';
}

/** Fields that cannot change on an existing stream. */
const IMMUTABLE = ['storage', 'retention'] as const;
const COMPARED = [
  'subjects',
  'storage',
  'retention',
  'discard',
  'max_age',
  'max_msgs',
  'max_bytes',
  'max_msg_size',
  'duplicate_window',
  'num_replicas',
] as const;
/** Compared too on a key-value bucket's stream. */
const COMPARED_KV = ['max_msgs_per_subject', 'allow_rollup_hdrs', 'deny_delete', 'allow_direct', 'allow_msg_ttl', 'subject_delete_marker_ttl'] as const;

export async function ensureStreams(nc: NatsConnection, specs: StreamSpec[]): Promise<StreamResult[]> {
  const jsm = await jetstreamManager(nc, { timeout: 10_000 });
  const results: StreamResult[] = [];
  for (const spec of specs) {
    const want = toStreamConfig(spec);
    let current: StreamConfig | undefined;
    try {
      current = (await jsm.streams.info(spec.name)).config;
    } catch (err) {
      if (!(err instanceof JetStreamApiError && err.code === JetStreamApiCodes.StreamNotFound)) throw err;
    }
    if (!current) {
      await jsm.streams.add(want);
      results.push({ name: spec.name, action: 'created' });
      continue;
    }
    const changed = [...COMPARED, ...(spec.kv ? COMPARED_KV : [])].filter((k) => JSON.stringify(current[k]) !== JSON.stringify(want[k]));
    const blocked = changed.filter((k) => (IMMUTABLE as readonly string[]).includes(k));
    if (blocked.length > 0) {
      throw new StreamReconcileError(
        `stream ${spec.name}: ${blocked.join(', ')} cannot be changed in place ` +
          `(is ${blocked.map((k) => JSON.stringify(current[k])).join(', ')}); migrate the data and recreate it by hand`,
      );
    }
    if (changed.length === 0) {
      results.push({ name: spec.name, action: 'unchanged' });
      continue;
    }
    await jsm.streams.update(spec.name, { ...current, ...want });
    results.push({ name: spec.name, action: 'updated', changed });
  }
  return results;
}
