/**
 * The venue registry: every protocol and every configurable venue, gathered from the
 * venue folders. Config, live, record, replay and the simulator read this table and
 * nothing else about venues; adding a venue is a folder and a line here
 * (docs/adding-a-venue.md).
 */
import { binanceProtocols, binanceVenues } from './binance/index.js';
import { deribitProtocols, deribitVenues } from './deribit/index.js';
import { okxProtocols, okxVenues } from './okx/index.js';
import type { ProtocolSpec, VenueSpec } from './types.js';

export const PROTOCOLS = { ...binanceProtocols, ...okxProtocols, ...deribitProtocols } satisfies Record<string, ProtocolSpec>;
/** A protocol: the `--venue` of record, replay and the simulator. */
export type VenueKind = keyof typeof PROTOCOLS;
export const VENUE_KINDS = Object.keys(PROTOCOLS) as VenueKind[];

/** Config keys (`venues.<name>` in collector.yaml), in the order they are documented. */
export const VENUES = { ...binanceVenues, ...okxVenues, ...deribitVenues } satisfies Record<string, VenueSpec<VenueKind>>;
export type ConfigVenue = keyof typeof VENUES;
export const CONFIG_VENUES = Object.keys(VENUES) as ConfigVenue[];

export function isVenueKind(v: string): v is VenueKind {
  return Object.hasOwn(PROTOCOLS, v);
}

export function protocolOf(kind: VenueKind): ProtocolSpec {
  return PROTOCOLS[kind];
}

export function venueOf(name: ConfigVenue): VenueSpec<VenueKind> {
  return VENUES[name];
}

/** The protocol whose captures are named `prefix` (BINANCE, OKX, ...), if any. */
export function kindOfCapture(prefix: string): VenueKind | undefined {
  const name = prefix.toUpperCase();
  return VENUE_KINDS.find((k) => {
    const p: ProtocolSpec = PROTOCOLS[k];
    return p.captureName === name || (p.captureAliases ?? []).includes(name);
  });
}

/** The configured venues that speak `kind`. */
export function venuesOfKind(kind: VenueKind): ConfigVenue[] {
  return CONFIG_VENUES.filter((n) => VENUES[n].kind === kind);
}

export type { AdapterSettings, ProtocolSpec, VenueSpec } from './types.js';
