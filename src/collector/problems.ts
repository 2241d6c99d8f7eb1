/**
 * Counting and logging what goes wrong with venue data. Every occurrence is
 * counted (metrics); log lines are rate-limited per kind and symbol (core/log-limit.ts),
 * so a venue that sends garbage in a hot loop produces a line a minute, not a line a
 * message, and that line says how many it stands for.
 */
import { LogLimiter } from '../core/log-limit.js';
import type { Logger } from '../core/logger.js';
import type { Problem, ProblemDetail, VenueEvents } from './adapter.js';

/** A venue's symbol text as logged and keyed: bounded (a hostile frame can name anything). */
const SYMBOL_MAX = 64;

export class ProblemLog {
  readonly counts = new Map<Problem, number>();
  private readonly limiter = new LogLimiter();

  constructor(
    private readonly log: Logger | undefined,
    private readonly venue: string,
    /** The sink's `problem`, told of every occurrence after it is counted. */
    private readonly onProblem?: VenueEvents['problem'],
  ) {}

  report(kind: Problem, detail: ProblemDetail, now = Date.now()): void {
    this.counts.set(kind, (this.counts.get(kind) ?? 0) + 1);
    this.onProblem?.(kind, detail);
    if (!this.log) return;
    const symbol = detail.symbol?.slice(0, SYMBOL_MAX);
    const level = kind === 'unsupported' ? 'info' : 'warn';
    this.limiter.log(
      this.log,
      level,
      `${kind}:${symbol ?? ''}`,
      { venue: this.venue, problem: kind, symbol, detail: detail.message.slice(0, 300) },
      `venue data: ${kind}`,
      now,
    );
  }
}
