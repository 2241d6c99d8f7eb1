/** The simulator side of OKX. */
import type { SimVenueParts } from '../../../../sim/venue-registry.js';
import { OkxFeed } from './feed.js';
import { OkxProtocol } from './protocol.js';

export const okxSim = (): SimVenueParts => ({ protocol: new OkxProtocol(), generate: (o, p) => new OkxFeed(o, p) });
