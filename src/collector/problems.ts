/**
 * Counting and logging what goes wrong with venue data. Every occurrence is
 * counted (metrics); log lines are rate-limited per kind and symbol, so a venue
 * that sends garbage in a hot loop produces a line a minute, not a line a message.
 */
import type { Logger } from '../core/logger.js';
import type { Problem } from './adapter.js';

const LOG_EVERY_MS = 60_000;

export class ProblemLog {
  readonly counts = new Map<Problem, number>();
  private readonly lastLogged = new Map<string, { at: number; suppressed: number }>();

  constructor(
    private readonly log: Logger | undefined,
    private readonly venue: string,
    private readonly onProblem?: (kind: Problem) => void,
  ) {}

  report(kind: Problem, detail: { symbol?: string; message: string }, now = Date.now()): void {
    this.counts.set(kind, (this.counts.get(kind) ?? 0) + 1);
    this.onProblem?.(kind);
    if (!this.log) return;
    const key = `${kind}:${detail.symbol ?? ''}`;
    const seen = this.lastLogged.get(key);
    if (seen && now - seen.at < LOG_EVERY_MS) {
      seen.suppressed++;
      return;
    }
    const level = kind === 'unsupported' ? 'info' : 'warn';
    this.log[level]({ venue: this.venue, problem: kind, symbol: detail.symbol, detail: detail.message, suppressed: seen?.suppressed }, `venue data: ${kind}`);
    this.lastLogged.set(key, { at: now, suppressed: 0 });
  }
}
