/**
 * The metric names prometheus-nats-exporter (github.com/nats-io/prometheus-nats-exporter,
 * run as `-varz -jsz=all`) derives from a nats-server's monitoring endpoints, computed here
 * from the real server's /varz and /jsz answers by the exporter's own rules. The exporter
 * itself cannot be installed on these machines (no release in the Go module proxy), so the
 * rules are transcribed from its source (collector/collector.go objectToMetrics and fqName;
 * collector/jsz.go newJszCollector and Collect, at commit 2fdbfd7e of June 2026):
 *
 * - /varz: every numeric JSON leaf, nested objects flattened with `_`, becomes the gauge
 *   `gnatsd_varz_<path>` (label `server_id`), e.g. `jetstream.stats.storage` →
 *   `gnatsd_varz_jetstream_stats_storage`;
 * - /jsz?consumers=true&config=true&raft=true: a fixed list of gauges, each from one field.
 */

/** The keys objectToMetrics skips. */
const VARZ_SKIP = new Set([
  'leaf',
  'trusted_operators_claim',
  'cluster_tls_timeout',
  'cluster_cluster_port',
  'cluster_auth_timeout',
  'gateway_port',
  'gateway_auth_timeout',
  'gateway_tls_timeout',
  'gateway_connect_retries',
]);

export function varzMetricNames(varz: Record<string, unknown>): Map<string, string[]> {
  const names = new Map<string, string[]>();
  const walk = (obj: Record<string, unknown>, path: string[]) => {
    for (const [k, v] of Object.entries(obj)) {
      const p = [...path, k];
      const fqn = p
        .join('_')
        .replaceAll('/', '_')
        .replace(/^_+|_+$/g, '')
        .replace(/_{2,}/g, '_');
      if (VARZ_SKIP.has(fqn)) continue;
      if (typeof v === 'number') names.set(`gnatsd_varz_${fqn}`, ['server_id']);
      else if (v && typeof v === 'object' && !Array.isArray(v)) walk(v as Record<string, unknown>, p);
    }
  };
  walk(varz, []);
  return names;
}

const SERVER_LABELS = ['server_id', 'server_name', 'cluster', 'domain', 'meta_leader', 'is_meta_leader'];
const STREAM_LABELS = [...SERVER_LABELS, 'account', 'account_name', 'account_id', 'stream_name', 'stream_leader', 'is_stream_leader', 'stream_raft_group'];
const CONSUMER_LABELS = [...STREAM_LABELS, 'consumer_name', 'consumer_leader', 'is_consumer_leader', 'consumer_desc'];

interface Jsz {
  config?: Record<string, unknown>;
  account_details?: { stream_detail?: { config?: Record<string, unknown>; state?: Record<string, unknown>; consumer_detail?: Record<string, unknown>[] }[] }[];
  [k: string]: unknown;
}

/** jsz gauges: name → labels and the field it is read from (a number present in the answer). */
const JSZ: Record<string, { labels: string[]; field: (j: Jsz) => unknown[] }> = {
  jetstream_server_total_streams: { labels: SERVER_LABELS, field: (j) => [j.streams] },
  jetstream_server_total_consumers: { labels: SERVER_LABELS, field: (j) => [j.consumers] },
  jetstream_server_total_messages: { labels: SERVER_LABELS, field: (j) => [j.messages] },
  jetstream_server_total_message_bytes: { labels: SERVER_LABELS, field: (j) => [j.bytes] },
  jetstream_server_max_memory: { labels: SERVER_LABELS, field: (j) => [j.config?.max_memory] },
  jetstream_server_max_storage: { labels: SERVER_LABELS, field: (j) => [j.config?.max_storage] },
  jetstream_stream_total_messages: { labels: STREAM_LABELS, field: (j) => streams(j).map((s) => s.state?.messages) },
  jetstream_stream_total_bytes: { labels: STREAM_LABELS, field: (j) => streams(j).map((s) => s.state?.bytes) },
  jetstream_stream_limit_bytes: { labels: STREAM_LABELS, field: (j) => streams(j).map((s) => s.config?.max_bytes) },
  jetstream_stream_limit_messages: { labels: STREAM_LABELS, field: (j) => streams(j).map((s) => s.config?.max_msgs) },
  jetstream_consumer_num_pending: { labels: CONSUMER_LABELS, field: (j) => consumers(j).map((c) => c.num_pending) },
  jetstream_consumer_num_ack_pending: { labels: CONSUMER_LABELS, field: (j) => consumers(j).map((c) => c.num_ack_pending) },
  jetstream_consumer_num_redelivered: { labels: CONSUMER_LABELS, field: (j) => consumers(j).map((c) => c.num_redelivered) },
};

const streams = (j: Jsz) => (j.account_details ?? []).flatMap((a) => a.stream_detail ?? []);
const consumers = (j: Jsz) => streams(j).flatMap((s) => s.consumer_detail ?? []);

/** The jsz gauges the exporter would export for this answer: those whose field holds a number. */
export function jszMetricNames(jsz: Jsz): Map<string, string[]> {
  const names = new Map<string, string[]>();
  for (const [name, m] of Object.entries(JSZ)) {
    const values = m.field(jsz);
    if (values.length > 0 && values.every((v) => typeof v === 'number')) names.set(name, m.labels);
  }
  return names;
}

/** The exporter's query for `-jsz=all`. */
export const JSZ_QUERY = '/jsz?consumers=true&config=true&raft=true';
