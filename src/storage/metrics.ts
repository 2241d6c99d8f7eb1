/**
 * Prometheus metrics of marketprism-storage. Names follow Prometheus' conventions: base
 * units (`_seconds`, Unix times `_timestamp_seconds`), counters `_total`. Every series has
 * `daemon="storage"` and `tier="hot"|"cold"` (storageRegistry), so `sum by (tier)` separates
 * the tiers and `{daemon="storage"}` selects both (docs/operations.md, Metrics).
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { createRegistry } from '../core/metrics.js';
import type { Tier } from './config.js';

/** The labels on every series of a storage daemon of `tier` (its registry's default labels). */
export function storageLabels(tier: Tier): { daemon: 'storage'; tier: Tier } {
  return { daemon: 'storage', tier };
}

/** A storage daemon's registry: process metrics and what the factories below register, all labelled with storageLabels. */
export function storageRegistry(tier: Tier): Registry {
  const { daemon, ...labels } = storageLabels(tier);
  return createRegistry(daemon, labels);
}

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
      name: 'marketprism_storage_insert_duration_seconds',
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

/** The cold tier's verifier (cold-verifier.ts). */
export interface ColdMetrics {
  watermark: Gauge<'data_type'>;
  verifiedWindows: Counter<'data_type'>;
  backfilledWindows: Counter<'data_type'>;
  backfilledRows: Counter<'data_type'>;
  errors: Counter<'data_type'>;
}

export function coldMetrics(registry: Registry): ColdMetrics {
  const registers = [registry];
  const labelNames = ['data_type'] as const;
  return {
    watermark: new Gauge({
      name: 'marketprism_storage_cold_watermark_timestamp_seconds',
      help: 'Unix time before which every hot row of the table is verified to be in cold',
      labelNames,
      registers,
    }),
    verifiedWindows: new Counter({
      name: 'marketprism_storage_cold_verified_windows_total',
      help: 'Windows compared with the hot tier and found complete in cold (after any backfill)',
      labelNames,
      registers,
    }),
    backfilledWindows: new Counter({
      name: 'marketprism_storage_cold_backfilled_windows_total',
      help: 'Windows in which cold lacked hot rows and was backfilled from hot',
      labelNames,
      registers,
    }),
    backfilledRows: new Counter({
      name: 'marketprism_storage_cold_backfilled_rows_total',
      help: 'Rows copied from hot into cold because cold lacked them',
      labelNames,
      registers,
    }),
    errors: new Counter({
      name: 'marketprism_storage_cold_verify_errors_total',
      help: 'Verification passes of a table that failed (retried at the next pass; the watermark stays)',
      labelNames,
      registers,
    }),
  };
}

/** The hot tier's TTL guard (cold-ttl-guard.ts). */
export interface TtlGuardMetrics {
  dropped: Counter<'data_type'>;
  held: Gauge<'data_type'>;
  lateRows: Counter<'data_type'>;
}

export function ttlGuardMetrics(registry: Registry): TtlGuardMetrics {
  const registers = [registry];
  const labelNames = ['data_type'] as const;
  return {
    dropped: new Counter({
      name: 'marketprism_storage_ttl_guard_dropped_partitions_total',
      help: 'Hot day partitions dropped: past the TTL and verified by the cold tier',
      labelNames,
      registers,
    }),
    held: new Gauge({
      name: 'marketprism_storage_ttl_guard_held_partitions',
      help: 'Hot day partitions past the TTL kept because the cold tier has not verified them',
      labelNames,
      registers,
    }),
    lateRows: new Counter({
      name: 'marketprism_storage_ttl_guard_late_rows_total',
      help: 'Hot rows that arrived after cold verified their day, copied to cold right before the day was dropped',
      labelNames,
      registers,
    }),
  };
}
