/** Connecting to NATS the same way in every daemon and CLI command. */
import { readFileSync } from 'node:fs';
import { connect, usernamePasswordAuthenticator, type ConnectionOptions, type NatsConnection } from '@nats-io/transport-node';
import type { ConfigReader } from './config.js';
import type { Logger } from './logger.js';

export type { NatsConnection };

/** TLS for a client: the CA that signed the server's certificate; a certificate and key of its own when the server verifies clients. */
export interface NatsClientTls {
  ca_file: string;
  cert_file: string;
  key_file: string;
}

/**
 * Who a client is to nats-server: a user and the file holding its password (read at each
 * connect, never kept in the config object, never logged), and TLS. Empty user: no auth.
 */
export interface NatsClientAuth {
  user: string;
  password_file: string;
  tls: NatsClientTls | undefined;
}

export const NO_AUTH: NatsClientAuth = { user: '', password_file: '', tls: undefined };

/** A daemon passes its config's whole `nats:` section (servers, auth) plus its name; other keys are ignored. */
export interface NatsOptions {
  servers: string[];
  name: string;
  auth?: NatsClientAuth;
  /** Give up on the first connect after this long (0: keep trying forever). */
  connectTimeoutMs?: number;
}

/**
 * Reads `user`, `password_file` and `tls` of a client's `nats:` section. `role` is the user
 * when only password_file is given (collector, storage, admin: the broker's roles).
 */
export function readNatsClientAuth(n: ConfigReader, role: string): NatsClientAuth {
  const password_file = n.has('password_file') ? n.secretFile('password_file') : (n.raw('password_file'), '');
  const user = n.string('user', password_file ? role : '');
  if (user && !password_file)
    n.fail('user', `user ${JSON.stringify(user)} needs password_file (the file holding its password, e.g. /etc/marketprism/nats/${role}.password)`);
  return { user, password_file, tls: readClientTls(n) };
}

/** The `tls:` section of a client: ca_file required, cert_file and key_file together or not at all. */
export function readClientTls(n: ConfigReader): NatsClientTls | undefined {
  if (!n.has('tls')) {
    n.raw('tls');
    return undefined;
  }
  const t = n.child('tls');
  const tls = {
    ca_file: t.readableFile('ca_file'),
    cert_file: t.has('cert_file') ? t.readableFile('cert_file') : (t.raw('cert_file'), ''),
    key_file: t.has('key_file') ? t.secretFile('key_file') : (t.raw('key_file'), ''),
  };
  if (Boolean(tls.cert_file) !== Boolean(tls.key_file))
    t.fail(tls.cert_file ? 'key_file' : 'cert_file', 'cert_file and key_file go together (a client certificate and its key)');
  t.done();
  return tls;
}

/** The password in `file`: its first line, without the line end. */
export function readPasswordFile(file: string): string {
  return readFileSync(file, 'utf8').split('\n')[0]!.trimEnd();
}

/** The connect options for `auth`: the password is read from its file at each (re)connect, so a rotated file is picked up. */
export function authOptions(auth: NatsClientAuth | undefined): Partial<ConnectionOptions> {
  const out: Partial<ConnectionOptions> = {};
  if (auth?.user) {
    const file = auth.password_file;
    out.authenticator = usernamePasswordAuthenticator(auth.user, () => readPasswordFile(file));
  }
  if (auth?.tls) {
    out.tls = { caFile: auth.tls.ca_file, ...(auth.tls.cert_file ? { certFile: auth.tls.cert_file, keyFile: auth.tls.key_file } : {}) };
  }
  return out;
}

export async function connectNats(opts: NatsOptions, log: Logger): Promise<NatsConnection> {
  const nc = await connect({
    servers: opts.servers,
    name: opts.name,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 1000,
    reconnectJitter: 500,
    timeout: opts.connectTimeoutMs ?? 5000,
    pingInterval: 20_000,
    // A refused password (a rotation half done, a file not yet copied) is retried like an outage, never a closed connection.
    ignoreAuthErrorAbort: true,
    // No Error (with its stack) made per request to decorate a later timeout: an ack's
    // request costs two such constructors otherwise (9 % of a live collector's profile,
    // docs/benchmarks.md). A timeout still names the subject; only the caller's stack is gone.
    noAsyncTraces: true,
    ...authOptions(opts.auth),
  });
  void watchStatus(nc, log);
  log.info({ server: nc.getServer(), user: opts.auth?.user || undefined, tls: opts.auth?.tls ? true : undefined }, 'connected to NATS');
  return nc;
}

/** Calls `change(false)` on every disconnect of `nc` and `change(true)` on every reconnect. */
export function onConnectionChange(nc: NatsConnection, change: (connected: boolean) => void): void {
  void (async () => {
    for await (const s of nc.status()) {
      if (s.type === 'disconnect') change(false);
      else if (s.type === 'reconnect') change(true);
    }
  })();
}

async function watchStatus(nc: NatsConnection, log: Logger): Promise<void> {
  for await (const s of nc.status()) {
    switch (s.type) {
      case 'disconnect':
        log.warn({ server: s.server }, 'NATS disconnected');
        break;
      case 'reconnect':
        log.info({ server: s.server }, 'NATS reconnected');
        break;
      case 'error':
        log.error({ err: s.error }, 'NATS error');
        break;
      default:
        break;
    }
  }
}
