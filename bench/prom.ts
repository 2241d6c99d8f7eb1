/** Reading a Prometheus text exposition: sums of counters, histogram buckets and quantiles. */

export interface Metrics {
  /** Sum of every series of `name` whose labels contain all of `labels` (e.g. `source="ws"`). */
  sum(name: string, ...labels: string[]): number;
  /** How many series of `name` there are. */
  count(name: string): number;
  /** Cumulative histogram buckets of `name` summed over series: [upper bound, count], ascending. */
  buckets(name: string): [number, number][];
}

export function parseMetrics(text: string): Metrics {
  const series: [string, string, number][] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (m) series.push([m[1]!, m[2] ?? '', Number(m[3])]);
  }
  const sum = (name: string, ...labels: string[]) =>
    series.filter(([n, l]) => n === name && labels.every((x) => l.includes(x))).reduce((a, [, , v]) => a + v, 0);
  return {
    sum,
    count: (name) => series.filter(([n]) => n === name).length,
    buckets(name) {
      const byLe = new Map<number, number>();
      for (const [n, l, v] of series) {
        if (n !== `${name}_bucket`) continue;
        const le = /le="([^"]+)"/.exec(l)?.[1];
        if (le === undefined) continue;
        const bound = le === '+Inf' ? Infinity : Number(le);
        byLe.set(bound, (byLe.get(bound) ?? 0) + v);
      }
      return [...byLe].sort((a, b) => a[0] - b[0]);
    },
  };
}

/**
 * The q-quantile of what a histogram recorded between two readings, interpolated
 * linearly inside the bucket as Prometheus' histogram_quantile does; NaN when empty.
 * Past the last finite bucket it answers that bucket's bound.
 */
export function quantile(q: number, before: [number, number][], after: [number, number][]): number {
  const was = new Map(before);
  const delta = after.map(([le, c]) => [le, c - (was.get(le) ?? 0)] as const);
  const total = delta.at(-1)?.[1] ?? 0;
  if (total <= 0) return NaN;
  const rank = q * total;
  let prevLe = 0;
  let prevCount = 0;
  for (const [le, count] of delta) {
    if (count >= rank) {
      if (le === Infinity) return prevLe;
      return prevLe + ((le - prevLe) * (rank - prevCount)) / Math.max(1, count - prevCount);
    }
    prevLe = le;
    prevCount = count;
  }
  return prevLe;
}
