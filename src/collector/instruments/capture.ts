/** A catalog from capture files: their REST bodies (`URL -> T: BODY` lines) through catalogFromBodies. */
import { readCaptureFiles } from '../../capture/format.js';
import { catalogFromBodies, type InstrumentCatalog } from './catalog.js';
import type { InstrumentVenue, RecordedBody } from './types.js';

export async function catalogFromCapture(venue: InstrumentVenue, files: readonly string[]): Promise<InstrumentCatalog> {
  const bodies: RecordedBody[] = [];
  for await (const e of readCaptureFiles([...files])) if (e.kind === 'http') bodies.push({ url: e.url, body: e.body });
  return catalogFromBodies(venue, bodies);
}
