/**
 * What a standby member collected but did not publish: each symbol's last records (trades,
 * funding, ...; never books, whose next record carries the whole state), kept for `keepMs`
 * and at most `maxPerSymbol`, handed over when the member starts publishing the symbol. A
 * takeover after its owner died so covers the records the owner made but never got
 * acknowledged; the overlap collapses by natural key in storage.
 */
import type { MarketRecord } from '../../core/model.js';

export class StandbyBuffer {
  private readonly held = new Map<string, { at: number; record: MarketRecord }[]>();

  constructor(
    private readonly keepMs: number,
    private readonly maxPerSymbol = 20_000,
  ) {}

  push(symbol: string, record: MarketRecord, now = Date.now()): void {
    let list = this.held.get(symbol);
    if (!list) this.held.set(symbol, (list = []));
    list.push({ at: now, record });
    let old = 0;
    while (old < list.length && (now - list[old]!.at > this.keepMs || list.length - old > this.maxPerSymbol)) old++;
    if (old > 0) list.splice(0, old);
  }

  /** The symbol's records still within keepMs, oldest first; the buffer forgets them. */
  take(symbol: string, now = Date.now()): MarketRecord[] {
    const list = this.held.get(symbol) ?? [];
    this.held.delete(symbol);
    return list.filter((x) => now - x.at <= this.keepMs).map((x) => x.record);
  }

  drop(symbol: string): void {
    this.held.delete(symbol);
  }
}
