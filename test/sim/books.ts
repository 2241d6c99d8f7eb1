/** A text order book for tests: levels keyed by the price string, as the wire sends it. */
export class TextBook {
  readonly bids = new Map<string, string[]>();
  readonly asks = new Map<string, string[]>();

  apply(side: 'bids' | 'asks', levels: string[][]): void {
    const m = this[side];
    for (const l of levels) {
      if (Number(l[1]) === 0) m.delete(l[0]!);
      else m.set(l[0]!, l);
    }
  }

  top(n = Infinity): { bids: string[][]; asks: string[][] } {
    return {
      bids: [...this.bids.values()].sort((a, b) => Number(b[0]) - Number(a[0])).slice(0, n),
      asks: [...this.asks.values()].sort((a, b) => Number(a[0]) - Number(b[0])).slice(0, n),
    };
  }

  crossed(): boolean {
    const { bids, asks } = this.top(1);
    return bids.length > 0 && asks.length > 0 && Number(bids[0]![0]) >= Number(asks[0]![0]);
  }
}
