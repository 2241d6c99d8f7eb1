/**
 * Re-draws docs/img/cost-growth.svg and the cost-growth table of docs/benchmarks.md
 * from a saved run (bench/results/latest.json or .cache/bench.json holding a
 * `cost-growth` result), without measuring again:
 *   node build/bench/cost-growth-plot.js [FILE]
 */
import { readFileSync } from 'node:fs';
import { writeOutputs } from './cost-growth.js';
import type { BenchMode } from './mode.js';
import type { BenchResult } from './registry.js';

const file = process.argv[2] ?? 'bench/results/latest.json';
const saved = JSON.parse(readFileSync(file, 'utf8')) as { mode?: BenchMode; smoke?: boolean; at: string; results: (BenchResult & { name: string })[] };
const r = saved.results.find((x) => x.name === 'cost-growth');
if (!r) throw new Error(`${file} holds no cost-growth result`);
writeOutputs(r, saved.mode ?? (saved.smoke ? 'smoke' : 'full'), new Date(saved.at));
console.log(`cost-growth plot and table written from ${file} (${saved.at})`);
