/** publish_interval: at most one book per key per interval, the latest state, nothing stale. */
import { describe, expect, it } from 'vitest';
import { BookEmitter } from '../../src/collector/book/emitter.js';
import type { OrderbookRecord } from '../../src/core/model.js';

const rec = (id: number) => ({ last_update_id: String(id) }) as OrderbookRecord;

describe('BookEmitter', () => {
  it('publishes the first change at once, coalesces the rest into one trailing record with the latest state', () => {
    const out: string[] = [];
    const e = new BookEmitter(100, (r) => out.push(r.last_update_id));
    let state = 1;
    const build = () => rec(state);
    e.changed('A', build, 0);
    state = 2;
    e.changed('A', build, 30);
    state = 3;
    e.changed('A', build, 60);
    e.tick(90);
    expect(out).toEqual(['1']);
    e.tick(100);
    expect(out).toEqual(['1', '3']);
    e.tick(500);
    expect(out).toEqual(['1', '3']); // nothing pending
    e.changed('B', () => rec(9), 101); // other keys are independent
    expect(out).toEqual(['1', '3', '9']);
  });

  it('drops a pending book that went out of sync, and publishes every change at interval 0', () => {
    const out: string[] = [];
    const e = new BookEmitter(100, (r) => out.push(r.last_update_id));
    e.changed('A', () => rec(1), 0);
    e.changed('A', () => undefined, 10);
    e.tick(200);
    expect(out).toEqual(['1']);
    const all: string[] = [];
    const z = new BookEmitter(0, (r) => all.push(r.last_update_id));
    for (let i = 0; i < 5; i++) z.changed('A', () => rec(i), 0);
    expect(all).toEqual(['0', '1', '2', '3', '4']);
  });
});
