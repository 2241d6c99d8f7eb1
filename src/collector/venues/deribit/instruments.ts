/**
 * Deribit instrument lists through ccxt (`public/get_instruments`): inverse
 * perpetuals/futures (settled in the coin) trade USD amounts (quote); linear (USDC)
 * ones, options and spot count the base asset. Combos are skipped.
 */
import type { MarketInterface as Market } from 'ccxt';
import { decimal, marketType, text, yymmdd, type Row } from '../../instruments/classify.js';
import type { InstrumentInfo, InstrumentSource } from '../../instruments/types.js';
import { deribitInstrument } from './symbols.js';

export const deribitInstruments: InstrumentSource = {
  ccxt: 'deribit',
  types: [],
  // One body with every instrument, or one per currency after get_currencies: whichever was recorded.
  recordedTypes: (keys) => (keys.includes('/api/v2/public/get_instruments?') ? ['all'] : []),
  classify: classifyDeribit,
};

function classifyDeribit(m: Market): InstrumentInfo | undefined {
  const info = (m.info ?? {}) as Row;
  const wire = text('deribit', String(m.id), info, 'instrument_name')!;
  const market = marketType(m);
  if (!market || (typeof info['kind'] === 'string' && info['kind'].includes('combo'))) return undefined;
  let symbol: string | undefined;
  if (market === 'perpetual' || market === 'options') symbol = deribitInstrument(wire)?.symbol;
  else if (market === 'futures') symbol = `${m.base}-${m.quote}-${yymmdd(m.expiry)}`;
  else symbol = `${m.base}-${m.quote}`;
  if (!symbol) return undefined;
  // Inverse futures and perpetuals (settled in the coin) trade USD amounts.
  const inverse = (market === 'perpetual' || market === 'futures') && m.inverse === true;
  return {
    exchange: 'deribit',
    wire,
    symbol,
    market_type: market,
    base: m.base,
    quote: m.quote,
    settle: m.settle ?? undefined,
    quantity_unit: inverse ? 'quote' : 'base',
    contract_size: undefined,
    linear: m.linear === true || market === 'spot',
    expiry: market === 'futures' || market === 'options' ? (m.expiry ?? undefined) : undefined,
    tick_size: decimal('deribit', wire, info, 'tick_size', false),
    lot_size: decimal('deribit', wire, info, 'min_trade_amount', false),
    active: m.active === true,
  };
}
