/**
 * What a collector needs to point at a simulator: per collector venue key
 * (config/collector.yaml), the URLs, and for a replay the symbols and data types the
 * recording carries (from cryptofeed's `configuration:` line), in the collector's
 * BASE-QUOTE notation.
 */
import type { ExchangeSim } from './sim.js';
import { venueOf, venuesOfKind } from '../collector/venues/registry.js';
import type { SimVenue } from './types.js';

export interface CollectorVenue {
  venue: SimVenue;
  ws_url: string;
  rest_url: string;
  symbols?: string[];
  data_types?: string[];
}

/** cryptofeed channel names -> data model types (the ones a replay can carry). */
const CHANNEL_TYPES: Record<string, string> = {
  l2_book: 'orderbook',
  trades: 'trade',
  funding: 'funding_rate',
  open_interest: 'open_interest',
  liquidations: 'liquidation',
};

export function collectorVenues(sims: readonly ExchangeSim[]): Record<string, CollectorVenue> {
  const out: Record<string, CollectorVenue> = {};
  for (const sim of sims) {
    const recorded = recordedSubscriptions(sim.recordedConfiguration);
    for (const key of venuesOfKind(sim.venue)) {
      const entry: CollectorVenue = { venue: sim.venue, ws_url: sim.wsUrl, rest_url: sim.restUrl };
      if (recorded) {
        const symbols = [...new Set(recorded.symbols.flatMap((s) => venueOf(key).fromCryptofeed(s) ?? []))];
        // A recording with nothing for this key (e.g. no OKX swap) gives the collector nothing to do there.
        if (symbols.length === 0) continue;
        entry.symbols = symbols;
        entry.data_types = recorded.dataTypes;
      }
      out[key] = entry;
    }
  }
  return out;
}

function recordedSubscriptions(configuration: readonly string[]): { symbols: string[]; dataTypes: string[] } | undefined {
  const symbols = new Set<string>();
  const dataTypes = new Set<string>();
  for (const text of configuration) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      continue; // cryptofeed wrote Python reprs in some versions; nothing to learn from them
    }
    for (const [channel, list] of Object.entries(parsed as Record<string, unknown>)) {
      const type = CHANNEL_TYPES[channel];
      if (!type || !Array.isArray(list)) continue;
      dataTypes.add(type);
      for (const s of list) if (typeof s === 'string') symbols.add(s);
    }
  }
  return dataTypes.size > 0 ? { symbols: [...symbols], dataTypes: [...dataTypes] } : undefined;
}
