/** The simulator side of Binance: protocol dialects and generated markets. */
import type { SimVenueParts } from '../../../../sim/venue-registry.js';
import { BinanceCoinmFeed } from './coinm.js';
import { BINANCE_COINM, BINANCE_SPOT, BINANCE_USDM, BinanceProtocol } from './protocol.js';
import { BinanceSpotFeed } from './spot.js';
import { BinanceUsdmFeed } from './usdm.js';

export const binanceSpotSim = (): SimVenueParts => ({ protocol: new BinanceProtocol(BINANCE_SPOT), generate: (o, p, l) => new BinanceSpotFeed(o, p, l) });
export const binanceCoinmSim = (): SimVenueParts => ({ protocol: new BinanceProtocol(BINANCE_COINM), generate: (o, p, l) => new BinanceCoinmFeed(o, p, l) });
export const binanceUsdmSim = (): SimVenueParts => ({ protocol: new BinanceProtocol(BINANCE_USDM), generate: (o, p, l) => new BinanceUsdmFeed(o, p, l) });
