/**
 * `marketprism-collector replay --venue V FILE...`: runs a captured session through
 * the same adapter and book code as live mode and prints every record as one JSON
 * object per line on stdout.
 *
 * Time is the capture's receipt time: it is the clock of the adapter and of
 * publish_interval. REST snapshots are served from the capture: a snapshot request
 * is answered by the next captured body for that instrument, delivered when the
 * capture received it (or at once, if it was received before the request).
 *
 * "Every book": the default publish interval is 0, so one orderbook record follows
 * every message that changed a synced book (a snapshot with the buffered diffs it
 * absorbs counts as one). With --publish-interval N the live throttle applies on
 * capture time instead.
 */
import { readCaptureFiles } from '../capture/format.js';
import { DAEMON_PAGES } from '../core/daemon-help.js';
import { LineWriter } from '../core/line-writer.js';
import type { MarketRecord } from '../core/model.js';
import { recordJson } from '../core/record-json.js';
import type { VenueEvents } from './adapter.js';
import { CapturedSnapshots } from './captured-snapshots.js';
import { catalogFromCapture } from './instruments/capture.js';
import type { InstrumentCatalog } from './instruments/catalog.js';
import { VenueSession } from './session.js';
import { isVenueKind, protocolOf, type VenueKind } from './venues/registry.js';

export const REPLAY_USAGE = `usage: marketprism-collector ${DAEMON_PAGES.collector.commands.replay!.synopsis}`;

export interface ReplayOptions {
  venue: VenueKind;
  files: string[];
  depth?: number;
  publishIntervalMs?: number;
}

export interface ReplaySummary {
  records: Record<string, number>;
  problems: Record<string, number>;
  /** Snapshot requests the capture had no answer for. */
  unanswered_snapshots: string[];
  /** Instruments the capture's instrument lists describe (contract sizes), where the venue needs them. */
  instruments?: number;
  /** Why no instrument list could be read from the capture, if so. */
  instruments_error?: string;
}

/** Replays `files`, handing each record to `out` in order. */
export async function replay(opts: ReplayOptions, out: (r: MarketRecord) => void | Promise<void>): Promise<ReplaySummary> {
  let now = 0;
  const records: Record<string, number> = {};
  const outQueue: MarketRecord[] = [];
  const snapshots = new CapturedSnapshots();
  // Contract sizes from the capture's own instrument responses, classified as live does.
  const instrumentVenue = protocolOf(opts.venue).needsInstruments ? opts.venue : undefined;
  let catalog: InstrumentCatalog | undefined;
  let instrumentsError: string | undefined;
  if (instrumentVenue) {
    catalog = await catalogFromCapture(instrumentVenue, opts.files).catch((err: Error) => {
      instrumentsError = err.message;
      return undefined;
    });
  }

  const events: VenueEvents = {
    record: (r) => {
      records[r.data_type] = (records[r.data_type] ?? 0) + 1;
      outQueue.push(r);
    },
  };
  const { adapter, emitter, problems } = new VenueSession({
    venue: opts.venue,
    settings: {
      depth: opts.depth ?? 400,
      restUrl: protocolOf(opts.venue).defaultRestUrl,
      snapshotLimit: 1000,
      tickerIntervalMs: 0,
      publishIntervalMs: opts.publishIntervalMs ?? 0,
    },
    env: {
      now: () => now,
      requestSnapshot: snapshots.request,
      send: () => undefined, // a replay cannot talk back to the venue
      instrument: (wire) => catalog?.get(wire),
    },
    events,
  });
  const opened = new Set<string>();

  const drain = async () => {
    snapshots.deliver(adapter);
    for (const r of outQueue.splice(0)) await out(r);
  };

  for await (const ev of readCaptureFiles(opts.files)) {
    if (ev.kind === 'config') continue;
    now = Math.round(ev.at * 1000);
    emitter.tick(now);
    if (ev.kind === 'open') {
      // A second open of the same URL is a reconnect: what that connection fed is stale.
      if (opened.has(ev.url)) adapter.connectionLost(ev.url);
      opened.add(ev.url);
    } else if (ev.kind === 'recv') {
      adapter.onMessage(ev.url, ev.text);
    } else if (ev.kind === 'http') {
      const key = adapter.snapshotKeyOf(ev.url);
      if (key !== undefined) snapshots.received(key, ev.body);
      else {
        try {
          for (const r of adapter.restRecords(ev.url, ev.body) ?? []) events.record(r);
        } catch (err) {
          problems.report('malformed', { message: `${ev.url}: ${(err as Error).message}` }, now);
        }
      }
    }
    await drain();
  }
  emitter.flush(now);
  await drain();
  const instruments = instrumentVenue ? { instruments: catalog?.size ?? 0, ...(instrumentsError ? { instruments_error: instrumentsError } : {}) } : {};
  return { records, problems: Object.fromEntries(problems.counts), unanswered_snapshots: [...snapshots.waiting], ...instruments };
}

/** The CLI subcommand. Exit code 0 after a full replay, 2 on bad arguments. */
export async function replayCommand(argv: string[]): Promise<number> {
  const args = [...argv];
  const take = (name: string): string | undefined => {
    const i = args.indexOf(name);
    if (i < 0) return undefined;
    const v = args[i + 1];
    args.splice(i, 2);
    return v;
  };
  const venue = take('--venue');
  const depth = take('--depth');
  const interval = take('--publish-interval');
  const count = (v: string | undefined) => (v === undefined ? undefined : /^\d+$/.test(v) ? Number(v) : NaN);
  const depthN = count(depth);
  const intervalN = count(interval);
  if (
    !venue ||
    !isVenueKind(venue) ||
    args.length === 0 ||
    args.some((a) => a.startsWith('--')) ||
    Number.isNaN(depthN) ||
    Number.isNaN(intervalN) ||
    depthN === 0
  ) {
    console.error(REPLAY_USAGE);
    return 2;
  }
  const out = new LineWriter(process.stdout); // e.g. `| head`: stops quietly
  try {
    const summary = await replay({ venue, files: args, depth: depthN, publishIntervalMs: intervalN }, (r) =>
      out.broken ? undefined : out.write(recordJson(r)),
    );
    await out.end();
    console.error(JSON.stringify({ replay: venue, ...summary }));
    return 0;
  } catch (err) {
    console.error(`marketprism-collector replay: ${(err as Error).message}`);
    return 1;
  }
}
