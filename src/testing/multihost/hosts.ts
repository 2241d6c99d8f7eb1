/**
 * The hosts scripts/e2e-multihost.sh made (network namespaces on one bridge, described in
 * its topology.json), and what the driver does to them: run a daemon on one, run a command
 * or an HTTP request on one's own loopback, pull or plug its network cable.
 */
import { execFile, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { ROOT, type Proc } from '../fault-suite/procs.js';

const run = promisify(execFile);

export interface Host {
  name: string;
  /** The network namespace. */
  ns: string;
  /** Its address on the bridge. */
  addr: string;
  /** Its veth peer on the bridge (in the switch's namespace): down is a cable pulled. */
  link: string;
}

export interface Topology {
  /** The run's directory (configs, logs, stores). */
  dir: string;
  /** The namespace holding the bridge. */
  switch: string;
  hosts: Record<string, Host>;
}

export function readTopology(file: string): Topology {
  const t = JSON.parse(readFileSync(file, 'utf8')) as Topology;
  for (const [name, h] of Object.entries(t.hosts)) h.name = name;
  return t;
}

export function host(t: Topology, name: string): Host {
  const h = t.hosts[name];
  if (!h) throw new Error(`topology: no host ${name} (have ${Object.keys(t.hosts).join(', ')})`);
  return h;
}

/** A compiled entry point (bin/*.js) on `h`, as its own process logging to `logFile`. */
export function spawnOn(h: Host, name: string, script: string, args: string[], logFile: string): Proc {
  const fd = openSync(logFile, 'a');
  // `ip netns exec` execs node in the namespace: the child's pid is the daemon's.
  const child = spawn('ip', ['netns', 'exec', h.ns, process.execPath, resolve(ROOT, script), ...args], {
    cwd: ROOT,
    env: { ...process.env, JOURNAL_STREAM: '', NOTIFY_SOCKET: '' },
    stdio: ['ignore', fd, fd],
  });
  closeSync(fd);
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const alive = () => child.exitCode === null && child.signalCode === null;
  return {
    name: `${name}@${h.name}`,
    logFile,
    child,
    get pid() {
      return child.pid!;
    },
    alive,
    async stop(signal = 'SIGTERM', ms = 30_000) {
      if (!alive()) return;
      child.kill(signal);
      const t = setTimeout(() => alive() && child.kill('SIGKILL'), ms);
      await exited;
      clearTimeout(t);
    },
    log: () => readFileSync(logFile, 'utf8'),
  };
}

/** A command run on `h`; its stdout. */
export async function runOn(h: Host, cmd: string, args: string[], timeoutMs = 30_000): Promise<string> {
  const { stdout } = await run('ip', ['netns', 'exec', h.ns, cmd, ...args], { cwd: ROOT, timeout: timeoutMs, maxBuffer: 256 * 1024 * 1024 });
  return stdout;
}

/** GET `path` from a listener on `h`'s own loopback (health, metrics and monitoring stay there); undefined when it does not answer. */
export async function httpOn(h: Host, port: number, path: string): Promise<string | undefined> {
  try {
    return await runOn(h, 'curl', ['-sf', '--max-time', '3', `http://127.0.0.1:${port}${path}`], 10_000);
  } catch {
    return undefined;
  }
}

/** Pulls (`false`) or plugs (`true`) `h`'s cable: its port on the bridge. */
export async function setLink(t: Topology, h: Host, up: boolean): Promise<void> {
  await run('ip', ['-n', t.switch, 'link', 'set', h.link, up ? 'up' : 'down']);
}
