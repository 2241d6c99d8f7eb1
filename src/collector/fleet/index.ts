/**
 * The fleet as the daemon runs it (service.ts): joined once NATS answers (retried with
 * backoff while the bucket is missing), reported on /health and /metrics, left on stop.
 */
import type { Logger } from '../../core/logger.js';
import type { NatsConnection } from '../../core/nats.js';
import { logsFailure, retryUntil } from '../../core/retry.js';
import type { FleetConfig } from '../config.js';
import type { CollectorMetrics } from '../metrics.js';
import { LeaseBucket } from './bucket.js';
import { FleetMember, type FleetVenue } from './member.js';

export { FleetMember, type FleetVenue } from './member.js';

export interface Fleet {
  /** /health's `fleet`. */
  health(): { member: string; members: string[]; owned: string[]; standby: number; error?: string };
  stop(): Promise<void>;
}

/** How long a standby keeps the records it did not publish: a dead owner's last lease_ttl and its unacknowledged tail. */
export const standbyKeepMs = (cfg: FleetConfig) => cfg.lease_ttl_ms + cfg.renew_ms + 5000;

export function startFleet(
  cfg: FleetConfig,
  nc: NatsConnection,
  venues: (FleetVenue & { roleOf(s: string): string | undefined })[],
  log: Logger,
  metrics: CollectorMetrics,
): Fleet {
  const member = new FleetMember(cfg, new LeaseBucket(nc, cfg.bucket), venues, log, {
    acquired: (how) => metrics.fleetTakeovers.inc({ how }),
    released: (how) => metrics.fleetReleases.inc({ how }),
    turned: (held, members) => {
      metrics.fleetOwned.set(held);
      metrics.fleetMembers.set(members);
    },
  });
  const abort = new AbortController();
  let joinError: string | undefined;
  const joined = retryUntil(() => member.start(), {
    initialMs: 1000,
    maxMs: 15_000,
    signal: abort.signal,
    onError: (err, attempt, delayMs) => {
      joinError = err.message;
      if (logsFailure(attempt))
        log.warn({ err: err.message, attempt, retry_in_ms: Math.round(delayMs) }, 'fleet: cannot join yet; retrying (no symbol is collected meanwhile)');
    },
  }).then(
    () => {
      joinError = undefined;
      return true;
    },
    () => false,
  );
  return {
    health: () => {
      const error = joinError ?? member.lastError;
      return {
        member: member.id,
        members: member.members,
        owned: [...member.held].sort(),
        standby: venues.reduce((n, v) => n + v.symbols.filter((s) => v.roleOf(s) === 'standby').length, 0),
        ...(error ? { error } : {}),
      };
    },
    async stop() {
      abort.abort();
      if (await joined) await member.stop();
    },
  };
}
