/**
 * One configured venue, live: its feeds (sharded connections), its REST scheduler
 * (snapshots and polls within the venue's weight budget), its pollers, and the
 * session that turns frames into records, handed to the caller's sink (VenueEvents)
 * through the symbol filter (and, in a fleet, the routing below). Used by the daemon and
 * by `record` (which adds a CaptureWriter and only counts the records).
 *
 * In a fleet (`LiveOptions.fleet`) the venue starts no symbol by itself: the fleet member
 * gives each symbol a role at run time (`setRole`): `publish`, `standby` (collected and in
 * sync, books not published, the other records held back for a take-over), or none. Each
 * symbol then has feeds of its own, so adding or removing one never touches another's
 * connections or books.
 */
import type { CaptureWriter } from '../capture/format.js';
import type { Logger } from '../core/logger.js';
import type { DataType, MarketRecord, MarketType } from '../core/model.js';
import type { VenueEvents } from './adapter.js';
import type { VenueConfig } from './config.js';
import { protocolOf, venueOf } from './venues/registry.js';
import { Feed, type FeedSpec } from './feeds/feed.js';
import { logsFailure, retryUntil } from '../core/retry.js';
import { isSymbolPattern, resolveSymbols } from './symbol-patterns.js';
import { InstrumentCatalog } from './instruments/catalog.js';
import { pollTargets } from './rest/pollers.js';
import { RestScheduler } from './rest/scheduler.js';
import { VenueSession } from './session.js';
import { StandbyBuffer } from './fleet/standby-buffer.js';

/** What a fleet member does with a symbol it collects. */
export type SymbolRole = 'publish' | 'standby';

/** The connections and poll timers of some symbols (all of them, or one in a fleet). */
interface FeedGroup {
  feeds: Feed[];
  timers: NodeJS.Timeout[];
  /** Sockets opened by these feeds and not closed since (their books reset when the group stops). */
  conns: Set<string>;
}

export interface LiveOptions {
  depth: number;
  publishIntervalMs: number;
  /** Spacing of connection starts (OKX allows 3 connection requests per second per IP). */
  connectSpacingMs?: number;
  /** Fleet: symbols start only through setRole; a standby holds its non-book records this long. */
  fleet?: { standbyKeepMs: number };
  /** Record mode: raw frames and bodies go here. */
  capture?: CaptureWriter;
}

/** Capture time: seconds with sub-millisecond precision, as cryptofeed writes it. */
const captureNow = () => (performance.timeOrigin + performance.now()) / 1000;

export function feedSpecs(cfg: VenueConfig): FeedSpec[] {
  return venueOf(cfg.name).feeds(cfg);
}

export class LiveVenue {
  /** The venue's symbols: the configured ones, patterns resolved. */
  symbols: string[];
  /** Fleet: the symbols are known (patterns resolved, instrument list loaded) and roles can be given. */
  symbolsKnown = false;
  readonly scheduler: RestScheduler;
  readonly session: VenueSession;
  lastMessageAt = 0;
  /** Instrument metadata, where the venue's quantities need it. */
  readonly catalog: InstrumentCatalog | undefined;
  /** Why the instrument list has not loaded yet (health), or undefined. */
  instrumentsError: string | undefined;
  private readonly stopping = new AbortController();
  private readonly spacing: number;
  private readonly timers: NodeJS.Timeout[] = [];
  private allowed: (r: MarketRecord) => boolean;
  private readonly patterns: boolean;
  /** '' holds every symbol; in a fleet, one group per symbol collected. */
  private readonly groups = new Map<string, FeedGroup>();
  private nextStartAt = 0;
  private readonly roles = new Map<string, SymbolRole>();
  /** Fleet: symbols whose first book (or first record, without books) came since they got a role. */
  private readonly synced = new Set<string>();
  private readonly standby: StandbyBuffer | undefined;
  /** A record's symbol -> the configured symbol (Deribit: BTC-USD -> BTC). */
  private configSymbol = new Map<string, string>();

