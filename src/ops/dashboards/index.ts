/** The shipped Grafana dashboards: each one's file under grafana/dashboards/ and its builder. */
import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { clickhouseDashboard } from './clickhouse.js';
import { pipelineDashboard } from './pipeline.js';

export const DASHBOARDS: readonly { file: string; build: () => Dashboard }[] = [
  { file: 'marketprism-pipeline.json', build: pipelineDashboard },
  { file: 'marketprism-clickhouse.json', build: clickhouseDashboard },
];

export { dashboardJson } from './grafana.js';
