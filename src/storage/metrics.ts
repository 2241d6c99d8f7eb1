/** Prometheus metrics of marketprism-storage. */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export interface StorageMetrics {
  rows: Counter<'data_type' | 'outcome'>;
  redelivered: Counter<'data_type'>;
  insertErrors: Counter<'data_type'>;
  insertSeconds: Histogram<'data_type'>;
  lastInsert: Gauge<'data_type'>;
  lag: Gauge<'data_type'>;
}

export function storageMetrics(registry: Registry): StorageMetrics {
  const registers = [registry];
  return {
    rows: new Counter({
      name: 'marketprism_storage_messages_total',
      help: 'Messages consumed, by outcome (stored, already_stored: redelivered and found in the table, dead_letter)',
      labelNames: ['data_type', 'outcome'],
      registers,
    }),
    redelivered: new Counter({
      name: 'marketprism_storage_redelivered_total',
      help: 'Messages JetStream delivered again (not acked in time, or storage restarted mid-batch)',
      labelNames: ['data_type'],
      registers,
    }),
    insertErrors: new Counter({
      name: 'marketprism_storage_insert_errors_total',
      help: 'Failed ClickHouse inserts (each is retried)',
      labelNames: ['data_type'],
      registers,
    }),
    insertSeconds: new Histogram({
      name: 'marketprism_storage_insert_seconds',
      help: 'ClickHouse insert latency per batch',
      labelNames: ['data_type'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    lastInsert: new Gauge({
      name: 'marketprism_storage_last_insert_timestamp_seconds',
      help: 'Unix time of the last successful insert',
      labelNames: ['data_type'],
      registers,
    }),
    lag: new Gauge({
      name: 'marketprism_storage_consumer_lag_messages',
      help: 'Messages in JetStream not yet stored (pending + unacknowledged)',
      labelNames: ['data_type'],
      registers,
    }),
  };
}
