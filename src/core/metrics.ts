/** One Prometheus registry per daemon, with Node's process and event-loop metrics. */
import { Registry, collectDefaultMetrics } from 'prom-client';
import type { Route } from './http.js';

export function createRegistry(daemon: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ daemon });
  collectDefaultMetrics({ register: registry, prefix: 'marketprism_' });
  return registry;
}

export function metricsRoute(registry: Registry): Route {
  return async () => ({ status: 200, body: await registry.metrics(), contentType: registry.contentType });
}
