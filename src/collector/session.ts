/**
 * One venue adapter with what it runs in: its environment (clock, snapshots, send,
 * instruments), the sink its records and events go to (VenueEvents), and what the
 * session adds between the two: publish_interval (BookEmitter), problem accounting
 * (ProblemLog) and resync log lines. Live, record and replay each build a session and
 * differ only in the environment and the sink they pass.
 */
import type { Logger } from '../core/logger.js';
import type { AdapterContext, VenueAdapter, VenueEnv, VenueEvents } from './adapter.js';
import { BookEmitter } from './book/emitter.js';
import { ProblemLog } from './problems.js';
import { protocolOf, type AdapterSettings, type VenueKind } from './venues/registry.js';

export interface SessionOptions {
  venue: VenueKind;
  /** The configured venue (e.g. binance_spot) that log lines name; the kind when not given. */
  name?: string;
  settings: AdapterSettings & { publishIntervalMs: number };
  env: VenueEnv;
  events: VenueEvents;
  /** Problem lines (rate-limited) and resync lines; none in replay. */
  log?: Logger;
}

export class VenueSession {
  readonly venue: VenueKind;
  readonly adapter: VenueAdapter;
  readonly emitter: BookEmitter;
  readonly problems: ProblemLog;

  constructor({ venue, name = venue, settings, env, events, log }: SessionOptions) {
    this.venue = venue;
    this.problems = new ProblemLog(log, name, events.problem);
    this.emitter = new BookEmitter(settings.publishIntervalMs, events.record);
    const problems = this.problems;
    const emitter = this.emitter;
    const ctx: AdapterContext = {
      ...env, // now, requestSnapshot, send, instrument: as they are
      record: events.record,
      problem: (kind, detail) => problems.report(kind, detail, env.now()),
      resync: (symbol, reason) => {
        events.resync?.(symbol, reason);
        log?.debug({ venue: name, symbol, reason }, 'book resync');
      },
      bookChanged: (key, build) => emitter.changed(key, build, env.now()),
    };
    this.adapter = protocolOf(venue).createAdapter(ctx, settings);
  }
}
