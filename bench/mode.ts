/**
 * How long a benchmark runs: `smoke` (CI: tiny, checks that it runs and writes valid
 * JSON), `quick` (`npm run bench -- --quick`: real figures from shorter windows and
 * fewer steps, the whole run in a few minutes) or `full` (`npm run bench`).
 */
export type BenchMode = 'smoke' | 'quick' | 'full';

export const BENCH_MODES: readonly BenchMode[] = ['smoke', 'quick', 'full'];

/** The setting for this mode. */
export function byMode<T>(mode: BenchMode, choices: Record<BenchMode, T>): T {
  return choices[mode];
}
