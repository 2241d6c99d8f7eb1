/**
 * End to end on one machine: publisher → nats-server (JetStream, file storage) →
 * marketprism-storage → embedded ClickHouse (chDB). Measures acked publishes per
 * second, stored rows per second and the storage process's peak memory.
 */
import { jetstream } from '@nats-io/jetstream';
import { JetStreamPublisher } from '../src/collector/publisher.js';
import { waitFor } from '../src/testing/ports.js';
import { startBroker, startEmbeddedStorage } from './broker.js';
import type { Bench } from './registry.js';
import { sampleTrades } from './records.js';

export const pipelineBench: Bench = {
  name: 'pipeline-embedded',
  async run(smoke) {
    const n = smoke ? 2_000 : 200_000;
    const broker = await startBroker();
    const storage = await startEmbeddedStorage(broker);
    const records = sampleTrades(n, 'bench-');
    let peakRss = 0;
    const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 100);
    const publisher = new JetStreamPublisher(jetstream(broker.nc), { maxPending: 2000, bufferMax: n + 1 }, broker.log);
    const t0 = performance.now();
    for (const r of records) publisher.publish(r);
    await publisher.flush(600_000);
    const tPub = performance.now() - t0;
    await waitFor('all rows', async () => (await storage.count('trades')) >= n, 600_000, 50);
    const tAll = performance.now() - t0;
    clearInterval(sampler);
    publisher.close();
    await storage.stop();
    await broker.close();
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
