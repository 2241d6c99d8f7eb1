/**
 * Before any test: the NATS password files the shipped configs (config/*.yaml) name, as a
 * package's post-install creates them in /etc/marketprism/nats (config/nats is git-ignored).
 */
import { ensureCredentials } from '../../src/cli/credentials.js';

export default function setup(): void {
  ensureCredentials('config/nats');
}
