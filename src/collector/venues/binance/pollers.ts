/**
 * Binance USDⓈ-M REST polls: open interest, and the two long/short ratio endpoints
 * (the top-trader position ratio and the all-account ratio are different endpoints).
 */
import type { VenueConfig } from '../../config.js';
import { binanceLsrLimit } from '../../periods.js';
import type { PollTarget } from '../../rest/pollers.js';
import { isDatedSymbol } from '../../symbols.js';
import { binanceWire } from './symbols.js';

/** COIN-M: open interest of each perpetual and delivery (`/dapi/v1/openInterest`). */
export function binanceCoinmPolls(cfg: VenueConfig): PollTarget[] {
  if (!cfg.data_types.includes('open_interest')) return [];
  return cfg.symbols.map((symbol) => {
    const s = binanceWire(symbol, 'coinm');
    return { key: `oi:${s}`, url: `${cfg.rest_url}/dapi/v1/openInterest?symbol=${s}`, weight: 1, intervalMs: cfg.open_interest_poll_ms };
  });
}

export function binanceUsdmPolls(cfg: VenueConfig): PollTarget[] {
  const has = (t: string) => cfg.data_types.includes(t as never);
  const out: PollTarget[] = [];
  const p = cfg.lsr_period;
  const limit = binanceLsrLimit(p);
  for (const symbol of cfg.symbols) {
    const s = binanceWire(symbol, 'usdm');
    if (has('open_interest'))
      out.push({ key: `oi:${s}`, url: `${cfg.rest_url}/fapi/v1/openInterest?symbol=${s}`, weight: 1, intervalMs: cfg.open_interest_poll_ms });
    if (isDatedSymbol(symbol)) continue; // the long/short statistics cover perpetuals only
    if (has('lsr_top_position'))
      out.push({
        key: `lsr_top:${s}`,
        url: `${cfg.rest_url}/futures/data/topLongShortPositionRatio?symbol=${s}&period=${p}&limit=${limit}`,
        weight: 1,
        intervalMs: cfg.lsr_poll_ms,
      });
    if (has('lsr_all_account'))
      out.push({
        key: `lsr_all:${s}`,
        url: `${cfg.rest_url}/futures/data/globalLongShortAccountRatio?symbol=${s}&period=${p}&limit=${limit}`,
        weight: 1,
        intervalMs: cfg.lsr_poll_ms,
      });
  }
  return out;
}
