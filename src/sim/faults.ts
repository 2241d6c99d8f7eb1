/**
 * Faults a test injects: what the simulator does wrong next, and how many times.
 */
import type { RestReply } from './types.js';

export type Injection =
  /** The next `count` (1) book diffs, of `topic` if given, are not sent: a sequence gap. */
  | { kind: 'drop-diff'; topic?: string; count?: number }
  /**
   * Close open WebSockets: `terminate` (default) drops TCP, `close` sends a close frame;
   * every one, or with `count` that many of the longest open.
   */
  | { kind: 'close'; how?: 'terminate' | 'close'; code?: number; count?: number }
  /** Every open WebSocket goes silent (no data, no pongs, no heartbeats) for `ms` (default: until it closes). */
  | { kind: 'stall'; ms?: number }
  /** The next `count` (1) REST requests, on `path` if given, get `status` (429, 418, ...) with Retry-After. */
  | { kind: 'rest-error'; status: number; retryAfterSec?: number; count?: number; path?: string }
  /** The next `count` (1) REST requests, on `path` if given, are answered `ms` late. */
  | { kind: 'rest-delay'; ms: number; count?: number; path?: string }
  /** Forget every pending injection (a stall already in force stays until its time or its socket ends). */
  | { kind: 'clear' };

interface Counted<T> {
  spec: T;
  left: number;
}
type RestError = Extract<Injection, { kind: 'rest-error' }>;
type RestDelay = Extract<Injection, { kind: 'rest-delay' }>;
type DropDiff = Extract<Injection, { kind: 'drop-diff' }>;

export class FaultPlan {
  private drops: Counted<DropDiff>[] = [];
  private restErrors: Counted<RestError>[] = [];
  private restDelays: Counted<RestDelay>[] = [];

  add(injection: Injection): void {
    switch (injection.kind) {
      case 'drop-diff':
        this.drops.push({ spec: injection, left: positive(injection.count, 'count') });
        break;
      case 'rest-error':
        if (!Number.isInteger(injection.status) || injection.status < 400)
          throw new RangeError(`rest-error status must be an HTTP error code, got ${injection.status}`);
        this.restErrors.push({ spec: injection, left: positive(injection.count, 'count') });
        break;
      case 'rest-delay':
        positive(injection.ms, 'ms');
        this.restDelays.push({ spec: injection, left: positive(injection.count, 'count') });
        break;
      case 'clear':
        this.drops = [];
        this.restErrors = [];
        this.restDelays = [];
        break;
      default:
        throw new RangeError(`${injection.kind} is applied to connections, not planned`);
    }
  }

  /** True when this book diff must be dropped (uses up one drop). */
  takeDrop(topic: string): boolean {
    return take(this.drops, (d) => d.topic === undefined || d.topic === topic) !== undefined;
  }

  takeRestError(path: string): RestError | undefined {
    return take(this.restErrors, (e) => e.path === undefined || e.path === path);
  }

  takeRestDelay(path: string): number {
    return take(this.restDelays, (d) => d.path === undefined || d.path === path)?.ms ?? 0;
  }
}

function take<T>(list: Counted<T>[], match: (spec: T) => boolean): T | undefined {
  const i = list.findIndex((c) => match(c.spec));
  if (i === -1) return undefined;
  const c = list[i]!;
  if (--c.left === 0) list.splice(i, 1);
  return c.spec;
}

function positive(n: number | undefined, name: string): number {
  if (n === undefined) return 1;
  if (!(n > 0)) throw new RangeError(`${name} must be positive, got ${n}`);
  return n;
}

/** An injected REST error with the Retry-After header (seconds) the venues send. */
export function restErrorReply(e: RestError, body: string): RestReply {
  const retryAfter = e.retryAfterSec ?? (e.status === 418 ? 120 : 1);
  return { status: e.status, body, headers: { 'retry-after': String(retryAfter) } };
}
