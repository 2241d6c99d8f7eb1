/**
 * A NATS cluster of three marketprism-broker nodes on loopback (issue 10): the brokers
 * render the cluster block from broker.yaml, the streams get 3 replicas, a publisher
 * that knows every node keeps publishing while the stream leader's nats-server is
 * killed with SIGKILL (its broker restarts it), nothing JetStream acknowledged is
 * lost, and the node catches up once back.
 */
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ensureCredentials } from '../../src/cli/credentials.js';
import { JetStreamPublisher } from '../../src/collector/publisher.js';
import { splitMessage } from '../../src/core/batch.js';
import { connectNats, type NatsConnection } from '../../src/core/nats.js';
import { natsServerBinary } from '../../src/testing/nats-server.js';
import { freePort, waitFor } from '../../src/testing/ports.js';
import { quietLog } from '../helpers/storage-env.js';
import { spawnDaemon, type DaemonProcess } from '../helpers/daemons.js';
import { trades } from '../helpers/records.js';

interface Node {
  name: string;
  port: number;
  monitor: number;
  cluster: number;
  config: string;
  daemon: DaemonProcess;
}

const natsPid = (d: DaemonProcess) => Number([...d.output().matchAll(/"pid":(\d+),"binary"[^\n]*"msg":"nats-server started"/g)].at(-1)![1]);

