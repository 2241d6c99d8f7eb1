/**
 * marketprism-broker: renders nats-server's config, supervises it, and reconciles the
 * configured streams after every (re)start. READY once JetStream is healthy and the
 * streams are in place; the watchdog is fed only while /healthz keeps answering.
 */
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Running } from '../core/daemon.js';
import type { Logger } from '../core/logger.js';
import { connectNats } from '../core/nats.js';
import { logsFailure, retryUntil } from '../core/retry.js';
import { ensureStreams, loadStreamSpecs } from '../core/streams.js';
import { notifyReady, notifyStatus, startWatchdog } from '../core/systemd.js';
import { adminAuth, isLoopback, withClusterReplicas, type BrokerConfig } from './config.js';
import { renderNatsConfig } from './nats-config.js';
import { assertPortsFree } from './ports.js';
import { NatsSupervisor } from './supervisor.js';

export async function startBroker(config: BrokerConfig, log: Logger, file = 'broker.yaml'): Promise<Running> {
  const stateDir = dirname(config.nats_server.store_dir);
  mkdirSync(config.nats_server.store_dir, { recursive: true });
  const confFile = join(stateDir, 'nats-server.conf');
  // It holds the passwords: only this user may read it (mode applies to a new file; chmod an old one).
  writeFileSync(confFile, renderNatsConfig(config.nats_server, config.streams), { mode: 0o600 });
  chmodSync(confFile, 0o600);

  const { host, port, monitor_host, monitor_port } = config.nats_server;
  if (!isLoopback(host) && !config.nats_server.tls) {
    log.warn({ host }, 'NATS listens beyond loopback without TLS: passwords and data cross the network in clear text (set nats_server.tls, docs/security.md)');
  }
  await assertPortsFree(host, { port }, file);
  await assertPortsFree(monitor_host, { monitor_port }, file);
  const sup = new NatsSupervisor(config.nats_server, confFile, log);
  let streamsFile = config.streams_file;
  let ready = false;

  const reconcile = async () => {
    const nc = await connectNats({ servers: [sup.clientUrl], name: 'marketprism-broker', auth: adminAuth(config.nats_server) }, log);
    try {
      const results = await ensureStreams(nc, withClusterReplicas(loadStreamSpecs(streamsFile), config.nats_server.cluster));
      log.info({ streams: results }, 'streams reconciled');
    } finally {
      await nc.close();
    }
  };

  sup.start();
  await sup.waitHealthy();
  const security = `${config.nats_server.auth ? ' (auth' : ' (no auth'}${config.nats_server.tls ? ', TLS)' : ')'}`;
  const cluster = config.nats_server.cluster;
  const stopping = new AbortController();
  if (!cluster) {
    await reconcile();
    ready = true;
    notifyReady(`nats-server pid ${sup.pid} healthy on :${config.nats_server.port}${security}; streams in place`);
  } else {
    // A cluster node is up once its own server is: the streams (replicated across nodes)
    // can only be placed once enough peers joined, which may be after this node started.
    ready = true;
    const node = `${config.nats_server.server_name} of cluster ${cluster.name}`;
    notifyReady(`nats-server pid ${sup.pid} (${node}) healthy on :${config.nats_server.port}${security}; waiting for the cluster to place the streams`);
    retryUntil(reconcile, {
      initialMs: 1000,
      maxMs: 15_000,
      signal: stopping.signal,
      onError: (err, attempt, delayMs) => {
        if (logsFailure(attempt, 10))
          log.warn({ err: err.message, attempt, retry_in_ms: Math.round(delayMs) }, 'streams not reconciled yet (cluster peers joining?); retrying');
      },
    }).then(
      () => notifyStatus(`nats-server pid ${sup.pid} (${node}) healthy; streams in place (${cluster.stream_replicas} replicas)`),
      () => undefined, // stopped first
    );
  }

  // After a crash and restart, check the streams again (a wiped store dir must not stay empty).
  sup.on('healthy', () => {
    if (!ready) return;
    notifyStatus(`nats-server pid ${sup.pid} healthy (restarts: ${sup.restarts})`);
    reconcile().catch((err) => log.error({ err }, 'stream reconcile after restart failed'));
  });
  sup.on('exit', () => notifyStatus(`nats-server down; restarting (restarts: ${sup.restarts + 1})`));

  // Tolerate a restart in progress; a nats-server that stays unhealthy gets the whole unit restarted.
  const graceMs = Math.max(30_000, config.nats_server.startup_timeout_ms * 2);
  const stopWatchdog = startWatchdog(() => Date.now() - sup.lastHealthyAt < graceMs, log);

  return {
    reload: async (fresh: unknown) => {
      streamsFile = (fresh as BrokerConfig).streams_file;
      await reconcile();
    },
    async stop() {
      stopping.abort();
      stopWatchdog();
      await sup.stop();
    },
  };
}
