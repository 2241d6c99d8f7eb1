/** One record of every data type, with values chosen to catch float and precision loss. */
import type { MarketRecord, TradeRecord } from '../../src/core/model.js';

// Recent, so the hot tier's TTL (3 days) keeps the rows; ms precision on purpose.
const T = Math.floor(Date.now() / 1000) * 1000 - 3_600_000 + 123;

export function sampleRecords(): MarketRecord[] {
  const base = { exchange: 'binance', market_type: 'perpetual', symbol: 'BTC-USDT', timestamp: T, local_timestamp: T + 7 } as const;
  return [
    {
      ...base,
      data_type: 'orderbook',
      market_type: 'spot',
      last_update_id: '18446744073709551000',
      bids: [
        ['27150.01', '0.00012300'],
        ['27150', '12345678901234567890.123456789012345678'],
      ],
      asks: [['27150.02', '0.000000000000000001']],
      quantity_unit: 'base',
      bids_raw: undefined,
      asks_raw: undefined,
    },

    {
      ...base,
      data_type: 'trade',
      trade_id: '5123107852948',
      price: '0.1',
      quantity: '0.2',
      quantity_raw: '0.2',
      quantity_unit: 'base',
      side: 'sell',
      is_maker: true,
      trade_time: T,
    },
    {
      ...base,
      data_type: 'funding_rate',
      funding_rate: '-0.00012345',
      mark_price: '97123.45678901',
      index_price: '97120.1',
      funding_time: T,
      next_funding_time: T + 8 * 3600_000,
    },
    {
      ...base,
      exchange: 'okx',
      data_type: 'open_interest',
      open_interest: '12345.678',
      open_interest_raw: '1234567.8',
      open_interest_unit: 'contracts',
      open_interest_value: '1199999999.999999999999999999',
    },
    {
      ...base,
      data_type: 'liquidation',
      side: 'buy',
      price: '0.00000001',
      quantity: '99999999999999999999',
      quantity_raw: '99999999999999999999',
      quantity_unit: 'base',
      liquidation_time: T,
    },
    { ...base, data_type: 'lsr_top_position', long_position_ratio: '0.6543', short_position_ratio: '0.3457', long_short_ratio: '1.8927', period: '5m' },
    { ...base, data_type: 'lsr_all_account', long_account_ratio: '0.5', short_account_ratio: '0.5', long_short_ratio: '1', period: '5m' },
    {
      ...base,
      exchange: 'deribit',
      market_type: 'options',
      symbol: 'BTC-USD',
      data_type: 'volatility_index',
      index_value: '60.04',
      underlying_asset: 'BTC',
      maturity_date: undefined,
    },
  ] as MarketRecord[];
}

/** Records whose venue counts quantities in contracts (OKX swaps): base quantities beside the raw ones. */
export function contractRecords(): MarketRecord[] {
  const base = { exchange: 'okx', market_type: 'perpetual', timestamp: T, local_timestamp: T + 7 } as const;
  return [
    {
      ...base,
      symbol: 'BTC-USDT',
      data_type: 'orderbook',
      last_update_id: '9690930615',
      bids: [
        ['97000.1', '0.05'],
        ['97000', '12.34'],
      ],
      asks: [['97000.2', '0.01']],
      quantity_unit: 'contracts',
      bids_raw: ['5', '1234'],
      asks_raw: ['1'],
    },
    {
      ...base,
      symbol: 'BTC-USD',
      data_type: 'trade',
      trade_id: '77',
      price: '30000',
      quantity: '0.016666666666666667',
      quantity_raw: '5',
      quantity_unit: 'contracts',
      side: 'buy',
      is_maker: false,
      trade_time: T,
    },
  ];
}

export function trades(n: number, opts: { symbol?: string; start?: number; idPrefix?: string } = {}): TradeRecord[] {
  const out: TradeRecord[] = [];
  for (let i = 0; i < n; i++) {
    const t = T + (opts.start ?? 0) + i;
    out.push({
      data_type: 'trade',
      exchange: 'binance',
      market_type: 'spot',
      symbol: opts.symbol ?? 'BTC-USDT',
      timestamp: t,
      local_timestamp: t + 1,
      trade_id: `${opts.idPrefix ?? ''}${(opts.start ?? 0) + i}`,
      price: `${27000 + (i % 1000)}.${String(i % 100).padStart(2, '0')}`,
      quantity: `0.${String(i).padStart(8, '0')}1`,
      quantity_raw: `0.${String(i).padStart(8, '0')}1`,
      quantity_unit: 'base',
      side: i % 2 ? 'buy' : 'sell',
      is_maker: i % 3 === 0,
      trade_time: t,
    });
  }
  return out;
}
