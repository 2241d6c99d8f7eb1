/**
 * Credentials from files: `marketprism credentials ensure` (what the packages' post-install
 * runs), and what check-config says about credential files and insecure settings.
 */
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadBrokerConfig } from '../../src/broker/config.js';
import { renderNatsConfig } from '../../src/broker/nats-config.js';
import { ensureCredentials } from '../../src/cli/credentials.js';
import { loadCollectorConfig } from '../../src/collector/config.js';
import { ConfigErrors } from '../../src/core/config.js';
import { loadStorageConfig } from '../../src/storage/config.js';
import { cli } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'mp-creds-'));
const write = (name: string, text: string, mode = 0o640) => {
  const p = join(dir, name);
  writeFileSync(p, text, { mode });
  chmodSync(p, mode);
  return p;
};
const problemsOf = (fn: () => unknown): string[] => {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigErrors) return err.problems.map((p) => p.message);
    throw err;
  }
  return [];
};
const streams = write('streams.yaml', 'streams:\n  - name: A\n    subjects: ["trade.>"]\n  - name: D\n    subjects: ["deadletter.>"]\n');

describe('marketprism credentials ensure', () => {
  it('creates each missing role file (random, 0640) in a 0750 directory, and keeps existing ones', async () => {
    const d = join(dir, 'nats');
    const first = ensureCredentials(d);
    expect(first.created.map((f) => f.slice(d.length + 1))).toEqual(['admin.password', 'collector.password', 'storage.password', 'route.password']);
    expect(statSync(d).mode & 0o777).toBe(0o750);
    const passwords = first.created.map((f) => {
      expect(statSync(f).mode & 0o777).toBe(0o640);
      return readFileSync(f, 'utf8');
    });
    for (const p of passwords) expect(p).toMatch(/^[A-Za-z0-9_-]{32}\n$/);
    expect(new Set(passwords).size).toBe(4);

    rmSync(join(d, 'storage.password'));
    // As root the CLI's default group is marketprism, which this test host need not have.
    const r = await cli('credentials', 'ensure', '--dir', d, ...(process.getuid?.() === 0 ? ['--group', 'root'] : []));
    expect(r.code).toBe(0);
    expect(r.out).toContain(`created ${d}/storage.password`);
    expect(r.out).toContain(`kept ${d}/admin.password`);
    expect(readFileSync(join(d, 'admin.password'), 'utf8')).toBe(passwords[0]); // an upgrade changes nothing
    expect(readFileSync(join(d, 'storage.password'), 'utf8')).not.toBe(passwords[2]);
  });

  it('as root, refuses a group that does not exist instead of leaving files of the wrong group', async () => {
    if (process.getuid?.() !== 0) return; // the group is only used as root
    const r = await cli('credentials', 'ensure', '--dir', join(dir, 'nats-g'), '--group', 'no-such-group-mp');
    expect(r.code).toBe(1);
    expect(r.out).toContain('group no-such-group-mp does not exist');
  });
});

