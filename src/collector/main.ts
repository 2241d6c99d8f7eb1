import { runDaemon } from '../core/daemon.js';
import { loadCollectorConfig } from './config.js';

/**
 * The daemon and its subcommands. Each part is imported when it runs: `replay` (the
 * backfill path) does not load the NATS client, prom-client and the live feeds, which
 * took a fifth of a short replay's CPU (bench `replay-process`).
 */
export function main(argv: string[]): Promise<void> {
  return runDaemon(
    {
      module: 'collector',
      load: loadCollectorConfig,
      start: async (config, log) => (await import('./service.js')).startCollector(config, log),
      commands: {
        record: async (args) => (await import('./record.js')).recordCommand(args),
        replay: async (args) => (await import('./replay.js')).replayCommand(args),
      },
    },
    argv,
  );
}
