/**
 * One Prometheus registry per daemon, with Node's process and event-loop metrics. Every
 * series carries `daemon` (collector, storage) and any `labels` given (storage: its `tier`).
 */
import { Registry, collectDefaultMetrics, type Counter } from 'prom-client';
import type { Route } from './http.js';

export function createRegistry(daemon: string, labels: Readonly<Record<string, string>> = {}): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ daemon, ...labels });
  collectDefaultMetrics({ register: registry, prefix: 'marketprism_' });
  return registry;
}

export function metricsRoute(registry: Registry): Route {
  return async () => ({ status: 200, body: await registry.metrics(), contentType: registry.contentType });
}

/**
 * `counter.inc(labels)` for counters bumped per frame or per record: prom-client hashes
 * the label object on every call; this looks the child up once per label set (fixed
 * labels plus one varying label, whose values are few: sources, data types).
 */
export function counterBy<L extends string, K extends L>(counter: Counter<L>, fixed: Partial<Record<L, string>>, key: K): (value: string) => void {
  const children = new Map<string, { inc(): void }>();
  return (value) => {
    let child = children.get(value);
    if (!child) children.set(value, (child = counter.labels({ ...fixed, [key]: value } as Partial<Record<L, string>>)));
    child.inc();
  };
}
