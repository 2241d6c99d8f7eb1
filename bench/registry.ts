/** The benchmarks, by name. Each returns its numbers and a one-line summary. */
import { collectorBookBench } from './collector-book.js';
import { collectorLiveBench } from './collector-live.js';
import { collectorReplayBench } from './collector-replay.js';
import { costGrowthBench } from './cost-growth.js';
import { fullPathBench } from './full-path.js';
import { memorySoakBench } from './memory-soak.js';
import type { BenchMode } from './mode.js';
import { normalizeBench } from './normalize.js';
import { pipelineBench } from './pipeline.js';
import { replayProcessBench } from './replay-process.js';
import { validateBench } from './validate.js';

export interface BenchResult {
  summary: string;
  [metric: string]: number | string;
}

export interface Bench {
  name: string;
  /** `smoke` is `mode === 'smoke'` (what benchmarks that know only smoke and full read). */
  run(smoke: boolean, mode: BenchMode): Promise<BenchResult>;
  /** Left out of a full run unless named (it would take too long); quick and smoke runs include it. */
  byNameInFull?: boolean;
}

export const benches: Bench[] = [
  validateBench,
  pipelineBench,
  collectorBookBench,
  collectorReplayBench,
  replayProcessBench,
  normalizeBench,
  collectorLiveBench,
  costGrowthBench,
  fullPathBench,
  { ...memorySoakBench, byNameInFull: true },
];
