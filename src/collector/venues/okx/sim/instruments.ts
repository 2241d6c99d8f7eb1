/**
 * OKX `/api/v5/public/instruments` rows for the simulator's instruments; contract sizes
 * are OKX's own: BTC-USDT-SWAP 0.01 BTC, ETH-USDT-SWAP 0.1 ETH, BTC-USD-SWAP 100 USD (others 10).
 */
import { LISTED_AT, type ListedInstrument } from '../../../../sim/generate/instrument-lists.js';

/** OKX contract value: base units per linear contract, USD per inverse one. */
export function okxContractValue(base: string, inverse: boolean): string {
  if (inverse) return base === 'BTC' ? '100' : '10';
  return base === 'BTC' ? '0.01' : base === 'ETH' ? '0.1' : '1';
}

/** One `/api/v5/public/instruments` row (SPOT or SWAP), every field a string as OKX sends them. */
export function okxInstrumentRow(i: ListedInstrument & { instId: string; instType: 'SPOT' | 'SWAP' }): Record<string, string> {
  const swap = i.instType === 'SWAP';
  const inverse = swap && i.quote === 'USD';
  const family = `${i.base}-${i.quote}`;
  return {
    alias: '',
    baseCcy: swap ? '' : i.base,
    category: '1',
    ctMult: swap ? '1' : '',
    ctType: swap ? (inverse ? 'inverse' : 'linear') : '',
    ctVal: swap ? okxContractValue(i.base, inverse) : '',
    ctValCcy: swap ? (inverse ? 'USD' : i.base) : '',
    expTime: '',
    instFamily: swap ? family : '',
    instId: i.instId,
    instType: i.instType,
    lever: swap ? '100' : '10',
    listTime: String(LISTED_AT),
    lotSz: i.step,
    maxIcebergSz: '9999999999',
    maxLmtSz: '9999999999',
    maxMktSz: swap ? '12000' : '1000000',
    maxStopSz: swap ? '12000' : '1000000',
    maxTriggerSz: '9999999999',
    maxTwapSz: '9999999999',
    minSz: i.step,
    optType: '',
    quoteCcy: swap ? '' : i.quote,
    ruleType: 'normal',
    settleCcy: swap ? (inverse ? i.base : i.quote) : '',
    state: 'live',
    stk: '',
    tickSz: i.tick,
    uly: swap ? family : '',
  };
}