describe('NATS cluster of three brokers', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mp-cluster-'));
  const nodes: Node[] = [];
  let nc: NatsConnection | undefined;
  afterAll(async () => {
    await nc?.close().catch(() => undefined);
    // SIGTERM: each broker stops its nats-server and waits for it. (After a SIGKILL the server,
    // told by PDEATHSIG, would still be writing its store while the directory is removed.)
    await Promise.all(nodes.map((n) => n.daemon?.stop('SIGTERM')));
    rmSync(dir, { recursive: true, force: true, maxRetries: 5 });
  });

  it('replicates the streams 3 ways and loses nothing acknowledged when the leader dies', async () => {
    ensureCredentials(join(dir, 'nats'));
    writeFileSync(join(dir, 'streams.yaml'), readFileSync(resolve('config/streams.yaml'), 'utf8'));
    for (let i = 1; i <= 3; i++) {
      nodes.push({
        name: `n${i}`,
        port: await freePort(),
        monitor: await freePort(),
        cluster: await freePort(),
        config: join(dir, `broker-n${i}.yaml`),
      } as Node);
    }
    const routes = nodes.map((n) => `127.0.0.1:${n.cluster}`);
    for (const n of nodes) {
      writeFileSync(
        n.config,
        [
          'nats_server:',
          `  binary: ${natsServerBinary()}`,
          `  server_name: ${n.name}`,
          `  port: ${n.port}`,
          `  monitor_port: ${n.monitor}`,
          `  store_dir: ${join(dir, n.name, 'jetstream')}`,
          '  auth:',
          ...['admin', 'collector', 'storage'].map((r) => `    ${r}_password_file: nats/${r}.password`),
          '  cluster:',
          '    name: mp-test',
          `    port: ${n.cluster}`,
          `    routes: [${routes.join(', ')}]`,
          '    password_file: nats/route.password',
          '  restart_backoff_ms: { initial: 300, max: 2000 }',
          'streams_file: streams.yaml',
          'log_level: info',
          '',
        ].join('\n'),
      );
    }
    // One after the other, as hosts come up: the first waits for peers before placing the streams.
    for (const n of nodes) n.daemon = spawnDaemon('broker', ['--config', n.config]);
    const passwordFile = join(dir, 'nats/admin.password');
    const servers = nodes.map((n) => `nats://127.0.0.1:${n.port}`);
    await waitFor(
      'a node accepting connections',
      async () => {
        nc = await connectNats({ servers, name: 'cluster-test', auth: { user: 'admin', password_file: passwordFile, tls: undefined } }, quietLog()).catch(
          () => undefined,
        );
        return nc !== undefined;
      },
      30_000,
      250,
    );
    const jsm = await jetstreamManager(nc!, { checkAPI: false });
    let last = '';
    await waitFor(
      'MARKET_DATA with 3 current replicas',
      async () => {
        const info = await jsm.streams.info('MARKET_DATA').catch((err: Error) => ((last = err.message), undefined));
        if (info) last = JSON.stringify(info.cluster);
        return (
          info?.config.num_replicas === 3 &&
          info.cluster?.leader !== undefined &&
          info.cluster.replicas?.length === 2 &&
          info.cluster.replicas.every((r) => r.current)
        );
      },
      60_000,
      250,
    ).catch((err: Error) => {
      throw new Error(`${err.message}; last: ${last}; brokers: ${nodes.map((n) => n.daemon.output().slice(-400)).join(' | ')}`);
    });
    // The broker places the streams one after the other: the dead-letter stream may come a moment later.
    let dlqReplicas: number | undefined;
    await waitFor(
      'MARKET_DATA_DLQ placed',
      async () => (dlqReplicas = (await jsm.streams.info('MARKET_DATA_DLQ').catch(() => undefined))?.config.num_replicas) !== undefined,
      30_000,
      250,
    );
    expect(dlqReplicas).toBe(3);

    // Publish steadily; kill -9 the stream leader's nats-server a few seconds in.
    const acks: number[] = [];
    const publisher = new JetStreamPublisher(jetstream(nc!), { maxPending: 200, bufferMax: 100_000, ackTimeoutMs: 3000 }, quietLog(), {
      published: () => acks.push(Date.now()),
    });
    const N = 4000;
    const records = trades(N, { start: 9_000_000 });
    const leader = (await jsm.streams.info('MARKET_DATA')).cluster!.leader!;
    const victim = nodes.find((n) => n.name === leader)!;
    const victimPid = natsPid(victim.daemon);
    let killedAt = 0;
    for (let i = 0; i < N; i++) {
      publisher.publish(records[i]!);
      if (i === 1500) {
        process.kill(victimPid, 'SIGKILL');
        killedAt = Date.now();
      }
      await new Promise((r) => setTimeout(r, 2));
    }
    expect(await publisher.flush(60_000)).toBe(true);
    publisher.close();
    expect(publisher.dropped).toBe(0);

    // Nothing acknowledged lost: every record is in the stream once (msg ids de-duplicate retries),
    // in multi-record messages as the collector publishes them.
    const info = await jsm.streams.info('MARKET_DATA');
    expect(acks.length).toBe(N);
    const ids: string[] = [];
    const consumer = await jetstream(nc!).consumers.get('MARKET_DATA');
    const iter = await consumer.fetch({ max_messages: info.state.messages, expires: 10_000 });
    for await (const m of iter) {
      const lines = splitMessage(m.string(), m.headers);
      if (typeof lines === 'string') throw new Error(`message ${m.seq}: ${lines}`);
      for (const line of lines) ids.push((JSON.parse(line) as { trade_id: string }).trade_id);
      if (m.seq === info.state.last_seq) break;
    }
    expect(ids.length).toBe(N);
    expect(new Set(ids).size).toBe(N);
    const gaps = acks.filter((t) => t >= killedAt).map((t, i, a) => (i === 0 ? t - killedAt : t - a[i - 1]!));
    const gapMs = Math.max(...gaps);
    console.log(`cluster: leader ${leader} killed; longest pause between acks after it ${gapMs} ms; ${ids.length} records in ${info.state.messages} messages`);
    expect(gapMs).toBeLessThan(15_000);

    // The killed node came back (its broker restarted nats-server) and caught up.
    await waitFor(
      `${leader} back and current`,
      async () => {
        const i = await jsm.streams.info('MARKET_DATA');
        const replicas = [{ name: i.cluster!.leader!, current: true }, ...(i.cluster!.replicas ?? [])];
        return replicas.length === 3 && replicas.every((r) => r.current) && replicas.some((r) => r.name === leader);
      },
      60_000,
      250,
    );
    expect(natsPid(victim.daemon)).not.toBe(victimPid);
  }, 180_000);
});
