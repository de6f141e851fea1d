// Prometheus metrics. One registry per process; features add their own metrics to it.
import client from 'prom-client';

export type MetricsRegistry = client.Registry;

export function createMetrics(): MetricsRegistry {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry, prefix: 'firelink_' });
  return registry;
}

export const promClient = client;
