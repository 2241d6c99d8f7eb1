/**
 * `npm run bench` — throughput and memory of the hot paths, on this machine.
 *   node build/bench/run.js [--smoke] [name...]
 * --smoke runs tiny sizes (CI checks that the benchmarks still run, not their numbers).
 * Results print as a table and are written to .cache/bench.json.
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
mkdirSync('.cache', { recursive: true });
writeFileSync('.cache/bench.json', JSON.stringify({ smoke, at: new Date().toISOString(), results }, null, 2));
process.exit(0);
