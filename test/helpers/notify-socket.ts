/**
 * A stand-in for systemd's notify socket: a unix datagram socket (NOTIFY_SOCKET) whose
 * messages (READY=1, STATUS=..., WATCHDOG=1) a test can read, so a daemon spawned with it
 * talks to it through the real sd-notify addon exactly as it talks to systemd. Node has no
 * unix datagram sockets; python3 (which scripts/install-deps.sh ensures, node-gyp needs it)
 * binds one and prints each datagram as a JSON line.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { waitFor } from '../../src/testing/ports.js';

const LISTENER = `
import json, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
print(json.dumps({"bound": True}), flush=True)
while True:
    data = s.recv(65536)
    print(json.dumps({"at": __import__("time").time(), "msg": data.decode("utf-8", "replace")}), flush=True)
`;

export interface NotifyMessage {
  /** Seconds since the epoch (when it arrived). */
  at: number;
  /** The assignments of one datagram, e.g. { READY: '1' } or { STATUS: 'degraded: ...' }. */
  fields: Record<string, string>;
}

export interface NotifySocket {
  /** The socket's path: the daemon's NOTIFY_SOCKET. */
  readonly path: string;
  readonly messages: NotifyMessage[];
  /** The STATUS= texts received so far, in order. */
  statuses(): string[];
  /** Resolves with the first message (from now on or already received) for which `match` holds. */
  waitFor(what: string, match: (m: NotifyMessage) => boolean, timeoutMs?: number): Promise<NotifyMessage>;
  close(): Promise<void>;
}

export async function notifySocket(): Promise<NotifySocket> {
  const dir = mkdtempSync(join(tmpdir(), 'mp-notify-'));
  const path = join(dir, 'notify.sock');
  const child: ChildProcess = spawn('python3', ['-c', LISTENER, path], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
  const messages: NotifyMessage[] = [];
  let bound = false;
  createInterface({ input: child.stdout! }).on('line', (line) => {
    const o = JSON.parse(line) as { bound?: boolean; at: number; msg: string };
    if (o.bound) {
      bound = true;
      return;
    }
    const fields: Record<string, string> = {};
    for (const assignment of o.msg.split('\n').filter(Boolean)) {
      const eq = assignment.indexOf('=');
      fields[assignment.slice(0, eq)] = assignment.slice(eq + 1);
    }
    messages.push({ at: o.at, fields });
  });
  await waitFor(
    'the notify socket listener',
    async () => {
      if (child.exitCode !== null) throw new Error(`python3 notify listener exited ${child.exitCode}: ${stderr}`);
      return bound;
    },
    10_000,
  );
  return {
    path,
    messages,
    statuses: () => messages.flatMap((m) => (m.fields.STATUS === undefined ? [] : [m.fields.STATUS])),
    waitFor: (what, match, timeoutMs = 30_000) => waitFor(what, async () => messages.find(match), timeoutMs),
    async close() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