  constructor(
    readonly cfg: VenueConfig,
    private readonly opts: LiveOptions,
    private readonly log: Logger,
    private readonly events: VenueEvents,
  ) {
    const spec = venueOf(cfg.name);
    // Spot markets count the base asset: only derivatives need the contract sizes.
    this.patterns = cfg.symbols.some(isSymbolPattern);
    this.symbols = this.patterns ? [] : [...cfg.symbols];
    // Symbol patterns resolve against the instrument list too.
    const needsInstruments = this.patterns || (spec.market !== 'spot' && protocolOf(spec.kind).needsInstruments);
    const capture = opts.capture;
    this.scheduler = new RestScheduler(
      { weightPerMinute: cfg.rest_weight_per_minute, spacingMs: cfg.rest_spacing_ms, timeoutMs: 15_000 },
      {
        fetched: (url, body) => {
          events.messageIn?.('rest');
          capture?.http(url, captureNow(), body);
        },
        throttled: (status, pauseMs) => {
          events.throttled?.(status);
          log.warn({ venue: cfg.name, status, pause_ms: pauseMs }, 'venue asked to slow down; pausing REST');
        },
      },
    );
    this.catalog = needsInstruments
      ? new InstrumentCatalog(spec.kind, { restUrl: cfg.rest_url, logger: log, onBody: capture && ((url, body) => capture.http(url, captureNow(), body)) })
      : undefined;
    this.allowed = recordFilter(this.resolved);
    this.session = new VenueSession({
      venue: spec.kind,
      name: cfg.name,
      settings: {
        depth: opts.depth,
        restUrl: cfg.rest_url,
        snapshotLimit: cfg.snapshot_limit,
        tickerIntervalMs: cfg.ticker_interval_ms,
        publishIntervalMs: opts.publishIntervalMs,
      },
      env: {
        now: Date.now,
        requestSnapshot: (req) => {
          void this.scheduler.get(req.key, req.url, req.weight).then(
            (body) => this.session.adapter.onSnapshot(req.key, body),
            (err: Error) => this.session.adapter.onSnapshotFailed(req.key, err),
          );
        },
        send: (conn, text) => this.feeds.find((f) => conn.startsWith(`${f.spec.name}#`))?.send(conn, text), // feed names are unique
        instrument: (wire) => this.catalog?.get(wire),
      },
      // The caller's sink, with its records passed through the filter and the routing.
      events: { ...events, record: this.collected },
      log,
    });
    this.spacing = opts.connectSpacingMs ?? 500;
    this.standby = opts.fleet && new StandbyBuffer(opts.fleet.standbyKeepMs);
    this.mapSymbols();
  }

  /** The connections of every symbol collected; empty until the symbols are known. */
  get feeds(): Feed[] {
    return [...this.groups.values()].flatMap((g) => g.feeds);
  }

  private mapSymbols(): void {
    const spec = venueOf(this.cfg.name);
    this.configSymbol = new Map(this.symbols.map((s) => [spec.recordSymbol?.(s) ?? s, s]));
  }

  /** A record from the venue (stream or poll): routed if it is of a configured symbol and type. */
  private readonly collected = (r: MarketRecord): void => {
    if (this.allowed(r)) this.route(r);
  };

  /** A record of a configured symbol: published, or (fleet) published or held as the symbol's role says. */
  private route(r: MarketRecord): void {
    if (!this.opts.fleet) return this.events.record(r);
    const symbol = this.configSymbol.get(r.symbol);
    const role = symbol === undefined ? undefined : this.roles.get(symbol);
    if (!role) return;
    if (r.data_type === 'orderbook' || !this.cfg.data_types.includes('orderbook')) this.synced.add(symbol!);
    if (role === 'publish') this.events.record(r);
    else if (r.data_type !== 'orderbook') this.standby!.push(symbol!, r);
  }

  /**
   * Fleet: what this collector does with `symbol` (one of `symbols`): publish it, keep it
   * in sync as a standby, or (undefined) stop collecting it. A standby promoted to publish
   * first hands over the records it held back.
   */
  setRole(symbol: string, role: SymbolRole | undefined): void {
    const was = this.roles.get(symbol);
    if (was === role || !this.opts.fleet || this.stopping.signal.aborted) return;
    if (!role) {
      this.roles.delete(symbol);
      this.synced.delete(symbol);
      this.standby!.drop(symbol);
      this.stopGroup(symbol);
      return;
    }
    this.roles.set(symbol, role);
    if (!was) this.startGroup(symbol, [symbol]);
    if (role === 'publish') for (const r of this.standby!.take(symbol)) this.events.record(r);
  }

