// Stand-in for the collector in scripts/e2e-systemd.sh while the collector has no daemon:
// publishes COUNT trade records through the project's JetStreamPublisher to a broker,
// with ids starting at START (natural keys, so a re-run is de-duplicated, not doubled).
//   node test/packaging/publish-trades.mjs --server nats://127.0.0.1:4222 --count 500 --start 0
import { jetstream } from '@nats-io/jetstream';
import { JetStreamPublisher } from '../../build/src/collector/publisher.js';
import { createLogger } from '../../build/src/core/logger.js';
import { connectNats } from '../../build/src/core/nats.js';

const arg = (name, def) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : def;
};
const count = Number(arg('--count', '500'));
const start = Number(arg('--start', '0'));
const log = createLogger({ name: 'e2e-publisher', level: 'warn' });
const nc = await connectNats({ servers: [arg('--server', 'nats://127.0.0.1:4222')], name: 'e2e-publisher' }, log);
const publisher = new JetStreamPublisher(jetstream(nc), { maxPending: 200, bufferMax: count + 1 }, log);
const now = Date.now();
for (let i = start; i < start + count; i++) {
  publisher.publish({
    data_type: 'trade', exchange: 'binance', market_type: 'spot', symbol: 'BTC-USDT',
    timestamp: now + i, local_timestamp: now + i + 1, trade_id: `e2e-${i}`,
    price: `27000.${String(i % 100).padStart(2, '0')}`, quantity: '0.00100000',
    side: i % 2 ? 'buy' : 'sell', is_maker: i % 3 === 0, trade_time: now + i,
  });
}
const acked = await publisher.flush(30_000);
publisher.close();
await nc.close();
console.log(JSON.stringify({ published: publisher.published, acked }));
process.exitCode = acked ? 0 : 1;
