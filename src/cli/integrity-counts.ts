/**
 * What the daemons counted in a time range, for `marketprism integrity`: the per-interval
 * messages of the counts stream (core/interval-counts.ts) whose interval lies wholly in
 * [from, to), summed per daemon, scope (venue, `*` for daemon-wide) and count. Read with
 * the same loop as the market data (integrity-stream.ts pullSince), from the first message
 * published at or after `from` (an interval's message is sent at its end) to the stream's
 * last when the read began. Messages of an interval crossing the range's start or end are
 * not counted, and said: the range is covered in whole intervals only.
 */
import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import type { CountsMessage } from '../core/interval-counts.js';
import { pullSince } from './integrity-stream.js';

export interface CountedLine {
  daemon: string;
  scope: string;
  section: string;
  key: string;
  count: number;
}

export interface CountedWindow {
  stream: string;
  /** Messages summed (intervals wholly in the range), and the daemons (daemon/id) they came from. */
  messages: number;
  sources: string[];
  /** Intervals crossing the range's edges, not counted: why the range is partly covered. */
  edges: string[];
  /** Messages that were not counts messages (skipped, said). */
  unreadable: number;
  counted: CountedLine[];
}

function isCountsMessage(x: unknown): x is CountsMessage {
  const m = x as CountsMessage;
  return !!m && m.v === 1 && typeof m.daemon === 'string' && typeof m.id === 'string' && typeof m.counts === 'object' && !!m.counts;
}

export async function readCounts(
  js: JetStreamClient,
  jsm: JetStreamManager,
  stream: string,
  range: { from_ms: number; to_ms: number },
): Promise<CountedWindow> {
  const out: CountedWindow = { stream, messages: 0, sources: [], edges: [], unreadable: 0, counted: [] };
  const { state } = await jsm.streams.info(stream);
  if (state.messages === 0 || Date.parse(state.last_ts) < range.from_ms) return out;
  const sums = new Map<string, CountedLine>();
  const sources = new Set<string>();
  const edge = { start: 0, end: 0 };
  await pullSince(js, stream, range.from_ms, state.last_seq, (m) => {
    let msg: unknown;
    try {
      msg = m.json();
    } catch {
      msg = undefined;
    }
    if (!isCountsMessage(msg)) return (void out.unreadable++, false);
    const from = Date.parse(msg.from);
    const to = Date.parse(msg.to);
    if (!(from < to)) return (void out.unreadable++, false);
    if (to <= range.from_ms || from >= range.to_ms) return false;
    if (from < range.from_ms) return (void edge.start++, false);
    if (to > range.to_ms) return (void edge.end++, false);
    out.messages++;
    sources.add(`${msg.daemon}/${msg.id}`);
    for (const [scope, sections] of Object.entries(msg.counts))
      for (const [section, keys] of Object.entries(sections ?? {}))
        for (const [key, n] of Object.entries(keys ?? {})) {
          if (typeof n !== 'number' || !Number.isFinite(n)) continue;
          const k = JSON.stringify([msg.daemon, scope, section, key]);
          const line = sums.get(k) ?? { daemon: msg.daemon, scope, section, key, count: 0 };
          line.count += n;
          sums.set(k, line);
        }
    return false;
  });
  if (edge.start)
    out.edges.push(
      `${edge.start} interval(s) starting before ${new Date(range.from_ms).toISOString()} not counted (the range's start is not a whole interval)`,
    );
  if (edge.end)
    out.edges.push(`${edge.end} interval(s) ending after ${new Date(range.to_ms).toISOString()} not counted (the range's end is not a whole interval)`);
  out.sources = [...sources].sort();
  out.counted = [...sums.values()].sort((a, b) =>
    [a.daemon, a.scope, a.section, a.key].join('\0').localeCompare([b.daemon, b.scope, b.section, b.key].join('\0')),
  );
  return out;
}

/** The counts stream's name in the shipped streams.yaml (used when this host has no broker config). */
export const SHIPPED_COUNTS_STREAM = 'MARKETPRISM_COUNTS';
