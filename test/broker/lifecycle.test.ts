/**
 * marketprism-broker never leaves nats-server behind: SIGKILL the broker and its
 * nats-server goes too (setpriv --pdeathsig); a port still held at start is reported
 * with the process holding it, and nats-server is not started.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { natsServerCommand } from '../../src/broker/supervisor.js';
import { findPortHolders } from '../../src/broker/ports.js';
import { natsServerBinary } from '../../src/testing/nats-server.js';
import { freePort, waitFor } from '../../src/testing/ports.js';
import { brokerEnv, type BrokerEnv } from '../helpers/broker-env.js';
import { spawnDaemon } from '../helpers/daemons.js';

/** True while `pid` is a live process (a zombie has exited: it only waits to be reaped). */
function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

describe('marketprism-broker and its nats-server', () => {
  let broker: BrokerEnv | undefined;
  let natsPid = 0;
  let holder: Server | undefined;
  afterAll(async () => {
    if (natsPid && running(natsPid)) process.kill(natsPid, 'SIGKILL');
    await broker?.daemon.stop('SIGKILL');
    holder?.close();
  });

  it('runs nats-server under setpriv --pdeathsig, which execs it', () => {
    expect(natsServerCommand('/x/nats-server', '/c.conf', '/usr/bin/setpriv')).toEqual({
      file: '/usr/bin/setpriv',
      args: ['--pdeathsig', 'TERM', '--', '/x/nats-server', '-c', '/c.conf'],
    });
    expect(natsServerCommand('/x/nats-server', '/c.conf', null)).toEqual({ file: '/x/nats-server', args: ['-c', '/c.conf'] });
  });

  it('nats-server exits within seconds when the broker is SIGKILLed', async () => {
    broker = await brokerEnv();
    natsPid = broker.natsPid();
    expect(readFileSync(`/proc/${natsPid}/comm`, 'utf8').trim()).toBe('nats-server');
    expect(await broker.daemon.stop('SIGKILL')).toBe(null);
    await waitFor(`nats-server pid ${natsPid} gone after the broker's SIGKILL`, () => !running(natsPid), 5000, 50);
  });

  it('reports a port still held at start, with the process holding it, and starts no nats-server', async () => {
    const port = await freePort();
    holder = createServer();
    await new Promise<void>((r) => holder!.listen(port, '127.0.0.1', r));
    expect(findPortHolders(port)).toEqual([expect.objectContaining({ pid: process.pid })]);

    const dir = broker!.dir;
    const configFile = join(dir, 'held.yaml');
    writeFileSync(
      configFile,
      `nats_server:\n  binary: ${natsServerBinary()}\n  host: 127.0.0.1\n  port: ${port}\n  monitor_port: ${await freePort()}\n` +
        `  store_dir: ${join(dir, 'held/jetstream')}\nstreams_file: streams.yaml\n`,
    );
    const d = spawnDaemon('broker', ['--config', configFile]);
    const code = await new Promise<number | null>((r) => d.child.once('exit', (c) => r(c)));
    expect(code).toBe(1);
    expect(d.output()).toContain(`nats-server cannot start: port ${port} on 127.0.0.1 is already in use: held by pid ${process.pid} (`);
    expect(d.output()).toContain(`or set another nats_server.port in ${configFile}`);
    expect(d.output()).not.toContain('"msg":"nats-server started"');
  });
});
