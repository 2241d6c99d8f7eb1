/**
 * `marketprism`: operator commands shared by the packages' hooks and by people.
 *   streams ensure   reconcile JetStream streams (broker.yaml + streams.yaml)
 *   schema migrate   apply ClickHouse migrations (storage.yaml)
 *   query "SQL"      read-only SQL against the configured engine
 */
import { ConfigError, resolveConfigPath } from '../core/config.js';
import { packageVersion, takeOption } from '../core/daemon.js';
import { createLogger } from '../core/logger.js';
import { connectNats } from '../core/nats.js';
import { ensureStreams, loadStreamSpecs } from '../core/streams.js';
import { loadBrokerConfig } from '../broker/config.js';
import { databaseOf, loadStorageConfig } from '../storage/config.js';
import { createEngine } from '../storage/engines/index.js';
import { migrate } from '../storage/migrations.js';
import { QUERY_CONTENT_TYPE, assertReadOnly, readOnlyQuery } from '../storage/query.js';

const USAGE = `usage:
  marketprism streams ensure [--config broker.yaml] [--server nats://host:4222]
  marketprism schema migrate [--config storage.yaml]
  marketprism query "SELECT ..." [--config storage.yaml]
  marketprism --version`;

export async function main(argv: string[]): Promise<number> {
  const args = [...argv];
  try {
    if (args[0] === '--version') {
      console.log(`marketprism ${packageVersion()}`);
      return 0;
    }
    const [a, b] = args;
    if (a === 'streams' && b === 'ensure') return await streamsEnsure(args.slice(2));
    if (a === 'schema' && b === 'migrate') return await schemaMigrate(args.slice(2));
    if (a === 'query') return await query(args.slice(1));
    console.error(USAGE);
    return 2;
  } catch (err) {
    console.error(`marketprism: ${err instanceof ConfigError ? 'invalid config: ' : ''}${(err as Error).message}`);
    return 1;
  }
}

const quietLog = () => createLogger({ name: 'marketprism', level: 'warn', destination: { write: (l: string) => process.stderr.write(l) } });

async function streamsEnsure(args: string[]): Promise<number> {
  const config = loadBrokerConfig(resolveConfigPath('broker', takeOption(args, '--config')));
  const port = config.nats_server.port;
  const server = takeOption(args, '--server') ?? `nats://127.0.0.1:${port}`;
  const nc = await connectNats({ servers: [server], name: 'marketprism-cli', connectTimeoutMs: 5000 }, quietLog()).catch((err) => {
    throw new Error(`cannot reach NATS at ${server}: ${(err as Error).message}`);
  });
  try {
    for (const r of await ensureStreams(nc, loadStreamSpecs(config.streams_file))) {
      console.log(`stream ${r.name}: ${r.action}${r.changed ? ` (${r.changed.join(', ')})` : ''}`);
    }
  } finally {
    await nc.close();
  }
  return 0;
}

async function schemaMigrate(args: string[]): Promise<number> {
  const config = loadStorageConfig(resolveConfigPath('storage', takeOption(args, '--config')));
  const engine = createEngine(config.clickhouse);
  try {
    const r = await migrate(engine, databaseOf(config), config.tier === 'hot' ? config.clickhouse.hot_ttl_days : undefined);
    console.log(
      `${r.database}: applied [${r.applied.join(', ')}], already applied [${r.alreadyApplied.join(', ')}]` +
        (r.ttlUpdated.length ? `, TTL updated on ${r.ttlUpdated.join(', ')}` : ''),
    );
  } finally {
    await engine.close();
  }
  return 0;
}

async function query(args: string[]): Promise<number> {
  const file = resolveConfigPath('storage', takeOption(args, '--config'));
  const sql = args.join(' ');
  if (!sql) throw new Error('query needs SQL, e.g. marketprism query "SELECT count() FROM marketprism_hot.trades"');
  assertReadOnly(sql);
  const config = loadStorageConfig(file);
  if (config.clickhouse.engine === 'embedded') {
    // chDB allows one process per directory: ask the running daemon first.
    const viaDaemon = await fetch(`http://127.0.0.1:${config.health.port}/query`, {
      method: 'POST',
      headers: { 'content-type': QUERY_CONTENT_TYPE },
      body: sql,
    }).catch(() => undefined);
    if (viaDaemon) {
      const text = await viaDaemon.text();
      if (!viaDaemon.ok) throw new Error(text.trim());
      process.stdout.write(text);
      return 0;
    }
  }
  const engine = createEngine(config.clickhouse);
  try {
    for (const row of await readOnlyQuery(engine, sql)) console.log(JSON.stringify(row));
  } finally {
    await engine.close();
  }
  return 0;
}
