/** The trade de-duplication window: bounded in time and in count, never forgetting too early. */
import { describe, expect, it } from 'vitest';
import { RecentKeys } from '../../src/collector/mappers/recent-keys.js';

function clock(start = 1_000_000): { now: () => number; advance: (ms: number) => void } {
  let t = start;
  return { now: () => t, advance: (ms) => (t += ms) };
}

describe('RecentKeys', () => {
  it('admits a key once while it is remembered', () => {
    const c = clock();
    const k = new RecentKeys(60_000, 1000, c.now);
    expect(k.add('spot:BTCUSDT:1')).toBe(true);
    expect(k.add('spot:BTCUSDT:1')).toBe(false);
    expect(k.add('spot:BTCUSDT:2')).toBe(true);
    c.advance(59_999);
    expect(k.add('spot:BTCUSDT:1')).toBe(false);
  });

  it('remembers every key at least one window and forgets it after two', () => {
    const c = clock();
    const k = new RecentKeys(1000, 1_000_000, c.now);
    // One key per 10 ms over 5 windows: each must be refused for the whole window after it was added.
    const added: Array<[string, number]> = [];
    for (let i = 0; i < 500; i++) {
      const key = `k${i}`;
      expect(k.add(key)).toBe(true);
      added.push([key, i * 10]);
      for (const [old, at] of added) if (i * 10 - at < 1000) expect(k.add(old)).toBe(false);
      c.advance(10);
    }
    // Two windows later with no traffic but one new key each window: the old ones are gone.
    k.add('x1');
    c.advance(1000);
    k.add('x2');
    c.advance(1000);
    k.add('x3');
    expect(k.add('k0')).toBe(true);
    expect(k.add('k499')).toBe(true);
  });

  it('stops growing one window after start at a steady rate (the soak: flat after warm-up)', () => {
    const c = clock();
    const k = new RecentKeys(60_000, 50_000, c.now);
    const sizes: number[] = [];
    // 40 trades/s (the soak's rate) for an hour: sampled every minute.
    for (let s = 0; s < 3600; s++) {
      for (let j = 0; j < 40; j++) k.add(`t${s}-${j}`);
      c.advance(1000);
      if (s % 60 === 59) sizes.push(k.size);
    }
    const afterWarmUp = sizes.slice(2);
    expect(Math.max(...afterWarmUp)).toBeLessThanOrEqual(2 * 60 * 40);
    expect(Math.min(...afterWarmUp)).toBeGreaterThanOrEqual(60 * 40);
  });

  it('caps memory in a burst and still remembers the last `max` keys', () => {
    const c = clock();
    const k = new RecentKeys(60_000, 100, c.now);
    for (let i = 0; i < 10_000; i++) expect(k.add(`b${i}`)).toBe(true);
    expect(k.size).toBeLessThanOrEqual(200);
    for (let i = 10_000 - 100; i < 10_000; i++) expect(k.add(`b${i}`)).toBe(false);
  });
});
