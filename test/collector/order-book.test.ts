/** The exact order book: ordering by value, not by text or by rounded doubles. */
import { describe, expect, it } from 'vitest';
import { OrderBook } from '../../src/collector/book/order-book.js';

describe('OrderBook', () => {
  it('orders bids descending and asks ascending by exact value, replacing equal prices written differently', () => {
    const b = new OrderBook();
    b.bids.set('0.35210000', '1');
    b.bids.set('0.3522', '2');
    b.bids.set('0.352100', '3'); // same price as the first
    b.asks.set('10', '1');
    b.asks.set('9.99', '1');
    expect(b.bids.top(10)).toEqual([
      ['0.3522', '2'],
      ['0.352100', '3'],
    ]);
    expect(b.asks.top(10)).toEqual([
      ['9.99', '1'],
      ['10', '1'],
    ]);
  });

  it('keeps prices apart that one double cannot tell apart', () => {
    const b = new OrderBook();
    b.asks.set('1.00000000000000000001', '1');
    b.asks.set('1.00000000000000000002', '2');
    b.asks.set('1', '3');
    expect(b.asks.top(3)).toEqual([
      ['1', '3'],
      ['1.00000000000000000001', '1'],
      ['1.00000000000000000002', '2'],
    ]);
    b.asks.set('1.00000000000000000001', '0');
    expect(b.asks.size).toBe(2);
  });

  it('detects a crossed book', () => {
    const b = new OrderBook();
    b.bids.set('100', '1');
    b.asks.set('101', '1');
    expect(b.crossed()).toBe(false);
    b.bids.set('101', '1');
    expect(b.crossed()).toBe(true);
  });
});
