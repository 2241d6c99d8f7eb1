/**
 * marketprism-broker never leaves nats-server behind: SIGKILL the broker and its
 * nats-server goes too (setpriv --pdeathsig); a port still held at start is reported
 * with the process holding it, and nats-server is not started.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { natsServerCommand, openLogPipe } from '../../src/broker/supervisor.js';
import { createLogger } from '../../src/core/logger.js';
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

  // The broker's death leaves nats-server writing its shutdown lines to a reader that is gone.
  // A Go program is killed by SIGPIPE when that write is on fd 1 or 2 (before its JetStream
  // shutdown); through the FIFO the write just fails and nats-server exits 0. Both are shown:
  // the control (log on stdout) must die of SIGPIPE, or this test proves nothing.
  async function exitWithReadersGone(logPipe: boolean): Promise<{ code: number | null; signal: NodeJS.Signals | null; lines: number }> {
    const dir = mkdtempSync(join(tmpdir(), 'mp-natslog-'));
    const [port, monitor] = [await freePort(), await freePort()];
    const conf = join(dir, 'nats-server.conf');
    writeFileSync(conf, `port: ${port}\nhttp_port: ${monitor}\njetstream { store_dir: ${JSON.stringify(join(dir, 'js'))} }\n`);
    const pipe = logPipe ? openLogPipe(join(dir, 'nats-server.log.fifo'), createLogger({ name: 'test', level: 'silent' })) : undefined;
    if (logPipe && !pipe) throw new Error('no log FIFO');
    let lines = 0;
    pipe?.socket.on('data', (d: Buffer) => (lines += d.toString().split('\n').length - 1));
    const cmd = natsServerCommand(natsServerBinary(), conf, null, pipe?.path);
    const child = spawn(cmd.file, cmd.args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (d: Buffer) => (lines += d.toString().split('\n').length - 1));
    child.stderr.on('data', (d: Buffer) => (lines += d.toString().split('\n').length - 1));
    await waitFor('nats-server healthy', async () => (await fetch(`http://127.0.0.1:${monitor}/healthz`).catch(() => undefined))?.ok === true, 10_000);
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.once('exit', (code, signal) => r({ code, signal })));
    child.stdout.destroy();
    child.stderr.destroy();
    pipe?.socket.destroy();
    await new Promise((r) => setTimeout(r, 200));
    child.kill('SIGTERM');
    return { ...(await exited), lines };
  }

  it('nats-server exits cleanly on SIGTERM after the broker (its log reader) is gone: its log goes through a FIFO', async () => {
    const control = await exitWithReadersGone(false);
    expect(control.signal).toBe('SIGPIPE');
    const fixed = await exitWithReadersGone(true);
    expect(fixed).toMatchObject({ code: 0, signal: null });
    expect(fixed.lines).toBeGreaterThan(5); // its start-up lines came through the FIFO
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