  /** Fleet: the symbol has a role and its book is in sync (or its first record came, for a venue without books). */
  inSync(symbol: string): boolean {
    return this.roles.has(symbol) && this.synced.has(symbol);
  }

  /** Fleet: the symbols known and none of them collected here (another member has them all). */
  get idle(): boolean {
    return this.opts.fleet !== undefined && this.symbolsKnown && this.roles.size === 0;
  }

  roleOf(symbol: string): SymbolRole | undefined {
    return this.roles.get(symbol);
  }

  /** The configured venue with its symbols resolved. */
  get resolved(): VenueConfig {
    return { ...this.cfg, symbols: this.symbols };
  }

  private buildFeeds(symbols: string[], group: FeedGroup, suffix: string): Feed[] {
    const { adapter } = this.session;
    const { cfg, log, events } = this;
    const capture = this.opts.capture;
    return feedSpecs({ ...this.resolved, symbols }).map((venueSpec) => {
      // One symbol's feeds in a fleet: names made unique (sockets are told apart by them).
      const fs = suffix ? { ...venueSpec, name: `${venueSpec.name}:${suffix}` } : venueSpec;
      return new Feed(fs, {
        open: (conn, url) => {
          group.conns.add(conn);
          capture?.open(url, captureNow());
          log.info({ venue: cfg.name, feed: fs.name, conn }, 'connected');
        },
        message: (conn, text) => {
          this.lastMessageAt = Date.now();
          events.messageIn?.('ws');
          capture?.recv(fs.url, captureNow(), text);
          adapter.onMessage(conn, text);
        },
        sent: (_conn, url, text) => capture?.sent(url, captureNow(), text),
        closed: (conn, planned, reason) => {
          group.conns.delete(conn);
          if (!planned) adapter.connectionLost(conn);
          log[planned ? 'debug' : 'warn']({ venue: cfg.name, feed: fs.name, conn, reason }, planned ? 'connection closed' : 'connection lost');
        },
        retrying: (delayMs, reason) => {
          events.reconnect?.(fs.name);
          log.info({ venue: cfg.name, feed: fs.name, delay_ms: Math.round(delayMs), reason }, 'reconnecting');
        },
      });
    });
  }

  /**
   * Starts the venue. Where quantities need contract sizes, the instrument list is loaded
   * first (retried with backoff while the venue is unreachable) so that no record waits
   * for, or goes out without, its size; then it is refreshed every instruments_refresh.
   */
  start(): void {
    if (!this.catalog) return this.startFeeds();
    const catalog = this.catalog;
    retryUntil(() => catalog.load(), {
      initialMs: 1000,
      maxMs: 30_000,
      signal: this.stopping.signal,
      onError: (err, attempt, delayMs) => {
        this.instrumentsError = err.message;
        if (logsFailure(attempt, 10))
          this.log.warn({ venue: this.cfg.name, err: err.message, attempt, retry_in_ms: Math.round(delayMs) }, 'instrument list not loaded; retrying');
      },
    }).then(
      () => {
        this.instrumentsError = undefined;
        if (this.patterns) this.resolveSymbols(catalog);
        catalog.startRefresh(this.cfg.instruments_refresh_ms);
        this.startFeeds();
      },
      () => undefined, // stopped before it loaded
    );
  }

