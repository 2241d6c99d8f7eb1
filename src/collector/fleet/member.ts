/**
 * One collector's part in a fleet. Every `renew` (and soon after any change in the bucket):
 *   1. it writes its member key `member.<id>` (TTL lease_ttl): the live members are the keys
 *      that have not expired;
 *   2. for each (venue, symbol), rendezvous hashing over the members gives the target owner
 *      (and, with standby, the second: a hot standby);
 *   3. ownership is the lease `lease.<venue>.<symbol>` = {owner}, TTL lease_ttl: created by the
 *      target when there is none, renewed by compare-and-swap by its holder;
 *   4. make-before-break: a target that does not hold the lease collects and publishes the
 *      symbol anyway and, once its book is in sync, writes `ready.<venue>.<symbol>`; the
 *      holder then hands the lease over (compare-and-swap naming the target) and stops;
 *   5. the symbol's role on this collector follows: publish (holder or target), standby
 *      (second), or nothing.
 * A member that stops leaves first (its member key deleted, the others take its symbols over
 * the same way) and deletes what was not handed over in time; a killed one's keys expire.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from '../../core/logger.js';
import { LogLimiter } from '../../core/log-limit.js';
import type { FleetConfig } from '../config.js';
import type { SymbolRole } from '../live.js';
import type { LeaseBucket } from './bucket.js';
import { ranked } from './rendezvous.js';

/** What the fleet needs of a live venue (LiveVenue). */
export interface FleetVenue {
  readonly cfg: { name: string };
  readonly symbolsKnown: boolean;
  readonly symbols: string[];
  setRole(symbol: string, role: SymbolRole | undefined): void;
  inSync(symbol: string): boolean;
}

export type Acquired = 'free' | 'expired' | 'handover';
export type Released = 'handover' | 'stop' | 'lost';

export interface FleetEvents {
  acquired?(how: Acquired): void;
  released?(how: Released): void;
  /** After each turn: leases held, members seen. */
  turned?(held: number, members: number): void;
}

interface Lease {
  owner?: string;
}
interface Ready {
  member?: string;
  instance?: string;
}
interface Member {
  member?: string;
  instance?: string;
}

const MEMBER = 'member.';

export class FleetMember {
  /** The live members, sorted, as of the last turn. */
  members: string[] = [];
  /** `venue/symbol` of every lease held. */
  readonly held = new Set<string>();
  /** Why the last turn failed (NATS away, the bucket missing), or undefined. */
  lastError: string | undefined;
  private readonly instance = randomUUID();
  private leaving = false;
  private ticking = false;
  private again = false;
  private timer: NodeJS.Timeout | undefined;
  private soon: NodeJS.Timeout | undefined;
  private readonly rankings = new Map<string, string[]>();
  private rankedFor = '';
  private readonly errors = new LogLimiter();
  /** Since when the bucket's watch has not caught up (turns wait for it), or undefined. */
  private behindSince: number | undefined;

  constructor(
    private readonly cfg: FleetConfig,
    private readonly bucket: LeaseBucket,
    private readonly venues: FleetVenue[],
    private readonly log: Logger,
    private readonly events: FleetEvents = {},
  ) {}

  get id(): string {
    return this.cfg.member_id;
  }

  async start(): Promise<void> {
    await this.bucket.check();
    this.bucket.onWatchLost = (why) => this.log.warn({ member: this.id, bucket: this.bucket.bucket, why }, 'fleet: watching the bucket again');
    await this.bucket.watch((e, before) => {
      // A member came or went, a lease went, a target is ready: act within 50 ms, not at the next
      // renew (renewals, every member's every renew_ms, change nothing and wait).
      const came = !e.deleted && (!before || before.deleted);
      const act = e.key.startsWith(MEMBER) ? came || e.deleted : e.key.startsWith('lease.') ? e.deleted : came || !e.deleted;
      if (act && !this.soon) this.soon = setTimeout(() => ((this.soon = undefined), void this.turn()), 50);
    });
    this.timer = setInterval(() => void this.turn(), this.cfg.renew_ms);
    await this.turn();
    this.log.info({ member: this.id, bucket: this.bucket.bucket, lease_ttl_ms: this.cfg.lease_ttl_ms }, 'fleet member started');
  }

  /** One pass: membership, then every unit; never two at once (a change during one runs another after it). */
  async turn(): Promise<void> {
    if (this.ticking) return void (this.again = true);
    this.ticking = true;
    try {
      if (!this.leaving) await this.bucket.put(MEMBER + this.id, { member: this.id, instance: this.instance } satisfies Member, this.cfg.lease_ttl_ms);
      if (!this.bucket.caughtUp) {
        // Leases are neither renewed nor taken meanwhile: say so once it lasts (a stale view must not look healthy).
        const since = (this.behindSince ??= Date.now());
        if (Date.now() - since > 2 * this.cfg.renew_ms) {
          this.lastError = `the lease bucket's watch has not caught up for ${Math.round((Date.now() - since) / 1000)} s`;
          this.errors.log(
            this.log,
            'warn',
            'behind',
            { member: this.id, bucket: this.bucket.bucket, err: this.lastError },
            'fleet: leases not renewed while the watch catches up',
          );
        }
        return;
      }
      this.behindSince = undefined;
      const members = new Set(this.bucket.live(MEMBER).map((e) => e.key.slice(MEMBER.length)));
      if (this.leaving) members.delete(this.id);
      else members.add(this.id);
      this.members = [...members].sort();
      const work: Promise<void>[] = [];
      for (const v of this.venues) if (v.symbolsKnown) for (const s of v.symbols) work.push(this.unit(v, s));
      await Promise.all(work);
      this.lastError = undefined;
      this.events.turned?.(this.held.size, this.members.length);
    } catch (err) {
      this.lastError = (err as Error).message;
      this.errors.log(this.log, 'warn', 'turn', { member: this.id, err: this.lastError }, 'fleet: lease renewal failed; retrying at the next renew');
    } finally {
      this.ticking = false;
      if (this.again) {
        this.again = false;
        void this.turn();
      }
    }
  }

