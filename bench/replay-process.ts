/**
 * The backfill path, whole process against whole process (issue 9): `marketprism-collector
 * replay` of a long recording (the real Binance spot 2021 and OKX 2022 captures written
 * `copies` times one after another, `bench/long-recording.ts`) against the same work done
 * with tardis-dev by a plain script (`bench/tardis-replay.ts`: its mappers, its
 * `OrderBook`, the top N levels written as a JSON line after every book change, trades
 * written too). Both read the same files with the same reader, write JSON lines to
 * /dev/null in 64 KiB chunks and are fresh `node` processes; what is timed is the CPU the
 * process used from start to exit (user + system, taken from the shell that waited for it),
 * and the wall time beside it. Rounds interleave the sides (order rotating); median and
 * spread over the rounds. Ours runs at `--depth 25` (against tardis-dev's 25) and at the
 * default 400 levels (against tardis-dev's 400, and against our own 25: the issue's
 * "400-level records no more than 2× the cost of 25-level ones").
 */
import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { capturesDir } from './captures.js';
import { writeLongRecording } from './long-recording.js';
import { fmt, load1 } from './measure.js';
import { byMode } from './mode.js';
import { TICKS_PER_SECOND } from './procs.js';
import { SESSIONS } from './normalize.js';
import type { Bench, BenchResult } from './registry.js';
import { median, round } from './stats.js';

interface Run {
  cpuS: number;
  wallS: number;
}

/** Runs `node script args` with stdout to /dev/null; its CPU from the waiting shell's cutime + cstime. */
function timed(script: string, args: string[]): Promise<Run> {
  const t0 = performance.now();
  const sh = 'node_bin="$1"; shift; "$node_bin" "$@" > /dev/null || exit $?; cat /proc/$$/stat';
  const proc = spawn('sh', ['-c', sh, 'sh', process.execPath, script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-2000)));
  return new Promise((resolvePromise, reject) => {
    proc.on('error', reject);
    proc.on('exit', (code) => {
      const wallS = (performance.now() - t0) / 1000;
      // Fields after the command name: state is field 3; cutime and cstime are 16 and 17.
      const f = out
        .slice(out.lastIndexOf(')') + 2)
        .trim()
        .split(' ');
      const cutime = Number(f[13]);
      const cstime = Number(f[14]);
      if (code !== 0 || !Number.isFinite(cutime)) return reject(new Error(`${script} ${args.slice(0, 4).join(' ')} exited ${code}: ${err}`));
      resolvePromise({ cpuS: (cutime + cstime) / TICKS_PER_SECOND, wallS });
    });
  });
}

type Side = 'ours_25' | 'tardis_25' | 'ours_400' | 'tardis_400';
const SIDES: Side[] = ['ours_25', 'tardis_25', 'ours_400', 'tardis_400'];

export const replayProcessBench: Bench = {
  name: 'replay-process',
  async run(_smoke, mode) {
    const { dir, tried } = capturesDir();
    if (!dir) {
      const note = `skipped: the cryptofeed captures are not on this machine (looked in ${tried.join(', ')}; set MARKETPRISM_CAPTURES)`;
      process.stderr.write(`replay-process ${note}\n`);
      return { summary: note, skipped: 1 };
    }
    const copies = byMode(mode, { smoke: 2, quick: 60, full: 150 });
    const rounds = byMode(mode, { smoke: 1, quick: 3, full: 7 });
    const collector = resolve('bin/marketprism-collector.js');
    const tardis = resolve('build/bench/tardis-replay.js');
    const out: BenchResult = { summary: '', captures: dir, copies, rounds, load1_start: load1() };
    const parts: string[] = [];
    for (const [name, venue, names] of SESSIONS) {
      const files = await writeLongRecording(
        names.map((f) => join(dir, f)),
        copies,
        resolve('.cache/long-recording', name),
      );
      const exchange = venue === 'okx' ? 'okex' : 'binance';
      const cmd: Record<Side, [string, string[]]> = {
        ours_25: [collector, ['replay', '--venue', venue, '--depth', '25', ...files]],
        ours_400: [collector, ['replay', '--venue', venue, ...files]],
        tardis_25: [tardis, ['--exchange', exchange, '--depth', '25', ...files]],
        tardis_400: [tardis, ['--exchange', exchange, '--depth', '400', ...files]],
      };
      const cpu: Record<Side, number[]> = { ours_25: [], tardis_25: [], ours_400: [], tardis_400: [] };
      const wall: Record<Side, number[]> = { ours_25: [], tardis_25: [], ours_400: [], tardis_400: [] };
      for (let r = 0; r < rounds; r++) {
        for (let k = 0; k < SIDES.length; k++) {
          const side = SIDES[(r + k) % SIDES.length]!;
          const run = await timed(...cmd[side]);
          cpu[side].push(run.cpuS);
          wall[side].push(run.wallS);
        }
      }
      const med = (s: Side) => median(cpu[s]);
      const ratio = (a: Side, b: Side) => round(med(b) / med(a), 2); // speed ratio: their CPU over ours
      const perRound = cpu.ours_25.map((x, i) => cpu.tardis_25[i]! / x);
      Object.assign(out, {
        [`${name}_ours_25_cpu_s`]: round(med('ours_25'), 2),
        [`${name}_tardis_25_cpu_s`]: round(med('tardis_25'), 2),
        [`${name}_ours_400_cpu_s`]: round(med('ours_400'), 2),
        [`${name}_tardis_400_cpu_s`]: round(med('tardis_400'), 2),
        [`${name}_ours_25_wall_s`]: round(median(wall.ours_25), 2),
        [`${name}_tardis_25_wall_s`]: round(median(wall.tardis_25), 2),
        [`${name}_ours_25_cpu_spread`]: `${round(Math.min(...cpu.ours_25), 2)}–${round(Math.max(...cpu.ours_25), 2)}`,
        [`${name}_tardis_25_cpu_spread`]: `${round(Math.min(...cpu.tardis_25), 2)}–${round(Math.max(...cpu.tardis_25), 2)}`,
        [`${name}_ratio_vs_tardis_depth25`]: ratio('ours_25', 'tardis_25'),
        [`${name}_ratio_per_round_min`]: round(Math.min(...perRound), 2),
        [`${name}_ratio_per_round_max`]: round(Math.max(...perRound), 2),
        [`${name}_ratio_vs_tardis_depth400`]: ratio('ours_400', 'tardis_400'),
        [`${name}_cost_400_over_25`]: round(med('ours_400') / med('ours_25'), 2),
      });
      parts.push(
        `${name} depth 25: ours ${med('ours_25').toFixed(2)} CPU-s, tardis-dev ${med('tardis_25').toFixed(2)}: ${ratio('ours_25', 'tardis_25')}x; ` +
          `400 levels ${ratio('ours_400', 'tardis_400')}x, ours 400/25 cost ${round(med('ours_400') / med('ours_25'), 2)}`,
      );
    }
    out.load1_end = load1();
    out.summary = `${parts.join('; ')}; ${fmt(copies)} copies, median of ${rounds} rounds`;
    return out;
  },
};
