/**
 * Which keys were seen lately, for exactly-once trades: a second connection (rotation,
 * a successor delivering before the old socket goes) repeats the trades of a few
 * seconds, never older ones, and ClickHouse's natural key catches anything later.
 *
 * Bounded in time as well as in count: keys live in two generations, the current and
 * the previous, and the previous one is dropped whole once the current one is
 * `windowMs` old or holds `max` keys. A key is remembered at least one generation (a
 * window, or the last `max` keys in a burst) and at most two. The size follows the
 * trade rate and stops growing one window after start, where a count-only window
 * grew for as long as it took to fill (21 minutes at the soak's rate), and a key is
 * never deleted one at a time (no iterator per trade).
 */
export class RecentKeys {
  private current = new Set<string>();
  private previous = new Set<string>();
  private since: number;

  constructor(
    private readonly windowMs: number,
    private readonly max: number,
    private readonly now: () => number = Date.now,
  ) {
    this.since = now();
  }

  /** True the first time a key is seen within the window. */
  add(key: string): boolean {
    if (this.current.has(key) || this.previous.has(key)) return false;
    const t = this.now();
    if (this.current.size >= this.max || t - this.since >= this.windowMs) {
      this.previous = this.current;
      this.current = new Set();
      this.since = t;
    }
    this.current.add(key);
    return true;
  }

  /** Keys remembered now (both generations). */
  get size(): number {
    return this.current.size + this.previous.size;
  }
}

/** How long a trade's key is remembered at least: far above the overlap of two connections. */
export const TRADE_KEY_WINDOW_MS = 60_000;
/** Keys per generation at most: a burst shortens the window rather than growing memory. */
export const TRADE_KEYS_MAX = 50_000;
