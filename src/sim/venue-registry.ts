/**
 * The simulator's venues: each protocol's simulator side, from the venue registry
 * (src/collector/venues/registry.ts), loaded on demand so the collector never loads it.
 */
import { PROTOCOLS, VENUE_KINDS } from '../collector/venues/registry.js';
import type { GeneratedFeed, GenerateOptions } from './generate/feed.js';
import type { SimLimits, VenueProtocol } from './protocol.js';
import type { FramePublisher, SimVenue } from './types.js';

export interface SimVenueParts {
  protocol: VenueProtocol;
  generate(opts: GenerateOptions, publisher: FramePublisher, limits: SimLimits): GeneratedFeed;
}

export async function createVenue(venue: SimVenue): Promise<SimVenueParts> {
  if (!Object.hasOwn(PROTOCOLS, venue)) throw new RangeError(`unknown simulator venue ${JSON.stringify(venue)}; expected one of ${VENUE_KINDS.join(', ')}`);
  return PROTOCOLS[venue].sim();
}
