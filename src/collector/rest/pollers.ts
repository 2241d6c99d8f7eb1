/**
 * REST polling for what the venues do not stream: Binance open interest, and the
 * long/short ratios of both Binance and OKX. The top-trader *position* ratio and the
 * all-account ratio are two different endpoints on each venue (the original called
 * one of them twice). Plain fetch through the venue's RestScheduler: ccxt's unified
 * methods turn these values into floats and do not cover the top-position endpoint
 * cleanly, and exact decimals matter more here than one more dependency.
 */
import type { VenueConfig } from '../config.js';
import { binanceLsrLimit, okxPeriod } from '../periods.js';
import { binanceWire, isDatedSymbol, okxInstId } from '../symbols.js';

export interface PollTarget {
  key: string;
  url: string;
  weight: number;
  intervalMs: number;
}

export function pollTargets(cfg: VenueConfig): PollTarget[] {
  const has = (t: string) => cfg.data_types.includes(t as never);
  const out: PollTarget[] = [];
  const p = cfg.lsr_period;
  for (const symbol of cfg.symbols) {
    if (cfg.name === 'binance_derivatives') {
      const s = binanceWire(symbol);
      if (has('open_interest')) out.push({ key: `oi:${s}`, url: `${cfg.rest_url}/fapi/v1/openInterest?symbol=${s}`, weight: 1, intervalMs: cfg.open_interest_poll_ms });
      const limit = binanceLsrLimit(p);
      if (has('lsr_top_position')) out.push({ key: `lsr_top:${s}`, url: `${cfg.rest_url}/futures/data/topLongShortPositionRatio?symbol=${s}&period=${p}&limit=${limit}`, weight: 1, intervalMs: cfg.lsr_poll_ms });
      if (has('lsr_all_account')) out.push({ key: `lsr_all:${s}`, url: `${cfg.rest_url}/futures/data/globalLongShortAccountRatio?symbol=${s}&period=${p}&limit=${limit}`, weight: 1, intervalMs: cfg.lsr_poll_ms });
    }
    // The long/short statistics cover perpetual swaps only.
    if (cfg.name === 'okx_derivatives' && !isDatedSymbol(symbol)) {
      const instId = okxInstId(symbol, 'perpetual');
      const rubik = `${cfg.rest_url}/api/v5/rubik/stat/contracts`;
      const p = okxPeriod(cfg.lsr_period);
      if (has('lsr_top_position')) out.push({ key: `lsr_top:${instId}`, url: `${rubik}/long-short-position-ratio-contract-top-trader?instId=${instId}&period=${p}`, weight: 1, intervalMs: cfg.lsr_poll_ms });
      if (has('lsr_all_account')) out.push({ key: `lsr_all:${instId}`, url: `${rubik}/long-short-account-ratio-contract?instId=${instId}&period=${p}`, weight: 1, intervalMs: cfg.lsr_poll_ms });
    }
  }
  return out;
}
