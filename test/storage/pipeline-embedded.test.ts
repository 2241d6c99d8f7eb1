// The embedded path: chDB in the storage process; queries through the daemon's /query endpoint.
import { pipelineSuite } from './pipeline.js';

pipelineSuite('embedded');