  private ranking(unit: string): string[] {
    const key = this.members.join(' ');
    if (key !== this.rankedFor) {
      this.rankings.clear();
      this.rankedFor = key;
    }
    let r = this.rankings.get(unit);
    if (!r) this.rankings.set(unit, (r = ranked(this.members, unit)));
    return r;
  }

  private async unit(v: FleetVenue, symbol: string): Promise<void> {
    const unit = `${v.cfg.name}.${symbol}`;
    const name = `${v.cfg.name}/${symbol}`;
    const leaseKey = `lease.${unit}`;
    const me = this.id;
    const ttl = this.cfg.lease_ttl_ms;
    const [target, second] = this.ranking(unit);
    const lease = this.bucket.get(leaseKey);
    const holder = (lease?.value as Lease | undefined)?.owner;
    const ready = this.bucket.get(`ready.${unit}`)?.value as Ready | undefined;
    const wasHeld = this.held.has(name);
    let holds = holder === me;
    if (holds && !wasHeld) this.acquired(name, 'handover');
    if (holds && lease) {
      const readyTarget = target !== me && ready?.member === target && ready.instance === this.instanceOf(target);
      const next = await this.bucket.swap(leaseKey, { owner: readyTarget ? target : me } satisfies Lease, lease.revision, ttl);
      if (next === undefined || readyTarget) {
        holds = false;
        this.held.delete(name);
        this.events.released?.(next === undefined ? 'lost' : 'handover');
        this.log.info({ member: me, unit: name, to: readyTarget ? target : undefined }, next === undefined ? 'fleet: lease lost' : 'fleet: lease handed over');
      }
    } else {
      if (wasHeld) {
        this.held.delete(name);
        this.events.released?.('lost');
        this.log.warn({ member: me, unit: name, holder }, 'fleet: lease lost');
      }
      if (!lease && target === me && !this.leaving) {
        const before = this.bucket.entries.get(leaseKey);
        if ((await this.bucket.create(leaseKey, { owner: me } satisfies Lease, ttl)) !== undefined) {
          holds = true;
          this.acquired(name, before ? 'expired' : 'free');
        }
      }
    }
    const publish = holds || (target === me && !this.leaving);
    const role: SymbolRole | undefined = publish ? 'publish' : this.cfg.standby && second === me && !this.leaving ? 'standby' : undefined;
    v.setRole(symbol, role);
    // Make-before-break: in sync and publishing while another holds the lease, say so.
    if (publish && !holds && holder && v.inSync(symbol) && !(ready?.member === me && ready.instance === this.instance))
      await this.bucket.put(`ready.${unit}`, { member: me, instance: this.instance } satisfies Ready, ttl);
  }

  private acquired(name: string, how: Acquired): void {
    this.held.add(name);
    this.events.acquired?.(how);
    this.log.info({ member: this.id, unit: name, how }, 'fleet: lease taken');
  }

  private instanceOf(member: string): string | undefined {
    return (this.bucket.get(MEMBER + member)?.value as Member | undefined)?.instance;
  }

  /**
   * Leaves the fleet: the member key goes, the others take the symbols over (make-before-break,
   * for at most `waitMs`), and the leases not handed over by then are deleted.
   */
  async stop(waitMs = Math.min(this.cfg.lease_ttl_ms, 5000)): Promise<void> {
    clearInterval(this.timer);
    this.leaving = true;
    try {
      const mine = this.bucket.get(MEMBER + this.id);
      if (mine) await this.bucket.delete(MEMBER + this.id, mine.revision, this.cfg.lease_ttl_ms);
      const until = Date.now() + waitMs;
      while (this.held.size > 0 && Date.now() < until && this.members.length > 0) {
        await this.turn();
        await new Promise((r) => setTimeout(r, 200));
      }
      for (const name of [...this.held]) {
        const key = `lease.${name.replace('/', '.')}`;
        const lease = this.bucket.get(key);
        if (lease && (lease.value as Lease).owner === this.id) await this.bucket.delete(key, lease.revision, this.cfg.lease_ttl_ms);
        this.held.delete(name);
        this.events.released?.('stop');
      }
    } catch (err) {
      this.log.warn({ member: this.id, err: (err as Error).message }, 'fleet: leaving the fleet failed; the leases expire on their own');
    }
    clearTimeout(this.soon);
    await this.bucket.close();
    this.log.info({ member: this.id }, 'fleet member left');
  }
}
