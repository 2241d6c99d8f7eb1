import { runDaemon } from '../core/daemon.js';
import { loadCollectorConfig } from './config.js';
import { recordCommand } from './record.js';
import { replayCommand } from './replay.js';
import { startCollector } from './service.js';

export function main(argv: string[]): Promise<void> {
  return runDaemon(
    {
      module: 'collector',
      load: loadCollectorConfig,
      start: startCollector,
      commands: { record: recordCommand, replay: replayCommand },
    },
    argv,
  );
}
