/** The rate-limited log: one line per key per minute, carrying the count it stands for; memory bounded. */
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { ProblemLog } from '../../src/collector/problems.js';
import { LogLimiter } from '../../src/core/log-limit.js';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  return { log: pino({ level: 'info' }, stream), lines };
}
const settle = () => new Promise((r) => setImmediate(r));

describe('LogLimiter', () => {
  it('lets one line a minute through per key and reports what it suppressed', () => {
    const l = new LogLimiter(60_000);
    expect(l.take('a', 0)).toBe(0);
    expect(l.take('a', 1)).toBeUndefined();
    expect(l.take('b', 2)).toBe(0); // keys are independent
    expect(l.take('a', 59_999)).toBeUndefined();
    expect(l.take('a', 60_000)).toBe(2);
    expect(l.take('a', 60_001)).toBeUndefined();
    expect(l.take('a', 200_000)).toBe(1);
  });

  it('remembers a bounded number of keys, forgetting the least recently logged', () => {
    const l = new LogLimiter(60_000, 3);
    for (const k of ['a', 'b', 'c']) l.take(k, 0);
    l.take('a', 60_000); // a logged again: now the most recent
    l.take('d', 60_001); // evicts b
    expect(l.take('b', 60_002)).toBe(0); // forgotten: logs again at once
    expect(l.take('a', 60_003)).toBeUndefined(); // still remembered
  });

  it('a problem that keeps happening logs a line a minute with the count since the last', async () => {
    const { log, lines } = capture();
    const counted: string[] = [];
    const p = new ProblemLog(log, 'binance_spot', (k) => counted.push(k));
    for (let t = 0; t < 1000; t++) p.report('bad_price', { symbol: 'BTCUSDT', message: 'p: price must be positive, got -1' }, t * 100); // 10 per second for 100 s
    p.report('bad_price', { symbol: 'X'.repeat(500), message: 'y' }, 0);
    await settle();
    expect(counted).toHaveLength(1001); // every one counted
    const btc = lines.filter((l) => l.symbol === 'BTCUSDT');
    expect(btc).toHaveLength(2); // t = 0 and t = 60 s
    expect(btc[0]).toMatchObject({ venue: 'binance_spot', problem: 'bad_price', msg: 'venue data: bad_price' });
    expect(btc[0]!.suppressed).toBeUndefined();
    expect(btc[1]!.suppressed).toBe(599);
    expect(lines.find((l) => l.symbol !== 'BTCUSDT')!.symbol).toHaveLength(64); // a hostile symbol is cut
  });
});
