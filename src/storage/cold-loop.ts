/** The cold tier's periodic work (the verifier's and the TTL guard's passes): one pass, a pause, again, until aborted. */
import { pause } from '../core/retry.js';

export async function runEvery(intervalMs: number, signal: AbortSignal, pass: () => Promise<unknown>): Promise<void> {
  while (!signal.aborted) {
    // A pass records its own failures (health, log); one that throws anyway must not end the loop.
    await pass().catch(() => undefined);
    await pause(intervalMs, signal);
  }
}
