import type { TradeRecord } from '../src/core/model.js';

/** Trade `i`: received at `localMs`, traded 3 ms before; price and quantity vary with `i`. */
export function sampleTrade(i: number, prefix: string, localMs: number, symbol: string): TradeRecord {
  return {
    data_type: 'trade',
    exchange: 'binance',
    market_type: 'spot',
    symbol,
    timestamp: localMs - 3,
    local_timestamp: localMs,
    trade_id: `${prefix}${i}`,
    price: `${27000 + (i % 997)}.${String(i % 100).padStart(2, '0')}`,
    quantity: `0.${String(i % 100000).padStart(5, '0')}`,
    quantity_raw: `0.${String(i % 100000).padStart(5, '0')}`,
    quantity_unit: 'base',
    side: i % 2 ? 'buy' : 'sell',
    is_maker: i % 3 === 0,
    trade_time: localMs - 3,
  };
}

export function sampleTrades(n: number, prefix = ''): TradeRecord[] {
  const t0 = Date.now() - 60_000;
  return Array.from({ length: n }, (_, i) => sampleTrade(i, prefix, t0 + i + 3, i % 2 ? 'BTC-USDT' : 'ETH-USDT'));
}
