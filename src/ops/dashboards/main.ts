/**
 * Writes grafana/dashboards/*.json from the TypeScript source (after `npm run build`):
 *   node build/src/ops/dashboards/main.js [DIR]
 * test/ops/dashboards.test.ts checks that the committed files are what this writes.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DASHBOARDS, dashboardJson } from './index.js';

const dir = resolve(process.argv[2] ?? 'grafana/dashboards');
mkdirSync(dir, { recursive: true });
for (const d of DASHBOARDS) {
  writeFileSync(join(dir, d.file), dashboardJson(d.build()));
  console.log(join(dir, d.file));
}
