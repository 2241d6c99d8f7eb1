/**
 * The REST bodies of a capture, indexed for a replay. Book snapshots are handed out
 * once each, in recorded order (a second request gets the next recorded snapshot);
 * other bodies (exchangeInfo, instruments) are served again and again, the latest
 * one the replay has reached.
 */
import type { SnapshotEndpoint, VenueProtocol } from '../protocol.js';
import type { RestRequest } from '../types.js';

export interface RecordedBody {
  url: string;
  at: number;
  body: string;
  snapshot: SnapshotEndpoint | undefined;
  reached: boolean;
  consumed: boolean;
}

/** Query parameters that do not change which recorded body answers a request. */
const IGNORED_PARAMS = new Set(['limit', 'sz', 'timestamp', 'signature', 'recvWindow']);

export function restKey(req: RestRequest): string {
  const params = [...req.params].filter(([k]) => !IGNORED_PARAMS.has(k)).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `${req.path}?${new URLSearchParams(params).toString()}`;
}

export class RecordedBodies {
  /** In stream order: the n-th `http` event of the capture is `list[n]`. */
  readonly list: RecordedBody[] = [];
  private readonly byKey = new Map<string, number[]>();

  constructor(private readonly protocol: VenueProtocol) {}

  add(url: string, at: number, body: string): void {
    const u = new URL(url);
    const req: RestRequest = { path: u.pathname, params: u.searchParams };
    const snapshot = this.protocol.snapshotEndpoint(req);
    const key = snapshot?.key ?? restKey(req);
    let ids = this.byKey.get(key);
    if (!ids) this.byKey.set(key, (ids = []));
    ids.push(this.list.length);
    this.list.push({ url, at, body, snapshot, reached: false, consumed: false });
  }

  /** The next book snapshot not yet handed out for this request's instrument. */
  nextSnapshot(snapshot: SnapshotEndpoint): number | undefined {
    return this.byKey.get(snapshot.key)?.find((i) => !this.list[i]!.consumed);
  }

  /** The latest reached body for a non-snapshot request, else the first recorded. */
  reference(req: RestRequest): RecordedBody | undefined {
    const ids = this.byKey.get(restKey(req));
    if (!ids) return undefined;
    const reached = ids.filter((i) => this.list[i]!.reached);
    return this.list[reached.at(-1) ?? ids[0]!];
  }
}
