/**
 * One configured venue, live: its feeds (sharded connections), its REST scheduler
 * (snapshots and polls within the venue's weight budget), its pollers, and the
 * session that turns frames into records. Used by the daemon and by `record`
 * (which adds a CaptureWriter and ignores the records).
 */
import type { CaptureWriter } from '../capture/format.js';
import type { Logger } from '../core/logger.js';
import type { DataType, MarketRecord, MarketType } from '../core/model.js';
import type { Problem } from './adapter.js';
import type { VenueConfig } from './config.js';
import { protocolOf, venueOf } from './venues/registry.js';
import { Feed, type FeedSpec } from './feeds/feed.js';
import { logsFailure, retryUntil } from '../core/retry.js';
import { isSymbolPattern, resolveSymbols } from './symbol-patterns.js';
import { InstrumentCatalog } from './instruments/catalog.js';
import { ProblemLog } from './problems.js';
import { pollTargets } from './rest/pollers.js';
import { RestScheduler } from './rest/scheduler.js';
import { VenueSession } from './session.js';

export interface LiveHooks {
  record(r: MarketRecord): void;
  messageIn?(source: 'ws' | 'rest'): void;
  problem?(kind: Problem): void;
  resync?(reason: Problem | 'reconnect'): void;
  reconnect?(feed: string): void;
  throttled?(status: number): void;
  /** Record mode: raw frames and bodies go here. */
  capture?: CaptureWriter;
}

export interface LiveOptions {
  depth: number;
  publishIntervalMs: number;
  /** Spacing of connection starts (OKX allows 3 connection requests per second per IP). */
  connectSpacingMs?: number;
}

/** Capture time: seconds with sub-millisecond precision, as cryptofeed writes it. */
const captureNow = () => (performance.timeOrigin + performance.now()) / 1000;

export function feedSpecs(cfg: VenueConfig): FeedSpec[] {
  return venueOf(cfg.name).feeds(cfg);
}

export class LiveVenue {
  /** The connections; empty until the symbols are known (patterns resolve once the instrument list loaded). */
  feeds: Feed[] = [];
  /** The venue's symbols: the configured ones, patterns resolved. */
  symbols: string[];
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

  constructor(
    readonly cfg: VenueConfig,
    opts: LiveOptions,
    private readonly log: Logger,
    private readonly hooks: LiveHooks,
  ) {
    const spec = venueOf(cfg.name);
    // Spot markets count the base asset: only derivatives need the contract sizes.
    this.patterns = cfg.symbols.some(isSymbolPattern);
    this.symbols = this.patterns ? [] : [...cfg.symbols];
    // Symbol patterns resolve against the instrument list too.
    const needsInstruments = this.patterns || (spec.market !== 'spot' && protocolOf(spec.kind).needsInstruments);
    const capture = hooks.capture;
    this.scheduler = new RestScheduler(
      { weightPerMinute: cfg.rest_weight_per_minute, spacingMs: cfg.rest_spacing_ms, timeoutMs: 15_000 },
      {
        fetched: (url, body) => {
          hooks.messageIn?.('rest');
          capture?.http(url, captureNow(), body);
        },
        throttled: (status, pauseMs) => {
          hooks.throttled?.(status);
          log.warn({ venue: cfg.name, status, pause_ms: pauseMs }, 'venue asked to slow down; pausing REST');
        },
      },
    );
    const problems = new ProblemLog(log, cfg.name, hooks.problem);
    this.catalog = needsInstruments
      ? new InstrumentCatalog(spec.kind, { restUrl: cfg.rest_url, logger: log, onBody: capture && ((url, body) => capture.http(url, captureNow(), body)) })
      : undefined;
    this.allowed = recordFilter(this.resolved);
    this.session = new VenueSession(
      spec.kind,
      {
        depth: opts.depth,
        restUrl: cfg.rest_url,
        snapshotLimit: cfg.snapshot_limit,
        tickerIntervalMs: cfg.ticker_interval_ms,
        publishIntervalMs: opts.publishIntervalMs,
      },
      problems,
      {
        clock: Date.now,
        record: (r) => {
          if (this.allowed(r)) hooks.record(r);
        },
        snapshot: (req) => {
          void this.scheduler.get(req.key, req.url, req.weight).then(
            (body) => this.session.adapter.onSnapshot(req.key, body),
            (err: Error) => this.session.adapter.onSnapshotFailed(req.key, err),
          );
        },
        send: (conn, text) => this.feeds.find((f) => conn.startsWith(`${f.spec.name}#`))?.send(conn, text),
        resync: (symbol, reason) => {
          hooks.resync?.(reason);
          log.debug({ venue: cfg.name, symbol, reason }, 'book resync');
        },
        instrument: (wire) => this.catalog?.get(wire),
      },
    );
    this.spacing = opts.connectSpacingMs ?? 500;
  }

  /** The configured venue with its symbols resolved. */
  get resolved(): VenueConfig {
    return { ...this.cfg, symbols: this.symbols };
  }

  private buildFeeds(): Feed[] {
    const { adapter } = this.session;
    const { cfg, log, hooks } = this;
    const capture = hooks.capture;
    return feedSpecs(this.resolved).map(
      (fs) =>
        new Feed(fs, {
          open: (conn, url) => {
            capture?.open(url, captureNow());
            log.info({ venue: cfg.name, feed: fs.name, conn }, 'connected');
          },
          message: (conn, text) => {
            this.lastMessageAt = Date.now();
            hooks.messageIn?.('ws');
            capture?.recv(fs.url, captureNow(), text);
            adapter.onMessage(conn, text);
          },
          sent: (_conn, url, text) => capture?.sent(url, captureNow(), text),
          closed: (conn, planned, reason) => {
            if (!planned) adapter.connectionLost(conn);
            log[planned ? 'debug' : 'warn']({ venue: cfg.name, feed: fs.name, conn, reason }, planned ? 'connection closed' : 'connection lost');
          },
          retrying: (delayMs, reason) => {
            hooks.reconnect?.(fs.name);
            log.info({ venue: cfg.name, feed: fs.name, delay_ms: Math.round(delayMs), reason }, 'reconnecting');
          },
        }),
    );
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
    this.feeds = this.buildFeeds();
    this.feeds.forEach((f, i) => this.timers.push(setTimeout(() => f.start(), i * this.spacing)));
    // publish_interval's trailing edge: a 25 ms tick is late by at most that much.
    this.timers.push(setInterval(() => this.session.emitter.tick(Date.now()), 25));
    for (const t of pollTargets(this.resolved)) {
      const poll = () =>
        this.scheduler.get(t.key, t.url, t.weight).then(
          (body) => this.polled(t.url, body),
          (err: Error) => this.log.warn({ venue: this.cfg.name, url: t.url, err: err.message }, 'poll failed'),
        );
      void poll();
      this.timers.push(setInterval(() => void poll(), t.intervalMs));
    }
  }

  private polled(url: string, body: string): void {
    let records: MarketRecord[] | undefined;
    try {
      records = this.session.adapter.restRecords(url, body);
    } catch (err) {
      this.session.problems.report('malformed', { message: `${new URL(url).pathname}: ${(err as Error).message}` });
      return;
    }
    for (const r of records ?? []) if (this.allowed(r)) this.hooks.record(r);
  }

  get connectedFeeds(): number {
    return this.feeds.filter((f) => f.connected).length;
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    this.catalog?.stop();
    for (const t of this.timers) clearTimeout(t);
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
