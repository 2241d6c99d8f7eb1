/**
 * What cannot work by waiting (here: the broker's NATS port held by another process)
 * still ends the start, but never silently: the reason goes to the status line
 * (STATUS=, read from a notify socket through the real sd-notify addon) as well as the
 * log, READY=1 is never sent, and the daemon exits 1 at once (no retry loop inside).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { natsServerBinary } from '../../src/testing/nats-server.js';
import { freePort } from '../../src/testing/ports.js';
import { spawnDaemon } from '../helpers/daemons.js';
import { notifySocket, type NotifySocket } from '../helpers/notify-socket.js';

describe('a start that cannot succeed', () => {
  let holder: Server | undefined;
  let notify: NotifySocket | undefined;
  let dir: string | undefined;
  afterAll(async () => {
    holder?.close();
    await notify?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('says why in STATUS=, sends no READY=1 and exits 1 within seconds', async () => {
    const port = await freePort();
    holder = createServer();
    await new Promise<void>((r) => holder!.listen(port, '127.0.0.1', r));
    dir = mkdtempSync(join(tmpdir(), 'mp-broker-held-'));
    const configFile = join(dir, 'broker.yaml');
    writeFileSync(
      configFile,
      `nats_server:\n  binary: ${natsServerBinary()}\n  host: 127.0.0.1\n  port: ${port}\n  monitor_port: ${await freePort()}\n` +
        `  store_dir: ${join(dir, 'jetstream')}\nstreams_file: ${resolve('config/streams.yaml')}\n`,
    );
    notify = await notifySocket();
    const started = Date.now();
    const d = spawnDaemon('broker', ['--config', configFile], { NOTIFY_SOCKET: notify.path });
    const code = await new Promise<number | null>((r) => d.child.once('exit', (c) => r(c)));
    expect(code).toBe(1);
    expect(Date.now() - started).toBeLessThan(15_000);
    const failed = await notify.waitFor(
      `STATUS=could not start (got ${JSON.stringify(notify.messages)}; output ${d.output().slice(-1500)})`,
      (m) => (m.fields.STATUS ?? '').startsWith('could not start: '),
      5000,
    );
    expect(failed.fields.STATUS).toContain(`nats-server cannot start: port ${port} on 127.0.0.1 is already in use: held by pid ${process.pid}`);
    expect(notify.messages.some((m) => m.fields.READY === '1')).toBe(false);
  });
});
