/**
 * The systemd notify contract: READY=1 once the daemon is initialised and doing what
 * it can (collector and storage: config loaded, HTTP listening, peers being connected
 * in retry loops; a peer that is away is a degraded state, not a failed start; the
 * broker: nats-server healthy), STATUS= lines for `systemctl status` saying what is
 * degraded, and WATCHDOG=1 only while a liveness check passes, so a hung or stalled
 * daemon is killed and restarted by systemd.
 * Outside systemd (no NOTIFY_SOCKET) every call is a no-op.
 */
import { createRequire } from 'node:module';
import type { Logger } from './logger.js';

interface SdNotify {
  ready(): void;
  stopping(): void;
  watchdog(): void;
  sendStatus(text: string): void;
}

let native: SdNotify | null | undefined;

function sd(): SdNotify | null {
  if (native !== undefined) return native;
  native = null;
  if (!process.env.NOTIFY_SOCKET) return native;
  try {
    native = createRequire(import.meta.url)('sd-notify') as SdNotify;
  } catch {
    // Without the addon we cannot talk to systemd; the unit's start timeout will say so.
    native = null;
  }
  return native;
}

export function notifyReady(status?: string): void {
  if (status) notifyStatus(status);
  sd()?.ready();
}

export function notifyStatus(text: string): void {
  sd()?.sendStatus(text.replace(/\n/g, ' '));
}

export function notifyStopping(): void {
  sd()?.stopping();
}

/** Watchdog interval from systemd, in ms, or 0 when the unit has none. */
export function watchdogIntervalMs(): number {
  const usec = Number(process.env.WATCHDOG_USEC ?? 0);
  const pid = process.env.WATCHDOG_PID;
  if (!usec || (pid && Number(pid) !== process.pid)) return 0;
  return Math.floor(usec / 1000);
}

/**
 * Pings the watchdog every half interval while `alive()` returns true. The check
 * itself must prove progress (e.g. "the consumer loop turned in the last N seconds",
 * "the connect retry loop made an attempt lately"), and a blocked event loop stops the
 * timer, so either hang ends in a restart. A peer that is away is not a hang: the
 * loop retrying it is the progress.
 */
export function startWatchdog(alive: () => boolean, log: Logger): () => void {
  const interval = watchdogIntervalMs();
  if (!interval || !sd()) return () => {};
  let failing = false;
  const timer = setInterval(
    () => {
      if (alive()) {
        if (failing) log.info('watchdog: healthy again');
        failing = false;
        sd()?.watchdog();
      } else if (!failing) {
        failing = true;
        log.error({ interval_ms: interval }, 'watchdog: liveness check failing, not pinging systemd');
      }
    },
    Math.max(250, Math.floor(interval / 2)),
  );
  timer.unref();
  return () => clearInterval(timer);
}
