/**
 * Renders nats-server's own config file from broker.yaml: listeners, JetStream, and (with
 * nats_server.auth) one user per role with what that role may publish and subscribe:
 *   admin      everything (the broker's stream reconcile, `marketprism streams ensure`, operators)
 *   collector  publish market data only, and receive the JetStream acks of its publishes; its
 *              per-interval counts (marketprism.counts.collector.*); on the key-value buckets
 *              (fleet leases): write keys and watch them (an ordered consumer), nothing else of
 *              the JetStream API
 *   storage    the JetStream API calls of its durable pull consumers, acks, the dead-letter
 *              subjects; reading the counts stream (an ordered consumer: `marketprism integrity`
 *              uses storage's credentials), never publishing on it; never market data, never a
 *              stream or consumer deletion
 * The file holds the passwords: the broker writes it 0600.
 */
import { DATA_TYPES } from '../core/model.js';
import { readPasswordFile } from '../core/nats.js';
import type { StreamSpec } from '../core/streams.js';
import { countsSubject, isCountsStream, subjectFilter } from '../core/subjects.js';
import { ROLES, type BrokerCluster, type BrokerConfig, type Role } from './config.js';

const quote = (s: string) => JSON.stringify(s);

/** Replies to a client's requests (JetStream acks, API answers) come to its inbox. */
const INBOX = '_INBOX.>';

export interface RolePermissions {
  publish: string[];
  subscribe: string[];
}

/** Market data subjects: what the collector publishes. */
export const MARKET_SUBJECTS = DATA_TYPES.map(subjectFilter);

/** What each role but admin may do, for the streams in streams.yaml. */
export function rolePermissions(streams: StreamSpec[]): Record<Exclude<Role, 'admin'>, RolePermissions> {
  const market = new Set(MARKET_SUBJECTS);
  const buckets = streams.filter((s) => s.kv);
  const plain = streams.filter((s) => !s.kv);
  // The dead-letter subjects: those of the streams that carry no market data (nor the daemons' counts).
  const deadLetter = plain.filter((s) => !s.subjects.some((x) => market.has(x)) && !isCountsStream(s.subjects)).flatMap((s) => s.subjects);
  const api = plain.flatMap((s) => [
    `$JS.API.STREAM.INFO.${s.name}`,
    `$JS.API.CONSUMER.CREATE.${s.name}.>`,
    `$JS.API.CONSUMER.DURABLE.CREATE.${s.name}.>`,
    `$JS.API.CONSUMER.INFO.${s.name}.>`,
    `$JS.API.CONSUMER.MSG.NEXT.${s.name}.>`,
    `$JS.ACK.${s.name}.>`,
  ]);
  // Keys written with create/compare-and-swap (a publish with an expected last sequence), read by
  // watching: an ordered consumer, which creates, reads, asks about and replaces its own ephemeral consumer.
  const kv = buckets.flatMap((s) => [
    ...s.subjects,
    `$JS.API.STREAM.INFO.${s.name}`,
    `$JS.API.CONSUMER.CREATE.${s.name}`,
    `$JS.API.CONSUMER.CREATE.${s.name}.>`,
    `$JS.API.CONSUMER.INFO.${s.name}.>`,
    `$JS.API.CONSUMER.DELETE.${s.name}.>`,
    `$JS.API.CONSUMER.MSG.NEXT.${s.name}.>`,
  ]);
  return {
    collector: { publish: [...MARKET_SUBJECTS, countsSubject('collector', '*'), ...kv], subscribe: [INBOX] },
    storage: { publish: ['$JS.API.INFO', ...api, ...deadLetter], subscribe: [INBOX] },
  };
}

/** A password as nats-server's config takes it in a quoted string (and never as a bcrypt hash or a variable). */
function checkedPassword(role: Role | 'route', file: string, read: (file: string) => string): string {
  const p = read(file);
  if (!/^[\x21-\x7e]{12,}$/.test(p) || /["\\]/.test(p) || p.startsWith('$')) {
    throw new Error(
      `${file} (the ${role} password): expected one line of at least 12 printable ASCII characters without spaces, quotes, backslashes or a leading $; \`marketprism credentials ensure\` writes such passwords`,
    );
  }
  return p;
}

function renderAuth(auth: Record<Role, string>, streams: StreamSpec[], read: (file: string) => string): string[] {
  const perms = rolePermissions(streams);
  const list = (xs: string[]) => `[${xs.map(quote).join(', ')}]`;
  const users = ROLES.map((role) => {
    const password = quote(checkedPassword(role, auth[role], read));
    if (role === 'admin') return `    { user: ${quote(role)}, password: ${password} }`;
    const p = perms[role];
    return `    { user: ${quote(role)}, password: ${password}, permissions: { publish: { allow: ${list(p.publish)} }, subscribe: { allow: ${list(p.subscribe)} } } }`;
  });
  return ['authorization {', '  users: [', ...users, '  ]', '}'];
}

/**
 * The cluster block: this node's route listener, authenticated as user `route` with the
 * shared password, and a route to every node (credentials in the URL, as nats-server takes them).
 */
function renderCluster(c: BrokerCluster, read: (file: string) => string): string[] {
  const password = checkedPassword('route', c.password_file, read);
  const host = c.host.includes(':') ? `[${c.host}]` : c.host;
  return [
    'cluster {',
    `  name: ${quote(c.name)}`,
    `  listen: ${quote(`${host}:${c.port}`)}`,
    `  authorization { user: "route", password: ${quote(password)}, timeout: 2 }`,
    `  routes: [${c.routes.map((r) => quote(`nats-route://route:${encodeURIComponent(password)}@${r}`)).join(', ')}]`,
    '}',
  ];
}

export function renderNatsConfig(c: BrokerConfig['nats_server'], streams: StreamSpec[] = [], read: (file: string) => string = readPasswordFile): string {
  return [
    '# Generated by marketprism-broker from broker.yaml; edits here are overwritten. Holds passwords: mode 0600.',
    `server_name: ${quote(c.server_name)}`,
    `host: ${quote(c.host)}`,
    `port: ${c.port}`,
    `http: ${quote(`${c.monitor_host.includes(':') ? `[${c.monitor_host}]` : c.monitor_host}:${c.monitor_port}`)}`,
    `jetstream {`,
    `  store_dir: ${quote(c.store_dir)}`,
    `  max_memory_store: ${c.max_memory_store}`,
    `  max_file_store: ${c.max_file_store}`,
    `  sync_interval: ${c.sync_interval === 'always' ? 'always' : quote(c.sync_interval)}`,
    `}`,
    ...(c.auth ? renderAuth(c.auth, streams, read) : []),
    ...(c.cluster ? renderCluster(c.cluster, read) : []),
    ...(c.tls
      ? [
          'tls {',
          `  cert_file: ${quote(c.tls.cert_file)}`,
          `  key_file: ${quote(c.tls.key_file)}`,
          ...(c.tls.ca_file ? [`  ca_file: ${quote(c.tls.ca_file)}`] : []),
          `  verify: ${c.tls.verify_clients}`,
          '  timeout: 2',
          '}',
        ]
      : []),
    '',
  ].join('\n');
}
