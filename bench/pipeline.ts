/**
 * End to end on one machine: publisher → nats-server (JetStream, file storage) →
 * marketprism-storage → embedded ClickHouse (chDB). Measures acked publishes per
 * second, stored rows per second and the storage process's peak memory.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstream } from '@nats-io/jetstream';
import { JetStreamPublisher } from '../src/collector/publisher.js';
import { createLogger } from '../src/core/logger.js';
import { connectNats } from '../src/core/nats.js';
import { ensureStreams, loadStreamSpecs } from '../src/core/streams.js';
import { loadStorageConfig } from '../src/storage/config.js';
import { startStorage } from '../src/storage/service.js';
import { startNatsServer } from '../src/testing/nats-server.js';
import { freePort, waitFor } from '../src/testing/ports.js';
import type { Bench } from './registry.js';
import { sampleTrades } from './records.js';

export const pipelineBench: Bench = {
  name: 'pipeline-embedded',
  async run(smoke) {
    const n = smoke ? 2_000 : 200_000;
    const log = createLogger({ name: 'bench', level: 'warn' });
    const dir = mkdtempSync(join(tmpdir(), 'mp-bench-'));
    const nats = await startNatsServer();
    const nc = await connectNats({ servers: [nats.url], name: 'bench' }, log);
    await ensureStreams(nc, loadStreamSpecs('config/streams.yaml'));
    const port = await freePort();
    const file = join(dir, 'storage.yaml');
    writeFileSync(
      file,
      `nats: { servers: ["${nats.url}"] }\nclickhouse: { engine: embedded, embedded_path: ${join(dir, 'chdb')} }\n` +
        `batch: { max_rows: 5000, max_wait_ms: 500 }\nhealth: { host: 127.0.0.1, port: ${port} }\nlog_level: warn\n`,
    );
    const storage = await startStorage(loadStorageConfig(file), log);
    await waitFor('storage', async () => (await fetch(`http://127.0.0.1:${port}/health`)).ok, 30_000);
    const records = sampleTrades(n, 'bench-');
    let peakRss = 0;
    const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 100);
    const publisher = new JetStreamPublisher(jetstream(nc), { maxPending: 2000, bufferMax: n + 1 }, log);
    const t0 = performance.now();
    for (const r of records) publisher.publish(r);
    await publisher.flush(600_000);
    const tPub = performance.now() - t0;
    await waitFor(
      'all rows',
      async () => {
        const res = await fetch(`http://127.0.0.1:${port}/query`, { method: 'POST', body: 'SELECT count() AS n FROM marketprism_hot.trades' });
        return Number(JSON.parse(await res.text()).n) >= n;
      },
      600_000,
      50,
    );
    const tAll = performance.now() - t0;
    clearInterval(sampler);
    publisher.close();
    await storage.stop();
    await nc.close();
    await nats.dispose();
    rmSync(dir, { recursive: true, force: true });
    const pubRate = Math.round(n / (tPub / 1000));
    const e2eRate = Math.round(n / (tAll / 1000));
    return {
      records: n,
      publish_acked_per_second: pubRate,
      stored_per_second: e2eRate,
      peak_rss_mb: Math.round(peakRss / 2 ** 20),
      summary: `${n.toLocaleString('en')} trades: ${pubRate.toLocaleString('en')}/s acked by JetStream, ${e2eRate.toLocaleString('en')}/s stored end to end, peak RSS ${Math.round(peakRss / 2 ** 20)} MiB (publisher+storage+chDB in one process)`,
    };
  },
};
