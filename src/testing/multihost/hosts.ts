/**
 * The hosts scripts/e2e-multihost.sh made (network namespaces on one bridge, described in
 * its topology.json), and what the driver does to them: run a daemon on one, run a command
 * or an HTTP request on one's own loopback, pull or plug its network cable.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { ROOT, spawnProc, type Proc } from '../fault-suite/procs.js';

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
  // `ip netns exec` execs node in the namespace: the child's pid is the daemon's.
  return spawnProc(`${name}@${h.name}`, script, args, logFile, ['ip', 'netns', 'exec', h.ns]);
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
