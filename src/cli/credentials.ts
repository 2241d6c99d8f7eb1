/**
 * `marketprism credentials ensure`: the NATS passwords of a single-host install. Creates
 * each role's password file that is missing (random, 0640, group marketprism when run as
 * root) in a 0750 directory; keeps every file that exists, so each package's post-install
 * can run it, in any order, and upgrades change nothing.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, closeSync, mkdirSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { ROLES } from '../broker/config.js';

export const DEFAULT_CREDENTIALS_DIR = '/etc/marketprism/nats';

export interface EnsureResult {
  created: string[];
  kept: string[];
}

/** The gid of `group` from /etc/group, or undefined. */
function gidOf(group: string): number | undefined {
  try {
    for (const line of readFileSync('/etc/group', 'utf8').split('\n')) {
      const [name, , gid] = line.split(':');
      if (name === group && gid) return Number(gid);
    }
  } catch {
    // no /etc/group
  }
  return undefined;
}

/** 32 characters of base64url from 24 random bytes (192 bits); never starts with `$` (nats-server would take it for a variable or a bcrypt hash). */
export function newPassword(): string {
  return randomBytes(24).toString('base64url');
}

/** `group`: the files' group (root only; the packages pass marketprism); undefined: this user's. */
export function ensureCredentials(dir: string, group?: string): EnsureResult {
  const asRoot = process.getuid?.() === 0;
  const gid = asRoot && group ? gidOf(group) : undefined;
  if (asRoot && group && gid === undefined) throw new Error(`group ${group} does not exist; the packages create it (systemd-sysusers) before this runs`);
  mkdirSync(dir, { recursive: true, mode: 0o750 });
  if (gid !== undefined) chownSync(dir, 0, gid);
  if ((statSync(dir).mode & 0o007) !== 0) chmodSync(dir, 0o750);
  const result: EnsureResult = { created: [], kept: [] };
  // route: the NATS cluster routes' shared secret (copy one node's file to the others, docs/cluster.md).
  for (const role of [...ROLES, 'route']) {
    const file = join(dir, `${role}.password`);
    let fd: number;
    try {
      fd = openSync(file, 'wx', 0o640); // never replaces a file: an upgrade keeps the passwords
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      result.kept.push(file);
      continue;
    }
    try {
      if (gid !== undefined) chownSync(file, 0, gid);
      chmodSync(file, 0o640); // whatever the umask
      writeSync(fd, `${newPassword()}\n`);
    } finally {
      closeSync(fd);
    }
    result.created.push(file);
  }
  return result;
}