describe('check-config: credential files and insecure settings', () => {
  ensureCredentials(join(dir, 'ok'));
  const auth = (files: Record<string, string>) =>
    `  auth:\n${Object.entries(files)
      .map(([k, v]) => `    ${k}_password_file: ${v}\n`)
      .join('')}`;

  it('refuses NATS on a non-loopback host without auth, accepts it with auth', () => {
    const open = write('broker-open.yaml', `nats_server:\n  host: 0.0.0.0\nstreams_file: ${streams}\n`);
    expect(problemsOf(() => loadBrokerConfig(open))).toEqual([
      `${open}: nats_server.host: 0.0.0.0 is reachable from other hosts, so NATS needs authentication: set nats_server.auth (see docs/security.md), or listen on 127.0.0.1`,
    ]);
    const withAuth = write(
      'broker-auth.yaml',
      `nats_server:\n  host: 0.0.0.0\n${auth({ admin: 'ok/admin.password', collector: 'ok/collector.password', storage: 'ok/storage.password' })}streams_file: ${streams}\n`,
    );
    const c = loadBrokerConfig(withAuth);
    expect(c.nats_server.auth!.collector).toBe(join(dir, 'ok/collector.password')); // relative to broker.yaml
    expect(c.nats_server.monitor_host).toBe('127.0.0.1');
    const rendered = renderNatsConfig(c.nats_server, c.streams);
    expect(rendered).toContain('http: "127.0.0.1:8222"');
    expect(rendered).toMatch(/user: "collector", password: "[A-Za-z0-9_-]{32}", permissions: \{ publish: \{ allow: \["orderbook.>", "trade.>",/);
    expect(rendered).toContain('"$JS.API.CONSUMER.MSG.NEXT.A.>"');
    expect(rendered).toMatch(/user: "storage".*"deadletter.>"\] \}, subscribe: \{ allow: \["_INBOX.>"\]/);
  });

  it('a cluster node: own server_name, auth, routes with the shared route password, streams replicated; each mistake named', () => {
    const roles = auth({ admin: 'ok/admin.password', collector: 'ok/collector.password', storage: 'ok/storage.password' });
    const cluster = (extra: string, routes = '10.0.0.1:6222, 10.0.0.2:6222, 10.0.0.3:6222') =>
      `  cluster:\n    routes: [${routes}]\n    password_file: ok/route.password\n${extra}`;
    const good = write('broker-cluster.yaml', `nats_server:\n  server_name: b1\n${roles}${cluster('')}streams_file: ${streams}\n`);
    const c = loadBrokerConfig(good);
    expect(c.nats_server.cluster).toMatchObject({ name: 'marketprism', port: 6222, stream_replicas: 3 });
    expect(c.streams.every((s) => s.num_replicas === 3)).toBe(true);
    const rendered = renderNatsConfig(c.nats_server, c.streams);
    const route = readFileSync(join(dir, 'ok/route.password'), 'utf8').trim();
    expect(rendered).toContain('server_name: "b1"');
    expect(rendered).toContain(`authorization { user: "route", password: "${route}", timeout: 2 }`);
    expect(rendered).toContain(`"nats-route://route:${route}@10.0.0.3:6222"`);

    const bad = write('broker-cluster-bad.yaml', `nats_server:\n${cluster('    stream_replicas: 5\n', '10.0.0.1:6222, nonsense')}streams_file: ${streams}\n`);
    expect(problemsOf(() => loadBrokerConfig(bad))).toEqual(
      expect.arrayContaining([
        expect.stringContaining('nats_server.server_name: a cluster node needs its own server_name'),
        expect.stringContaining('nats_server.cluster: a cluster needs nats_server.auth'),
        expect.stringContaining('nats_server.cluster.routes[1]: expected host:port'),
        expect.stringContaining('nats_server.cluster.stream_replicas: 5 replicas need at least as many nodes'),
      ]),
    );
  });

  it('names every missing, too open or empty credential file at once, by key and path', () => {
    write('open.password', 'abcdefghijklmnop\n', 0o644);
    write('empty.password', '\n');
    const f = write(
      'broker-bad-creds.yaml',
      `nats_server:\n${auth({ admin: 'missing.password', collector: 'open.password', storage: 'empty.password' })}streams_file: ${streams}\n`,
    );
    expect(problemsOf(() => loadBrokerConfig(f))).toEqual([
      `${f}: nats_server.auth.admin_password_file: ${dir}/missing.password does not exist (a single host: \`marketprism credentials ensure\` creates the NATS credentials; see docs/security.md)`,
      `${f}: nats_server.auth.collector_password_file: ${dir}/open.password is open to every user of this host (mode 0644); it holds a secret: chmod 0640 ${dir}/open.password (owner root, group marketprism)`,
      `${f}: nats_server.auth.storage_password_file: ${dir}/empty.password is empty`,
    ]);
  });

  it('clients: password_file checked the same way; user without password_file refused', () => {
    const c = write('collector-bad.yaml', 'nats:\n  user: collector\n');
    expect(problemsOf(() => loadCollectorConfig(c))).toEqual([
      `${c}: nats.user: user "collector" needs password_file (the file holding its password, e.g. /etc/marketprism/nats/collector.password)`,
    ]);
    const s = write('storage-missing.yaml', 'nats:\n  password_file: /nonexistent/storage.password\n');
    expect(problemsOf(() => loadStorageConfig(s))[0]).toBe(
      `${s}: nats.password_file: /nonexistent/storage.password does not exist (a single host: \`marketprism credentials ensure\` creates the NATS credentials; see docs/security.md)`,
    );
    const ok = loadStorageConfig(write('storage-ok.yaml', 'nats:\n  password_file: ok/storage.password\n'));
    expect(ok.nats.auth).toEqual({ user: 'storage', password_file: join(dir, 'ok/storage.password'), tls: undefined });
  });

  it('ClickHouse: an inline password is refused, password_file is a checked file; an empty inline one (old configs) is harmless', () => {
    const inline = write('storage-inline.yaml', 'clickhouse:\n  password: hunter2hunter2\n');
    expect(problemsOf(() => loadStorageConfig(inline))).toEqual([
      `${inline}: clickhouse.password: inline passwords are not accepted; put it in a file (mode 0640 root:marketprism) and set clickhouse.password_file`,
    ]);
    expect(loadStorageConfig(write('storage-empty-pw.yaml', 'clickhouse:\n  password: ""\n')).clickhouse.password_file).toBe('');
    write('ch.password', 'hunter2hunter2\n', 0o600);
    expect(loadStorageConfig(write('storage-pwfile.yaml', 'clickhouse:\n  password_file: ch.password\n')).clickhouse.password_file).toBe(
      join(dir, 'ch.password'),
    );
    write('ch-open.password', 'hunter2hunter2\n', 0o604);
    expect(problemsOf(() => loadStorageConfig(write('storage-pwopen.yaml', 'clickhouse:\n  password_file: ch-open.password\n')))[0]).toContain(
      'clickhouse.password_file: ',
    );
  });

  it('refuses credentials inside URLs, without repeating them', () => {
    const f = write('collector-url.yaml', 'nats:\n  servers: ["nats://collector:s3cretPassw0rd@127.0.0.1:4222"]\n');
    const problems = problemsOf(() => loadCollectorConfig(f));
    expect(problems).toEqual([`${f}: nats.servers: a URL with user or password in it would show in logs and /health: use nats.user and nats.password_file`]);
    const g = write('storage-url.yaml', 'clickhouse:\n  url: http://default:s3cretPassw0rd@127.0.0.1:8123\n');
    expect(problemsOf(() => loadStorageConfig(g))).toEqual([
      `${g}: clickhouse.url: a URL with user or password in it would show in logs: use clickhouse.username and clickhouse.password_file`,
    ]);
  });

  it('the broker refuses a password nats-server would misread', () => {
    const c = loadBrokerConfig(
      write(
        'broker-auth2.yaml',
        `nats_server:\n${auth({ admin: 'ok/admin.password', collector: 'ok/collector.password', storage: 'ok/storage.password' })}streams_file: ${streams}\n`,
      ),
    );
    const read = (f: string) => (f.endsWith('collector.password') ? 'has"quote-and-more' : readFileSync(f, 'utf8').trim());
    expect(() => renderNatsConfig(c.nats_server, c.streams, read)).toThrow(`${join(dir, 'ok/collector.password')} (the collector password): expected one line`);
  });

  it('a daemon check-config fails on a missing credential file and says which', async () => {
    const f = write('collector-cc.yaml', `nats:\n  password_file: ${dir}/none.password\n`);
    const { execFile } = await import('node:child_process');
    const out = await new Promise<{ code: number | null; text: string }>((resolve) =>
      execFile(process.execPath, ['bin/marketprism-collector.js', 'check-config', '--config', f], (err, stdout, stderr) =>
        resolve({ code: err ? (err as { code: number }).code : 0, text: stdout + stderr }),
      ),
    );
    expect(out.code).toBe(1);
    expect(out.text).toContain(`nats.password_file: ${dir}/none.password does not exist`);
  });
});
