/** The simulator side of Deribit. */
import type { SimVenueParts } from '../../../../sim/venue-registry.js';
import { DeribitFeed } from './feed.js';
import { DeribitProtocol } from './protocol.js';

export const deribitSim = (): SimVenueParts => ({ protocol: new DeribitProtocol(), generate: (o, p) => new DeribitFeed(o, p) });