  /** Patterns -> symbols from the instrument list (at start; a refresh that would change them is logged). */
  private resolveSymbols(catalog: InstrumentCatalog): void {
    const spec = venueOf(this.cfg.name);
    const markets = new Set<MarketType>(spec.market === 'spot' ? ['spot'] : ['perpetual', 'futures']);
    const resolve = () => resolveSymbols(this.cfg.symbols, catalog.instruments, markets, this.cfg.max_symbols);
    const { symbols, leftOut } = resolve();
    this.symbols = symbols;
    this.allowed = recordFilter(this.resolved);
    this.mapSymbols();
    this.log.info(
      { venue: this.cfg.name, patterns: this.cfg.symbols, symbols: symbols.length, left_out: leftOut },
      'symbols resolved from the instrument list',
    );
    if (leftOut > 0)
      this.log.warn(
        { venue: this.cfg.name, max_symbols: this.cfg.max_symbols, left_out: leftOut },
        'more instruments match than max_symbols; the rest are not collected',
      );
    catalog.onReplaced = () => {
      const now = resolve().symbols;
      const added = now.filter((x) => !this.symbols.includes(x)).length;
      const removed = this.symbols.filter((x) => !now.includes(x)).length;
      if (added + removed > 0)
        this.log.warn(
          { venue: this.cfg.name, added, removed },
          'the instrument list changed what the symbol patterns match; restart the collector to follow it',
        );
    };
  }

  private startFeeds(): void {
    if (this.stopping.signal.aborted) return;
    // publish_interval's trailing edge: a 25 ms tick is late by at most that much.
    this.timers.push(setInterval(() => this.session.emitter.tick(Date.now()), 25));
    if (this.opts.fleet) this.symbolsKnown = true;
    else this.startGroup('', this.symbols);
  }

  /** Connections (spaced `connectSpacingMs` apart, venue-wide) and polls for `symbols`. */
  private startGroup(key: string, symbols: string[]): void {
    const group: FeedGroup = { feeds: [], timers: [], conns: new Set() };
    group.feeds = this.buildFeeds(symbols, group, key);
    this.groups.set(key, group);
    for (const f of group.feeds) {
      const at = Math.max(Date.now(), this.nextStartAt);
      this.nextStartAt = at + this.spacing;
      group.timers.push(setTimeout(() => f.start(), at - Date.now()));
    }
    for (const t of pollTargets({ ...this.resolved, symbols })) {
      const poll = () =>
        this.scheduler.get(t.key, t.url, t.weight).then(
          (body) => this.polled(t.url, body),
          (err: Error) => this.log.warn({ venue: this.cfg.name, url: t.url, err: err.message }, 'poll failed'),
        );
      void poll();
      group.timers.push(setInterval(() => void poll(), t.intervalMs));
    }
  }

  /** Closes a group's connections and drops the books they fed (a symbol collected again starts from a snapshot). */
  private stopGroup(key: string): void {
    const group = this.groups.get(key);
    if (!group) return;
    this.groups.delete(key);
    for (const t of group.timers) clearTimeout(t);
    const conns = [...group.conns];
    void Promise.all(group.feeds.map((f) => f.stop())).then(() => {
      for (const conn of conns) this.session.adapter.connectionLost(conn);
    });
  }

  private polled(url: string, body: string): void {
    let records: MarketRecord[] | undefined;
    try {
      records = this.session.adapter.restRecords(url, body);
    } catch (err) {
      this.session.problems.report('malformed', { message: `${new URL(url).pathname}: ${(err as Error).message}` });
      return;
    }
    for (const r of records ?? []) this.collected(r);
  }

  get connectedFeeds(): number {
    return this.feeds.filter((f) => f.connected).length;
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    this.catalog?.stop();
    for (const t of this.timers) clearTimeout(t);
    for (const g of this.groups.values()) for (const t of g.timers) clearTimeout(t);
    this.scheduler.stop();
    await Promise.all(this.feeds.map((f) => f.stop()));
    this.session.emitter.flush(Date.now());
  }
}

/** Records for the configured symbols and types only (OKX liquidations arrive for every swap). */
function recordFilter(cfg: VenueConfig): (r: MarketRecord) => boolean {
  const spec = venueOf(cfg.name);
  const types = new Set<DataType>(cfg.data_types);
  const symbols = new Set(cfg.symbols.map((s) => spec.recordSymbol?.(s) ?? s));
  // A derivatives venue delivers its perpetuals and its dated futures.
  const markets = spec.market === 'index' ? undefined : spec.market === 'perpetual' ? new Set(['perpetual', 'futures']) : new Set([spec.market]);
  return (r) => types.has(r.data_type) && symbols.has(r.symbol) && (markets === undefined || markets.has(r.market_type));
}
