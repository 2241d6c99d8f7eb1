/** marketprism-broker as a child process on free loopback ports, with its own store directory. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { spawnDaemon, type DaemonProcess } from './daemons.js';
import { ensureCredentials } from '../../src/cli/credentials.js';
import { natsServerBinary } from '../../src/testing/nats-server.js';
import { freePort, waitFor } from '../../src/testing/ports.js';

export interface BrokerEnvOptions {
  /** NATS users per role, passwords in `<dir>/nats/<role>.password` (marketprism credentials ensure). */
  auth?: boolean;
  /** nats_server.tls, file paths as written in broker.yaml. */
  tls?: { cert_file: string; key_file: string; ca_file?: string; verify_clients?: boolean };
}

export interface BrokerEnv {
  dir: string;
  /** With auth: the password file of each role. */
  passwordFile: (role: 'admin' | 'collector' | 'storage') => string;
  configFile: string;
  streamsFile: string;
  url: string;
  monitorUrl: string;
  daemon: DaemonProcess;
  start(): Promise<void>;
  /** PID of the nats-server the broker runs now (from its log). */
  natsPid(): number;
}

export async function brokerEnv(opts: BrokerEnvOptions = {}): Promise<BrokerEnv> {
  const dir = mkdtempSync(join(tmpdir(), 'mp-broker-'));
  const port = await freePort();
  const monitor = await freePort();
  const streamsFile = join(dir, 'streams.yaml');
  writeFileSync(streamsFile, (await import('node:fs')).readFileSync(resolve('config/streams.yaml'), 'utf8'));
  if (opts.auth) ensureCredentials(join(dir, 'nats'));
  const configFile = join(dir, 'broker.yaml');
  writeFileSync(
    configFile,
    [
      'nats_server:',
      `  binary: ${natsServerBinary()}`,
      '  host: 127.0.0.1',
      `  port: ${port}`,
      `  monitor_port: ${monitor}`,
      `  store_dir: ${join(dir, 'state/jetstream')}`,
      ...(opts.auth ? ['  auth:', ...['admin', 'collector', 'storage'].map((r) => `    ${r}_password_file: nats/${r}.password`)] : []),
      ...(opts.tls ? ['  tls:', ...Object.entries(opts.tls).map(([k, v]) => `    ${k}: ${String(v)}`)] : []),
      '  restart_backoff_ms: { initial: 200, max: 2000 }',
      'streams_file: streams.yaml',
      'log_level: info',
      '',
    ].join('\n'),
  );
  const env: BrokerEnv = {
    dir,
    passwordFile: (role) => join(dir, 'nats', `${role}.password`),
    configFile,
    streamsFile,
    url: `${opts.tls ? 'tls' : 'nats'}://127.0.0.1:${port}`,
    monitorUrl: `http://127.0.0.1:${monitor}`,
    daemon: undefined as unknown as DaemonProcess,
    async start() {
      env.daemon = spawnDaemon('broker', ['--config', configFile]);
      const d = env.daemon;
      await waitFor(
        `broker ready (output: ${d.output().slice(-2000)})`,
        () => {
          if (d.child.exitCode !== null) throw new Error(`broker exited ${d.child.exitCode}: ${d.output().slice(-2000)}`);
          return d.output().includes('"msg":"streams reconciled"', d.output().lastIndexOf('"msg":"starting"'));
        },
        30_000,
      );
    },
    natsPid() {
      const pids = [...env.daemon.output().matchAll(/"pid":(\d+),"binary"[^\n]*"msg":"nats-server started"/g)];
      return Number(pids.at(-1)![1]);
    },
  };
  await env.start();
  return env;
}
