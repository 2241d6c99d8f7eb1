/** The simulator's venues: each one's protocol and generated market. */
import type { GeneratedFeed, GenerateOptions } from '../generate/feed.js';
import type { SimLimits, VenueProtocol } from '../protocol.js';
import type { FramePublisher, SimVenue } from '../types.js';
import { BINANCE_SPOT, BINANCE_USDM, BinanceProtocol } from './binance.js';
import { BinanceSpotFeed } from './binance-spot.js';
import { BinanceUsdmFeed } from './binance-usdm.js';
import { DeribitProtocol } from './deribit.js';
import { DeribitFeed } from './deribit-feed.js';
import { OkxProtocol } from './okx.js';
import { OkxFeed } from './okx-feed.js';

export interface SimVenueParts {
  protocol: VenueProtocol;
  generate(opts: GenerateOptions, publisher: FramePublisher, limits: SimLimits): GeneratedFeed;
}

const VENUES: Record<SimVenue, () => SimVenueParts> = {
  'binance-spot': () => ({ protocol: new BinanceProtocol(BINANCE_SPOT), generate: (o, p, l) => new BinanceSpotFeed(o, p, l) }),
  'binance-usdm': () => ({ protocol: new BinanceProtocol(BINANCE_USDM), generate: (o, p, l) => new BinanceUsdmFeed(o, p, l) }),
  okx: () => ({ protocol: new OkxProtocol(), generate: (o, p) => new OkxFeed(o, p) }),
  deribit: () => ({ protocol: new DeribitProtocol(), generate: (o, p) => new DeribitFeed(o, p) }),
};

export function createVenue(venue: SimVenue): SimVenueParts {
  const make = VENUES[venue];
  if (!make) throw new RangeError(`unknown simulator venue ${JSON.stringify(venue)}; expected one of ${Object.keys(VENUES).join(', ')}`);
  return make();
}
