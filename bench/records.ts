import type { TradeRecord } from '../src/core/model.js';

export function sampleTrades(n: number, prefix = ''): TradeRecord[] {
  const t0 = Date.now() - 60_000;
  return Array.from({ length: n }, (_, i) => ({
    data_type: 'trade',
    exchange: 'binance',
    market_type: 'spot',
    symbol: i % 2 ? 'BTC-USDT' : 'ETH-USDT',
    timestamp: t0 + i,
    local_timestamp: t0 + i + 3,
    trade_id: `${prefix}${i}`,
    price: `${27000 + (i % 997)}.${String(i % 100).padStart(2, '0')}`,
    quantity: `0.${String(i % 100000).padStart(5, '0')}`,
    quantity_raw: `0.${String(i % 100000).padStart(5, '0')}`,
    quantity_unit: 'base',
    side: i % 2 ? 'buy' : 'sell',
    is_maker: i % 3 === 0,
    trade_time: t0 + i,
  }));
}
