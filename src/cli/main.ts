/**
 * `marketprism`: operator commands shared by the packages' hooks and by people.
 *   streams ensure   reconcile JetStream streams (broker.yaml + streams.yaml)
 *   schema migrate   apply ClickHouse migrations (storage.yaml)
 *   query "SQL"      read-only SQL against the configured engine
 *   credentials ensure   create the NATS password files a single host needs (see docs/security.md)
 *   health, logs, check-config, status, integrity, version: the operator's verbs (docs/operations.md)
 *
 * A module's config is loaded as its unit runs it: the file, then the overrides of the
 * unit's environment (Environment= of the unit and its drop-ins, its EnvironmentFiles such
 * as /etc/default/marketprism-<module>; or --env-file; ops.ts moduleEnv, unit-env.ts).
 */
import { ConfigError, resolveConfigPath } from '../core/config.js';
import { packageVersion } from '../core/daemon.js';
import { createLogger } from '../core/logger.js';
import { connectNats } from '../core/nats.js';
import { ensureStreams } from '../core/streams.js';
import { adminAuth, loadBrokerConfig } from '../broker/config.js';
import { DEFAULT_CREDENTIALS_DIR, ensureCredentials } from './credentials.js';
import { databaseOf, loadStorageConfig } from '../storage/config.js';
import { createEngine } from '../storage/engines/index.js';
import { migrate } from '../storage/migrations.js';
import { assertReadOnly } from '../storage/query.js';
import { formatRows, parseFormat, splitFormat } from './query-format.js';
import { queryStorage } from './storage-rows.js';
import { health, logs, moduleEnv } from './ops.js';
import { bashCompletion, manPage, opt, parseCommand, usage, type ParsedArgs } from './commands.js';
import { checkConfig } from './check-config.js';
import { DAEMON_PAGES, daemonManPage } from '../core/daemon-help.js';
import { status } from './status.js';
import { integrity } from './integrity.js';

export async function main(argv: string[]): Promise<number> {
  try {
    if (argv[0] === '--version' || argv[0] === 'version') {
      console.log(`marketprism ${packageVersion()}`);
      return 0;
    }
    if (argv[0] === '--help' || argv[0] === 'help') {
      console.log(usage());
      return 0;
    }
    // Made from the command table, for the packages (packaging/completion, packaging/man).
    if (argv[0] === 'completion' && argv[1] === 'bash') return print(bashCompletion());
    if (argv[0] === 'man') {
      const page = argv[1] ?? 'marketprism';
      const module = /^marketprism-(broker|collector|storage)$/.exec(page)?.[1] as keyof typeof DAEMON_PAGES | undefined;
      if (page !== 'marketprism' && !module)
        throw new Error(
          `man: no page ${page} (marketprism, ${Object.keys(DAEMON_PAGES)
            .map((m) => `marketprism-${m}`)
            .join(', ')})`,
        );
      return print(module ? daemonManPage(module) : manPage());
    }
    const p = parseCommand(argv);
    if (!p) {
      console.error(usage());
      return 2;
    }
    const json = p.options['--json'] === true;
    switch (p.spec.words.join(' ')) {
      case 'streams ensure':
        return await streamsEnsure(p);
      case 'schema migrate':
        return await schemaMigrate(p);
      case 'query':
        return await query(p);
      case 'credentials ensure':
        return credentialsEnsure(p);
      case 'health':
        return await health(p.rest, opt(p, '--config'), json, opt(p, '--root'));
      case 'logs':
        return await logs(p.rest);
      case 'check-config':
        return checkConfig(p.rest, { config: opt(p, '--config'), envFile: opt(p, '--env-file'), module: opt(p, '--module'), root: opt(p, '--root'), json });
      case 'status':
        return await status(p.rest, { configDir: opt(p, '--config-dir'), root: opt(p, '--root'), json, colour: p.options['--color'] === true });
      case 'integrity':
        return await integrity(p.rest, {
          since: opt(p, '--since'),
          from: opt(p, '--from'),
          to: opt(p, '--to'),
          bucket: opt(p, '--bucket'),
          maxRecords: opt(p, '--max-records'),
          configDir: opt(p, '--config-dir'),
          json,
        });
    }
    throw new Error(`${p.spec.words.join(' ')}: not handled`);
  } catch (err) {
    console.error(`marketprism: ${err instanceof ConfigError ? 'invalid config: ' : ''}${(err as Error).message}`);
    return 1;
  }
}

function print(text: string): number {
  process.stdout.write(text);
  return 0;
}

function noArguments(p: ParsedArgs): void {
  if (p.rest.length > 0) throw new Error(`${p.spec.words.join(' ')}: unexpected ${p.rest.join(' ')}`);
}

const quietLog = () => createLogger({ name: 'marketprism', level: 'warn', destination: { write: (l: string) => process.stderr.write(l) } });

async function streamsEnsure(p: ParsedArgs): Promise<number> {
  noArguments(p);
  const config = loadBrokerConfig(resolveConfigPath('broker', opt(p, '--config')), moduleEnv('broker', opt(p, '--env-file')).env);
  const port = config.nats_server.port;
  const server = opt(p, '--server') ?? `${config.nats_server.tls ? 'tls' : 'nats'}://127.0.0.1:${port}`;
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

function credentialsEnsure(p: ParsedArgs): number {
  noArguments(p);
  const dir = opt(p, '--dir') ?? DEFAULT_CREDENTIALS_DIR;
  // As root (the packages' post-install): group marketprism, which must exist; otherwise this user's files.
  const group = opt(p, '--group') ?? (process.getuid?.() === 0 ? 'marketprism' : undefined);
  const r = ensureCredentials(dir, group);
  for (const f of r.created) console.log(`created ${f}`);
  for (const f of r.kept) console.log(`kept ${f}`);
  return 0;
}

async function schemaMigrate(p: ParsedArgs): Promise<number> {
  noArguments(p);
  const config = loadStorageConfig(resolveConfigPath('storage', opt(p, '--config')), moduleEnv('storage', opt(p, '--env-file')).env);
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

async function query(p: ParsedArgs): Promise<number> {
  const file = resolveConfigPath('storage', opt(p, '--config'));
  const formatOption = opt(p, '--format');
  const envFile = opt(p, '--env-file');
  const split = splitFormat(p.rest.join(' '));
  const sql = split.sql;
  if (!sql) throw new Error('query needs SQL, e.g. marketprism query "SELECT count() FROM marketprism_hot.trades"');
  const format = formatOption !== undefined ? parseFormat(formatOption) : (split.format ?? (process.stdout.isTTY ? 'table' : 'JSONEachRow'));
  assertReadOnly(sql);
  const rows = await queryStorage(file, loadStorageConfig(file, moduleEnv('storage', envFile).env), sql);
  process.stdout.write(formatRows(rows, format));
  return 0;
}
