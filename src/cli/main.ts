/**
 * `marketprism`: operator commands shared by the packages' hooks and by people.
 *   streams ensure   reconcile JetStream streams (broker.yaml + streams.yaml)
 *   schema migrate   apply ClickHouse migrations (storage.yaml)
 *   query "SQL"      read-only SQL against the configured engine
 *   credentials ensure   create the NATS password files a single host needs (see docs/security.md)
 *   health, logs, check-config, status, integrity, version: the operator's verbs (docs/operations.md)
 *
 * A module's config is loaded as its unit runs it: the file, then the overrides of the
 * unit's EnvironmentFile (/etc/default/marketprism-<module>, or --env-file; ops.ts moduleEnv).
 */
import { ConfigError, resolveConfigPath } from '../core/config.js';
import { packageVersion, takeOption } from '../core/daemon.js';
import { createLogger } from '../core/logger.js';
import { connectNats } from '../core/nats.js';
import { ensureStreams } from '../core/streams.js';
import { adminAuth, loadBrokerConfig } from '../broker/config.js';
import { DEFAULT_CREDENTIALS_DIR, ensureCredentials } from './credentials.js';
import { databaseOf, loadStorageConfig } from '../storage/config.js';
import { createEngine } from '../storage/engines/index.js';
import { migrate } from '../storage/migrations.js';
import { assertReadOnly } from '../storage/query.js';
import { formatRows, parseFormat, QUERY_FORMATS, splitFormat } from './query-format.js';
import { queryStorage } from './storage-rows.js';
import { MODULES, health, logs, moduleEnv } from './ops.js';
import { checkConfig } from './check-config.js';
import { status } from './status.js';
import { integrity } from './integrity.js';

const USAGE = `usage:
  marketprism streams ensure [--config broker.yaml] [--server nats://host:4222]
  marketprism schema migrate [--config storage.yaml]
  marketprism query "SELECT ..." [--config storage.yaml] [--format ${QUERY_FORMATS.join('|')}]
  marketprism credentials ensure [--dir ${DEFAULT_CREDENTIALS_DIR}] [--group marketprism]
  marketprism health [${MODULES.join('|')}] [--config FILE] [--json]   (exit 1 unless every one asked is healthy)
  marketprism logs <${MODULES.join('|')}> [journalctl options, e.g. -f, --since "1 hour ago", -p warning]
  marketprism check-config [${MODULES.join('|')}|FILE] [--module M] [--env-file FILE] [--json]   (effective values and their source)
  marketprism status [--config-dir /etc/marketprism] [--json]   (exit 1 when anything is red)
  marketprism integrity [--since 1h | --from TIME [--to TIME]] [--bucket 1m] [--config-dir /etc/marketprism] [--json]   (exit 1 on a problem)
  marketprism version
  marketprism --version`;

export async function main(argv: string[]): Promise<number> {
  const args = [...argv];
  try {
    if (args[0] === '--version' || args[0] === 'version') {
      console.log(`marketprism ${packageVersion()}`);
      return 0;
    }
    const [a, b] = args;
    if (a === 'streams' && b === 'ensure') return await streamsEnsure(args.slice(2));
    if (a === 'schema' && b === 'migrate') return await schemaMigrate(args.slice(2));
    if (a === 'query') return await query(args.slice(1));
    if (a === 'credentials' && b === 'ensure') return credentialsEnsure(args.slice(2));
    if (a === 'health') {
      const rest = args.slice(1);
      const config = takeOption(rest, '--config');
      const json = rest.includes('--json');
      return await health(
        rest.filter((x) => x !== '--json'),
        config,
        json,
      );
    }
    if (a === 'logs') return await logs(args.slice(1));
    if (a === 'status') {
      const rest = args.slice(1);
      const configDir = takeOption(rest, '--config-dir');
      return await status(
        rest.filter((x) => x !== '--json'),
        { configDir, json: rest.includes('--json') },
      );
    }
    if (a === 'integrity') {
      const rest = args.slice(1);
      const opts = {
        since: takeOption(rest, '--since'),
        from: takeOption(rest, '--from'),
        to: takeOption(rest, '--to'),
        bucket: takeOption(rest, '--bucket'),
        configDir: takeOption(rest, '--config-dir'),
        json: rest.includes('--json'),
      };
      return await integrity(
        rest.filter((x) => x !== '--json'),
        opts,
      );
    }
    if (a === 'check-config') {
      const rest = args.slice(1);
      const opts = {
        config: takeOption(rest, '--config'),
        envFile: takeOption(rest, '--env-file'),
        module: takeOption(rest, '--module'),
        json: rest.includes('--json'),
      };
      return checkConfig(
        rest.filter((x) => x !== '--json'),
        opts,
      );
    }
    console.error(USAGE);
    return 2;
  } catch (err) {
    console.error(`marketprism: ${err instanceof ConfigError ? 'invalid config: ' : ''}${(err as Error).message}`);
    return 1;
  }
}

