/** Splitting subscriptions over connections: venues cap streams per connection. */
export function shards<T>(items: readonly T[], perConnection: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += perConnection) out.push(items.slice(i, i + perConnection));
  return out;
}
