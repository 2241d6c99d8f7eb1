/**
 * Our side of the `normalize` bench alone, for a CPU profile:
 *   node --cpu-prof --cpu-prof-dir=.cache/prof build/bench/profile-normalize.js binance_spot|okx [passes]
 * then `node build/bench/profile-summary.js .cache/prof/<file>.cpuprofile`.
 */
import { join } from 'node:path';
import { capturesDir } from './captures.js';
import { loadCapture, oursPass, SESSIONS } from './normalize.js';

const [name = 'okx', passesArg = '2000'] = process.argv.slice(2);
const session = SESSIONS.find(([n]) => n === name);
const { dir } = capturesDir();
if (!session || !dir) throw new Error(`usage: profile-normalize binance_spot|okx [passes] (captures: ${dir ?? 'not found'})`);
const c = await loadCapture(
  session[1],
  session[2].map((f) => join(dir, f)),
);
const t0 = performance.now();
for (let i = 0; i < Number(passesArg); i++) oursPass(c);
const ms = performance.now() - t0;
console.log(`${name}: ${Math.round((c.messages.length * Number(passesArg)) / (ms / 1000))} msgs/s over ${passesArg} passes`);
