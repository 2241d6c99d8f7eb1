/** Instrument metadata: units and contract sizes per instrument, loaded with ccxt. */
export { InstrumentCatalog, catalogFromBodies, classifyMarkets, type CatalogLoad, type CatalogOptions } from './catalog.js';
export { catalogFromCapture } from './capture.js';
export { toBaseQuantity } from './quantity.js';
export { InstrumentFieldError, type InstrumentInfo, type InstrumentSource, type InstrumentVenue, type QuantityUnit, type RecordedBody } from './types.js';
