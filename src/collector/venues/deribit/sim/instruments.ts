/**
 * Deribit `public/get_instruments` and `public/get_currencies` results for the
 * simulator's currencies: inverse 10 USD contracts, USDC-linear 0.001 BTC / 0.01 ETH.
 */
import { LISTED_AT } from '../../../../sim/generate/instrument-lists.js';
/** Deribit's dated futures expire on the last Friday of the quarter, 08:00 UTC. */
export function quarterlyExpiry(now: number): number {
  const d = new Date(now);
  for (let q = Math.floor(d.getUTCMonth() / 3); ; q++) {
    const year = d.getUTCFullYear() + Math.floor(q / 4);
    const month = (q % 4) * 3 + 2;
    const last = new Date(Date.UTC(year, month + 1, 0, 8));
    last.setUTCDate(last.getUTCDate() - ((last.getUTCDay() + 2) % 7));
    if (last.getTime() > now) return last.getTime();
  }
}

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];

/** "27JUN25": Deribit's expiry in an instrument name. */
export function deribitExpiryName(ms: number): string {
  const d = new Date(ms);
  return `${d.getUTCDate()}${MONTHS[d.getUTCMonth()]}${String(d.getUTCFullYear() % 100).padStart(2, '0')}`;
}

/** Deribit's perpetuals carry this expiration (3000-01-01). */
const DERIBIT_PERPETUAL_EXPIRY = 32503708800000;

/**
 * `public/get_instruments` rows for a currency: the inverse perpetual the simulator
 * trades (amounts in USD, contract_size 10), and, listed only (no market data), the
 * USDC-linear perpetual (amounts in the coin) and the next quarterly inverse future.
 */
export function deribitInstrumentRows(currency: string, tick: number, now: number, firstId: number): Record<string, unknown>[] {
  const expiry = quarterlyExpiry(now);
  const inverse = (name: string, period: 'perpetual' | 'month', expiration: number, id: number) => ({
    tick_size: tick,
    tick_size_steps: [],
    taker_commission: 0.0005,
    settlement_period: period,
    settlement_currency: currency,
    rfq: false,
    quote_currency: 'USD',
    price_index: `${currency.toLowerCase()}_usd`,
    min_trade_amount: 10,
    max_liquidation_commission: 0.0075,
    max_leverage: 50,
    maker_commission: 0,
    kind: 'future',
    is_active: true,
    instrument_name: name,
    instrument_id: id,
    instrument_type: 'reversed',
    expiration_timestamp: expiration,
    creation_timestamp: LISTED_AT,
    counter_currency: 'USD',
    contract_size: 10,
    block_trade_tick_size: 0.01,
    block_trade_min_trade_amount: 200000,
    block_trade_commission: 0.00025,
    base_currency: currency,
  });
  const linearSize = currency === 'BTC' ? 0.001 : 0.01;
  return [
    inverse(`${currency}-PERPETUAL`, 'perpetual', DERIBIT_PERPETUAL_EXPIRY, firstId),
    {
      ...inverse(`${currency}_USDC-PERPETUAL`, 'perpetual', DERIBIT_PERPETUAL_EXPIRY, firstId + 1),
      settlement_currency: 'USDC',
      quote_currency: 'USDC',
      counter_currency: 'USDC',
      price_index: `${currency.toLowerCase()}_usdc`,
      instrument_type: 'linear',
      min_trade_amount: linearSize,
      contract_size: linearSize,
    },
    inverse(`${currency}-${deribitExpiryName(expiry)}`, 'month', expiry, firstId + 2),
  ];
}

export function deribitCurrencyRow(currency: string): Record<string, unknown> {
  return {
    currency,
    currency_long: currency === 'BTC' ? 'Bitcoin' : currency === 'ETH' ? 'Ethereum' : currency,
    fee_precision: 4,
    min_confirmations: 1,
    min_withdrawal_fee: 0.0001,
    withdrawal_fee: 0.0001,
    withdrawal_priorities: [],
    coin_type: currency === 'BTC' ? 'BITCOIN' : 'ETH',
  };
}
