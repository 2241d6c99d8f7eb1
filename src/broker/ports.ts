/**
 * Before nats-server starts: are its ports free? A port still held (typically by a
 * nats-server an earlier broker left behind) is reported with the process holding it,
 * found through /proc/net/tcp{,6} and /proc/<pid>/fd, where this user may look.
 */
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { createServer } from 'node:net';

export interface PortHolder {
  pid: number;
  command: string;
}

/** Resolves undefined when `host:port` can be bound, else the error code (EADDRINUSE, EACCES...). */
export function probePort(host: string, port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
    s.listen({ host, port, exclusive: true }, () => s.close(() => resolve(undefined)));
  });
}

/** Inodes of the sockets listening on `port` (any address). */
function listeningInodes(port: number): Set<string> {
  const inodes = new Set<string>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      // local_address is HEXIP:HEXPORT; state 0A is LISTEN; field 9 is the inode.
      if (f.length > 9 && f[3] === '0A' && parseInt(f[1]!.split(':')[1]!, 16) === port) inodes.add(f[9]!);
    }
  }
  return inodes;
}

/** The processes (of those this user can inspect) holding a listening socket on `port`. */
export function findPortHolders(port: number): PortHolder[] {
  const inodes = listeningInodes(port);
  if (inodes.size === 0) return [];
  const holders: PortHolder[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${entry}/fd`);
    } catch {
      continue; // gone, or another user's
    }
    const holds = fds.some((fd) => {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${entry}/fd/${fd}`));
        return m !== null && inodes.has(m[1]!);
      } catch {
        return false;
      }
    });
    if (!holds) continue;
    let command = '';
    try {
      command = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
    } catch {
      // exited meanwhile
    }
    holders.push({ pid: Number(entry), command });
  }
  return holders;
}

/**
 * Throws naming every port of `ports` that cannot be bound on `host`, who holds it
 * and what to do; resolves when all are free.
 */
export async function assertPortsFree(host: string, ports: Record<string, number>, configFile: string): Promise<void> {
  const problems: string[] = [];
  for (const [key, port] of Object.entries(ports)) {
    const code = await probePort(host, port);
    if (!code) continue;
    if (code !== 'EADDRINUSE') {
      problems.push(`${key} ${port} on ${host}: cannot listen (${code})`);
      continue;
    }
    const holders = findPortHolders(port);
    const who =
      holders.length > 0
        ? `held by ${holders.map((h) => `pid ${h.pid} (${h.command || 'unknown command'})`).join(', ')}; ` +
          `if that is a nats-server left behind by an earlier broker, stop it: kill ${holders.map((h) => h.pid).join(' ')}`
        : `held by a process this user cannot see (another user's?); look with: ss -ltnp 'sport = :${port}'`;
    problems.push(`${key} ${port} on ${host} is already in use: ${who}; or set another nats_server.${key} in ${configFile}`);
  }
  if (problems.length > 0) throw new Error(`nats-server cannot start: ${problems.join('; ')}`);
}
