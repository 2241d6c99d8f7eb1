/**
 * `npm run bench` — throughput and memory of the hot paths, on this machine.
 *   node build/bench/run.js [--smoke | --quick] [name...]
 * --smoke runs tiny sizes (CI checks that the benchmarks still run and write valid JSON,
 * not their numbers); --quick real figures from shorter windows (a few minutes in all);
 * neither: the full sizes. A full run leaves out `memory-soak` (1 hour) unless named.
 * Results print as a table and are written to .cache/bench.json (every number, flat per
 * benchmark) and bench/results/latest.json (the same, plus the figures in the shape
 * issue 9 asks for: see latestFigures in ./latest.ts). bench/results/ is not in git.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { latestFigures } from './latest.js';
import type { BenchMode } from './mode.js';
import { benches, type BenchResult } from './registry.js';

const args = process.argv.slice(2);
const flags = args.filter((a) => a.startsWith('--'));
const badFlag = flags.find((f) => f !== '--smoke' && f !== '--quick');
if (badFlag || (flags.includes('--smoke') && flags.includes('--quick'))) {
  console.error(`usage: bench [--smoke | --quick] [name...]${badFlag ? `; unknown option ${badFlag}` : '; --smoke and --quick exclude each other'}`);
  process.exit(2);
}
const mode: BenchMode = flags.includes('--smoke') ? 'smoke' : flags.includes('--quick') ? 'quick' : 'full';
const smoke = mode === 'smoke';
const only = args.filter((a) => !a.startsWith('--'));
const unknown = only.filter((n) => !benches.some((b) => b.name === n));
if (unknown.length) {
  console.error(`unknown benchmark(s): ${unknown.join(', ')}; have: ${benches.map((b) => b.name).join(', ')}`);
  process.exit(2);
}

const results: (BenchResult & { name: string })[] = [];
for (const b of benches) {
  if (only.length ? !only.includes(b.name) : mode === 'full' && b.byNameInFull) continue;
  process.stderr.write(`bench ${b.name}${mode === 'full' ? '' : ` (${mode})`}...\n`);
  const t0 = performance.now();
  const r = await b.run(smoke, mode);
  results.push({ name: b.name, ...r, bench_seconds: Math.round((performance.now() - t0) / 100) / 10 });
  console.log(`${b.name.padEnd(22)} ${r.summary}`);
}
const at = new Date().toISOString();
mkdirSync('.cache', { recursive: true });
writeFileSync('.cache/bench.json', JSON.stringify({ smoke, mode, at, results }, null, 2));
mkdirSync('bench/results', { recursive: true });
writeFileSync('bench/results/latest.json', JSON.stringify({ smoke, mode, at, ...latestFigures(results), results }, null, 2) + '\n');
process.exit(0);
