/** OKX REST polls: the rubik long/short ratios of the perpetual swaps (open interest streams). */
import type { VenueConfig } from '../../config.js';
import { okxPeriod } from '../../periods.js';
import type { PollTarget } from '../../rest/pollers.js';
import { isDatedSymbol } from '../../symbols.js';
import { okxInstId } from './symbols.js';

export function okxDerivativesPolls(cfg: VenueConfig): PollTarget[] {
  const has = (t: string) => cfg.data_types.includes(t as never);
  const out: PollTarget[] = [];
  const rubik = `${cfg.rest_url}/api/v5/rubik/stat/contracts`;
  const p = okxPeriod(cfg.lsr_period);
  for (const symbol of cfg.symbols) {
    if (isDatedSymbol(symbol)) continue; // the long/short statistics cover perpetual swaps only
    const instId = okxInstId(symbol, 'perpetual');
    if (has('lsr_top_position'))
      out.push({
        key: `lsr_top:${instId}`,
        url: `${rubik}/long-short-position-ratio-contract-top-trader?instId=${instId}&period=${p}`,
        weight: 1,
        intervalMs: cfg.lsr_poll_ms,
      });
    if (has('lsr_all_account'))
      out.push({
        key: `lsr_all:${instId}`,
        url: `${rubik}/long-short-account-ratio-contract?instId=${instId}&period=${p}`,
        weight: 1,
        intervalMs: cfg.lsr_poll_ms,
      });
  }
  return out;
}
