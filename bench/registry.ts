/** The benchmarks, by name. Each returns its numbers and a one-line summary. */
import { collectorBookBench } from './collector-book.js';
import { collectorLiveBench } from './collector-live.js';
import { collectorReplayBench } from './collector-replay.js';
import { fullPathBench } from './full-path.js';
import { normalizeBench } from './normalize.js';
import { pipelineBench } from './pipeline.js';
import { validateBench } from './validate.js';

export interface BenchResult {
  summary: string;
  [metric: string]: number | string;
}

export interface Bench {
  name: string;
  run(smoke: boolean): Promise<BenchResult>;
}

export const benches: Bench[] = [validateBench, pipelineBench, collectorBookBench, collectorReplayBench, normalizeBench, collectorLiveBench, fullPathBench];
