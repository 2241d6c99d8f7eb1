/**
 * NATS over TLS, with certificates made by openssl here: a CA, the broker's certificate
 * (naming 127.0.0.1, where the broker and the CLI reach it) and a client certificate. The
 * broker requires client certificates (verify_clients) and passwords; clients configured
 * with a `tls:` section connect, others are refused.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { jetstream } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCollectorConfig } from '../../src/collector/config.js';
import { ConfigReader } from '../../src/core/config.js';
import { connectNats, readPasswordFile } from '../../src/core/nats.js';
import { brokerEnv, type BrokerEnv } from '../helpers/broker-env.js';
import { cli } from '../helpers/cli.js';
import { waitFor } from '../../src/testing/ports.js';
import { quietLog } from '../helpers/storage-env.js';

const openssl = (dir: string, ...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });

/** ca.crt, broker.{crt,key} (SAN 127.0.0.1, localhost), client.{crt,key}; keys 0600. */
function makeCertificates(dir: string): void {
  mkdirSync(dir, { recursive: true });
  openssl(dir, 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=marketprism test CA', '-keyout', 'ca.key', '-out', 'ca.crt');
  for (const [name, san] of [
    ['broker', 'subjectAltName=IP:127.0.0.1,DNS:localhost'],
    ['client', 'subjectAltName=DNS:collector'],
  ] as const) {
    openssl(dir, 'req', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${name}`, '-keyout', `${name}.key`, '-out', `${name}.csr`);
    writeFileSync(join(dir, `${name}.ext`), `${san}\n`);
    openssl(
      dir,
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-days',
      '1',
      '-extfile',
      `${name}.ext`,
      '-out',
      `${name}.crt`,
    );
    chmodSync(join(dir, `${name}.key`), 0o600);
  }
}

let hasOpenssl = true;
try {
  execFileSync('openssl', ['version']);
} catch {
  hasOpenssl = false;
}

describe('NATS over TLS with client certificates', () => {
  let broker: BrokerEnv;
  let tls: string;
  beforeAll(async () => {
    // The machine's openssl is a test prerequisite (scripts/install-deps.sh); its absence is a failure, not a skip.
    expect(hasOpenssl, 'openssl is needed to make the test certificates').toBe(true);
    const { mkdtempSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    tls = join(mkdtempSync(join(tmpdir(), 'mp-tls-')), 'tls');
    makeCertificates(tls);
    broker = await brokerEnv({
      auth: true,
      tls: { cert_file: join(tls, 'broker.crt'), key_file: join(tls, 'broker.key'), ca_file: join(tls, 'ca.crt'), verify_clients: true },
    });
  });
  afterAll(async () => {
    await broker?.daemon.stop();
  });

  it('the broker reconciled its streams over TLS (as admin, with its own certificate)', () => {
    expect(broker.url).toMatch(/^tls:/);
    expect(broker.daemon.output()).toContain('"msg":"streams reconciled"');
  });

  it('a client with the CA, a client certificate and its password publishes', async () => {
    const file = join(broker.dir, 'collector-tls.yaml');
    writeFileSync(
      file,
      `nats:\n  servers: ["${broker.url}"]\n  password_file: nats/collector.password\n  tls: { ca_file: ${tls}/ca.crt, cert_file: ${tls}/client.crt, key_file: ${tls}/client.key }\n`,
    );
    const c = loadCollectorConfig(file);
    const nc = await connectNats({ servers: c.nats.servers, auth: c.nats.auth, name: 'test' }, quietLog());
    try {
      const ack = await jetstream(nc).publish('trade.binance.spot.BTC-USDT', '{}', { msgID: 'tls-1' });
      expect(ack.stream).toBe('MARKET_DATA');
    } finally {
      await nc.close();
    }
  });

  it('refuses plain-text clients and TLS clients without a certificate', async () => {
    const pass = readPasswordFile(broker.passwordFile('collector'));
    // Plain text: the server announces tls_required and answers a plain CONNECT + PING with no PONG.
    const port = Number(new URL(broker.url).port);
    const answer = await new Promise<string>((resolve) => {
      let got = '';
      const sock = createConnection({ host: '127.0.0.1', port }, () => {
        sock.write(`CONNECT {"user":"collector","pass":${JSON.stringify(pass)},"verbose":false}\r\nPING\r\n`);
      });
      sock.on('data', (d) => (got += d.toString()));
      sock.on('close', () => resolve(got));
      sock.on('error', () => undefined);
      setTimeout(() => sock.destroy(), 3000);
    });
    expect(answer).toContain('"tls_required":true');
    expect(answer).not.toContain('PONG');
    await expect(
      connect({ servers: broker.url, user: 'collector', pass, timeout: 3000, reconnect: false, tls: { caFile: join(tls, 'ca.crt') } }),
    ).rejects.toThrow(/certificate required|SSL alert|ECONNRESET/i); // the alert, or the reset after it, by timing
    await waitFor('the server names the missing client certificate', () => /TLS handshake error.*certificate/i.test(broker.daemon.output()), 5000);
    // A server certificate the client's CA did not sign: refused by the client.
    await expect(connect({ servers: broker.url, user: 'collector', pass, timeout: 3000, reconnect: false, tls: {} })).rejects.toThrow(/unable to verify/);
  });

  it('`marketprism streams ensure` connects over TLS from broker.yaml', async () => {
    const r = await cli('streams', 'ensure', '--config', broker.configFile);
    expect(r.out).toContain('stream MARKET_DATA: unchanged');
    expect(r.code).toBe(0);
  });

  it('check-config names a client key file open to every user', () => {
    const key = join(tls, 'client.key');
    chmodSync(key, 0o644);
    try {
      const r = new ConfigReader('collector.yaml', { tls: { ca_file: join(tls, 'ca.crt'), cert_file: join(tls, 'client.crt'), key_file: key } }, 'nats');
      expect(() => r.child('tls').secretFile('key_file')).toThrow(`collector.yaml: nats.tls.key_file: ${key} is open to every user of this host (mode 0644)`);
    } finally {
      chmodSync(key, 0o600);
    }
  });
});
