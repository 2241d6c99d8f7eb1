/**
 * One venue adapter with its context: the clock, where records go, how snapshots
 * are asked for, problem accounting and publish_interval. Live, record and replay
 * each build a session and differ only in the hooks they pass.
 */
import type { MarketRecord } from '../core/model.js';
import type { AdapterContext, Problem, SnapshotRequest, VenueAdapter } from './adapter.js';
import { BookEmitter } from './book/emitter.js';
import type { InstrumentInfo } from './instruments/types.js';
import type { ProblemLog } from './problems.js';
import { protocolOf, type AdapterSettings, type VenueKind } from './venues/registry.js';

export interface SessionHooks {
  /** The time of what is being handled, ms. */
  clock(): number;
  record(r: MarketRecord): void;
  snapshot(req: SnapshotRequest): void;
  send(conn: string, text: string): void;
  resync?(symbol: string, reason: Problem | 'reconnect'): void;
  /** Instrument metadata by the venue's instrument name (contract sizes). */
  instrument?(wire: string): InstrumentInfo | undefined;
}

export class VenueSession {
  readonly adapter: VenueAdapter;
  readonly emitter: BookEmitter;

  constructor(
    readonly venue: VenueKind,
    settings: AdapterSettings & { publishIntervalMs: number },
    readonly problems: ProblemLog,
    hooks: SessionHooks,
  ) {
    this.emitter = new BookEmitter(settings.publishIntervalMs, (r) => hooks.record(r));
    const ctx: AdapterContext = {
      now: () => hooks.clock(),
      emit: (r) => hooks.record(r),
      bookChanged: (key, build) => this.emitter.changed(key, build, hooks.clock()),
      requestSnapshot: (req) => hooks.snapshot(req),
      send: (conn, text) => hooks.send(conn, text),
      instrument: (wire) => hooks.instrument?.(wire),
      problem: (kind, detail) => problems.report(kind, detail, hooks.clock()),
      resync: (symbol, reason) => hooks.resync?.(symbol, reason),
    };
    this.adapter = protocolOf(venue).createAdapter(ctx, settings);
  }
}
