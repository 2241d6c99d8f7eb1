/**
 * `npm run bench` — throughput and memory of the hot paths, on this machine.
 *   node build/bench/run.js [--smoke] [name...]
 * --smoke runs tiny sizes (CI checks that the benchmarks still run, not their numbers).
 * Results print as a table and are written to .cache/bench.json (every number, flat per
 * benchmark) and bench/results/latest.json (the same, plus the `normalize` figures in the
 * shape issue 9 asks for: normalize.<capture>.{ours,tardis,json_parse}_msgs_per_s and
 * ratio_vs_tardis). bench/results/ is not in git.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { benches, type BenchResult } from './registry.js';

const args = process.argv.slice(2);
const smoke = args.includes('--smoke');
const only = args.filter((a) => !a.startsWith('--'));
const unknown = only.filter((n) => !benches.some((b) => b.name === n));
if (unknown.length) {
  console.error(`unknown benchmark(s): ${unknown.join(', ')}; have: ${benches.map((b) => b.name).join(', ')}`);
  process.exit(2);
}

const results: (BenchResult & { name: string })[] = [];
for (const b of benches) {
  if (only.length && !only.includes(b.name)) continue;
  process.stderr.write(`bench ${b.name}${smoke ? ' (smoke)' : ''}...\n`);
  const r = await b.run(smoke);
  results.push({ name: b.name, ...r });
  console.log(`${b.name.padEnd(22)} ${r.summary}`);
}
const at = new Date().toISOString();
mkdirSync('.cache', { recursive: true });
writeFileSync('.cache/bench.json', JSON.stringify({ smoke, at, results }, null, 2));
mkdirSync('bench/results', { recursive: true });
writeFileSync('bench/results/latest.json', JSON.stringify({ smoke, at, normalize: normalizeFigures(results), results }, null, 2) + '\n');
process.exit(0);

/** `normalize.binance_spot.ours_msgs_per_s` and so on, from the flat `binance_spot_ours_msgs_per_s`. */
function normalizeFigures(all: (BenchResult & { name: string })[]): Record<string, Record<string, number | string>> | undefined {
  const r = all.find((x) => x.name === 'normalize');
  if (!r || r.skipped) return undefined;
  const out: Record<string, Record<string, number | string>> = {};
  for (const capture of ['binance_spot', 'okx']) {
    const fig: Record<string, number | string> = {};
    for (const [k, v] of Object.entries(r)) if (k.startsWith(`${capture}_`)) fig[k.slice(capture.length + 1)] = v;
    out[capture] = fig;
  }
  return out;
}
