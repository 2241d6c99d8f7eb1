/**
 * A real nats-server with JetStream on free loopback ports, in a temporary store
 * directory. The binary: $NATS_SERVER_BIN, else the pinned one scripts/install-deps.sh
 * builds into .tools/bin, else nats-server on PATH.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { freePort, waitFor } from './ports.js';

export function natsServerBinary(): string {
  if (process.env.NATS_SERVER_BIN) return process.env.NATS_SERVER_BIN;
  // From src/testing (vitest) or build/src/testing (compiled): the repo root holds package.json.
  let dir = import.meta.dirname;
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  const pinned = resolve(dir, '.tools/bin/nats-server');
  return existsSync(pinned) ? pinned : 'nats-server';
}

export interface TestNatsServer {
  readonly url: string;
  readonly port: number;
  readonly monitorPort: number;
  readonly storeDir: string;
  /** SIGKILL (crash) or SIGTERM (clean stop); the store directory is kept. */
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** Start again on the same ports with the same store. */
  start(): Promise<void>;
  /** stop + start. */
  restart(signal?: NodeJS.Signals): Promise<void>;
  /** Stop and delete the store. */
  dispose(): Promise<void>;
}

export async function startNatsServer(): Promise<TestNatsServer> {
  const port = await freePort();
  const monitorPort = await freePort();
  const storeDir = mkdtempSync(join(tmpdir(), 'mp-nats-'));
  let child: ChildProcess | undefined;
  let log = '';

  const start = async () => {
    log = '';
    child = spawn(natsServerBinary(), ['-a', '127.0.0.1', '-p', String(port), '-m', String(monitorPort), '-js', '-sd', storeDir, '--server_name', 'test'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const c = child;
    c.stderr!.on('data', (d: Buffer) => (log = (log + d.toString()).slice(-4000)));
    c.stdout!.on('data', (d: Buffer) => (log = (log + d.toString()).slice(-4000)));
    await waitFor(
      `nats-server on :${port} (log: ${log})`,
      async () => {
        if (c.exitCode !== null) throw new Error(`nats-server exited ${c.exitCode}: ${log}`);
        const r = await fetch(`http://127.0.0.1:${monitorPort}/healthz?js-enabled-only=true`);
        return r.ok;
      },
      20_000,
    );
  };
  const stop = async (signal: NodeJS.Signals = 'SIGTERM') => {
    const c = child;
    child = undefined;
    if (!c || c.exitCode !== null) return;
    const exited = new Promise((r) => c.once('exit', r));
    c.kill(signal);
    await exited;
  };
  await start();
  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    monitorPort,
    storeDir,
    stop,
    start,
    async restart(signal) {
      await stop(signal);
      await start();
    },
    async dispose() {
      await stop('SIGKILL');
      rmSync(storeDir, { recursive: true, force: true });
    },
  };
}
