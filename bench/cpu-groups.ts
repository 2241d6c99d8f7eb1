/**
 * Self time of a `.cpuprofile` (node --cpu-prof) summed by where the code lives, to
 * say where a daemon's CPU goes without reading hundreds of functions:
 *   node build/bench/cpu-groups.js FILE.cpuprofile
 * Idle time is shown but left out of the shares of busy time.
 */
import { readFileSync } from 'node:fs';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string };
}

/** First match wins: [group, test on url or function name]. */
const GROUPS: [string, (url: string, fn: string) => boolean][] = [
  ['idle', (_u, f) => f === '(idle)'],
  ['garbage collector', (_u, f) => f === '(garbage collector)'],
  ['program / unattributed', (_u, f) => f === '(program)' || f === '(root)'],
  ['nats client (nats-core, jetstream)', (u) => u.includes('@nats-io/')],
  ['ws (WebSocket frames)', (u) => u.includes('node_modules/ws/')],
  ['prom-client', (u) => u.includes('prom-client')],
  ['pino', (u) => u.includes('pino')],
  ['other node_modules', (u) => u.includes('node_modules/')],
  ['collector publisher', (u) => u.includes('collector/publisher')],
  ['collector book (book/*)', (u) => u.includes('collector/book/')],
  ['collector mappers (mappers/*)', (u) => u.includes('collector/mappers/')],
  ['collector venue mappers (venues/*)', (u) => u.includes('collector/venues/')],
  ['validate / decimal (core)', (u) => /core\/(validate|decimal)/.test(u)],
  ['other collector / core', (u) => u.includes('build/src/')],
  ['node internals (streams, net, events)', (u) => u.startsWith('node:')],
  ['native / builtins (write syscalls, JSON, regexp, ...)', () => true],
];

const file = process.argv[2];
if (!file) throw new Error('usage: cpu-groups FILE.cpuprofile');
const p = JSON.parse(readFileSync(file, 'utf8')) as { nodes: Node[]; samples: number[]; timeDeltas: number[] };
const group = new Map(p.nodes.map((n) => [n.id, GROUPS.find(([, t]) => t(n.callFrame.url, n.callFrame.functionName))![0]]));
const by = new Map<string, number>();
p.samples.forEach((id, i) => by.set(group.get(id)!, (by.get(group.get(id)!) ?? 0) + (p.timeDeltas[i] ?? 0)));
const idle = by.get('idle') ?? 0;
const busy = [...by.values()].reduce((a, b) => a + b, 0) - idle;
console.log(`busy ${Math.round(busy / 1000)} ms, idle ${Math.round(idle / 1000)} ms`);
for (const [g, t] of [...by].filter(([g]) => g !== 'idle').sort((a, b) => b[1] - a[1])) console.log(`${((100 * t) / busy).toFixed(1).padStart(5)} %  ${g}`);
