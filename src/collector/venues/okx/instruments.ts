/**
 * OKX instrument lists through ccxt (`/api/v5/public/instruments` per instType): SPOT
 * counts the base asset; SWAP/FUTURES count contracts of ctVal × ctMult `ctValCcy`,
 * base units when ctType is linear, quote (USD) units when inverse.
 */
import type { MarketInterface as Market } from 'ccxt';
import { decimal, text, type Row } from '../../instruments/classify.js';
import { InstrumentFieldError, type InstrumentInfo, type InstrumentSource } from '../../instruments/types.js';
import { multiplyDecimal } from '../../../core/decimal-math.js';
import { okxInstrument } from './symbols.js';

const INST_TYPE: Record<string, string> = { spot: 'SPOT', swap: 'SWAP', future: 'FUTURES' };

export const okxInstruments: InstrumentSource = {
  ccxt: 'okx',
  types: ['spot', 'swap', 'future'],
  recordedTypes: (keys) =>
    Object.keys(INST_TYPE).filter((t) => keys.some((k) => k.startsWith('/api/v5/public/instruments?') && k.includes(`instType=${INST_TYPE[t]}`))),
  classify: classifyOkx,
};

function classifyOkx(m: Market): InstrumentInfo | undefined {
  const info = (m.info ?? {}) as Row;
  const wire = text('okx', String(m.id), info, 'instId')!;
  const named = okxInstrument(wire);
  if (!named) return undefined;
  const contract = named.market_type !== 'spot';
  let contractSize: string | undefined;
  let linear = true;
  if (contract) {
    const ctVal = decimal('okx', wire, info, 'ctVal', true)!;
    const ctMultText = info['ctMult'];
    const ctMult = ctMultText === '' || ctMultText === undefined ? '1' : decimal('okx', wire, info, 'ctMult', true)!;
    contractSize = multiplyDecimal(ctVal, ctMult);
    const ctType = info['ctType'];
    if (ctType !== 'linear' && ctType !== 'inverse') throw new InstrumentFieldError('okx', wire, 'ctType', ctType, "expected 'linear' or 'inverse'");
    linear = ctType === 'linear';
  }
  return {
    exchange: 'okx',
    wire,
    symbol: named.symbol,
    market_type: named.market_type,
    base: m.base,
    quote: m.quote,
    settle: contract ? (m.settle ?? undefined) : undefined,
    quantity_unit: contract ? 'contracts' : 'base',
    contract_size: contractSize,
    linear,
    expiry: named.market_type === 'futures' ? (m.expiry ?? undefined) : undefined,
    tick_size: decimal('okx', wire, info, 'tickSz', false),
    lot_size: decimal('okx', wire, info, 'lotSz', false),
    active: m.active === true,
  };
}
