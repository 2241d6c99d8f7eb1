/**
 * REST polling for what the venues do not stream (Binance open interest, the
 * long/short ratios of Binance and OKX): each venue's folder says what it polls
 * (venues/<venue>/pollers.ts). Plain fetch through the venue's RestScheduler: ccxt's
 * unified methods turn these values into floats and do not cover the top-position
 * endpoint cleanly, and exact decimals matter more here.
 */
import type { VenueConfig } from '../config.js';
import { venueOf } from '../venues/registry.js';

export interface PollTarget {
  key: string;
  url: string;
  weight: number;
  intervalMs: number;
}

export function pollTargets(cfg: VenueConfig): PollTarget[] {
  return venueOf(cfg.name).polls?.(cfg) ?? [];
}
