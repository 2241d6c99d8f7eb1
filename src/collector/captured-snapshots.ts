/**
 * REST snapshots served from a capture (replay, and the benchmark that drives a session
 * as replay does): a snapshot request is answered by the next captured body for its key,
 * delivered when the capture received it, or at once if it was received before the request.
 */
import type { SnapshotRequest, VenueAdapter } from './adapter.js';

export class CapturedSnapshots {
  /** Keys asked for and not answered yet. */
  readonly waiting = new Set<string>();
  /** Snapshot key -> bodies received and not yet used. */
  private readonly unused = new Map<string, string[]>();
  private readonly due: { key: string; body: string }[] = [];

  /** The session environment's `requestSnapshot`. */
  readonly request = (req: SnapshotRequest): void => {
    const body = this.unused.get(req.key)?.shift();
    if (body !== undefined) this.due.push({ key: req.key, body });
    else this.waiting.add(req.key);
  };

  /** A snapshot body the capture received for `key`. */
  received(key: string, body: string): void {
    if (this.waiting.delete(key)) this.due.push({ key, body });
    else this.unused.set(key, [...(this.unused.get(key) ?? []), body]);
  }

  /** Hands the answered requests to the adapter, in order. */
  deliver(adapter: VenueAdapter): void {
    for (let d = this.due.shift(); d; d = this.due.shift()) adapter.onSnapshot(d.key, d.body);
  }
}