const quietLog = () => createLogger({ name: 'marketprism', level: 'warn', destination: { write: (l: string) => process.stderr.write(l) } });

async function streamsEnsure(args: string[]): Promise<number> {
  const config = loadBrokerConfig(resolveConfigPath('broker', takeOption(args, '--config')), moduleEnv('broker', takeOption(args, '--env-file')).env);
  const port = config.nats_server.port;
  const server = takeOption(args, '--server') ?? `${config.nats_server.tls ? 'tls' : 'nats'}://127.0.0.1:${port}`;
  const auth = adminAuth(config.nats_server);
  const nc = await connectNats({ servers: [server], name: 'marketprism-cli', auth, connectTimeoutMs: 5000 }, quietLog()).catch((err) => {
    throw new Error(`cannot reach NATS at ${server}: ${(err as Error).message}`);
  });
  try {
    for (const r of await ensureStreams(nc, config.streams)) {
      console.log(`stream ${r.name}: ${r.action}${r.changed ? ` (${r.changed.join(', ')})` : ''}`);
    }
  } finally {
    await nc.close();
  }
  return 0;
}

function credentialsEnsure(args: string[]): number {
  const dir = takeOption(args, '--dir') ?? DEFAULT_CREDENTIALS_DIR;
  // As root (the packages' post-install): group marketprism, which must exist; otherwise this user's files.
  const group = takeOption(args, '--group') ?? (process.getuid?.() === 0 ? 'marketprism' : undefined);
  if (args.length > 0) throw new Error(`credentials ensure: unexpected ${args.join(' ')}`);
  const r = ensureCredentials(dir, group);
  for (const f of r.created) console.log(`created ${f}`);
  for (const f of r.kept) console.log(`kept ${f}`);
  return 0;
}

async function schemaMigrate(args: string[]): Promise<number> {
  const config = loadStorageConfig(resolveConfigPath('storage', takeOption(args, '--config')), moduleEnv('storage', takeOption(args, '--env-file')).env);
  const engine = createEngine(config.clickhouse);
  try {
    const r = await migrate(
      engine,
      databaseOf(config),
      config.tier === 'hot' ? config.clickhouse.hot_ttl_days : undefined,
      config.clickhouse.cluster || undefined,
    );
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
  const formatOption = takeOption(args, '--format');
  const envFile = takeOption(args, '--env-file');
  const split = splitFormat(args.join(' '));
  const sql = split.sql;
  if (!sql) throw new Error('query needs SQL, e.g. marketprism query "SELECT count() FROM marketprism_hot.trades"');
  const format = formatOption !== undefined ? parseFormat(formatOption) : (split.format ?? (process.stdout.isTTY ? 'table' : 'JSONEachRow'));
  assertReadOnly(sql);
  const rows = await queryStorage(file, loadStorageConfig(file, moduleEnv('storage', envFile).env), sql);
  process.stdout.write(formatRows(rows, format));
  return 0;
}
