import { runDaemon } from '../core/daemon.js';
import { loadBrokerConfig } from './config.js';
import { startBroker } from './service.js';

export function main(argv: string[]): Promise<void> {
  return runDaemon({ module: 'broker', load: loadBrokerConfig, start: startBroker }, argv);
}
