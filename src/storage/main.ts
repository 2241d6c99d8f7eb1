import { runDaemon } from '../core/daemon.js';
import { loadStorageConfig } from './config.js';
import { startStorage } from './service.js';

export function main(argv: string[]): Promise<void> {
  return runDaemon({ module: 'storage', load: loadStorageConfig, start: startStorage }, argv);
}
