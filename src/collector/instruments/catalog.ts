/**
 * The instruments of one venue market (see InstrumentVenue), by wire name, loaded
 * through ccxt and refreshed on an interval. A refresh that fails keeps the catalog
 * it had; it is logged and reported through `onRefreshFailed`, never thrown.
 *
 *   const catalog = new InstrumentCatalog('okx', { restUrl });
 *   await catalog.load();                 // throws when the first load fails
 *   catalog.get('BTC-USDT-SWAP');         // { quantity_unit: 'contracts', contract_size: '0.01', ... }
 *   catalog.startRefresh(3_600_000);      // unref'd timer; stop() clears it
 *
 * Replay builds one from recorded bodies with `catalogFromBodies`, through the same
 * ccxt fetchMarkets and the same classification.
 */
import type { Exchange, MarketInterface as Market } from 'ccxt';
import type { Logger } from '../../core/logger.js';
import { createMarketsExchange, marketsFromBodies, type CcxtMarketsOptions } from './ccxt-markets.js';
import { protocolOf } from '../venues/registry.js';
import type { InstrumentInfo, InstrumentVenue, RecordedBody } from './types.js';

export interface CatalogOptions extends CcxtMarketsOptions {
  logger?: Pick<Logger, 'info' | 'warn'>;
  /** A refresh failed; the previous catalog stays. */
  onRefreshFailed?(err: Error): void;
  /** A load or refresh replaced the catalog. */
  onLoaded?(count: number): void;
}

export interface CatalogLoad {
  instruments: InstrumentInfo[];
  /** Rows ccxt listed that the collector cannot name (options, combos, ...). */
  skipped: number;
}

/** Classifies ccxt market rows: one InstrumentInfo per nameable row, last one wins for a repeated wire name. */
export function classifyMarkets(venue: InstrumentVenue, markets: readonly (Market | undefined)[]): CatalogLoad {
  const source = protocolOf(venue).instruments;
  const byWire = new Map<string, InstrumentInfo>();
  let skipped = 0;
  for (const m of markets) {
    const info = m && source.classify(m);
    if (info) byWire.set(info.wire, info);
    else skipped++;
  }
  return { instruments: [...byWire.values()], skipped };
}

export class InstrumentCatalog {
  private byWire = new Map<string, InstrumentInfo>();
  private list: readonly InstrumentInfo[] = [];
  private exchange: Promise<Exchange> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private refreshing: Promise<boolean> | undefined;
  private loadedAtMs: number | undefined;
  private failure: Error | undefined;
  /** Called after every replacement of the list (a load or a refresh). */
  onReplaced: (() => void) | undefined;

  constructor(
    readonly venue: InstrumentVenue,
    private readonly opts: CatalogOptions = {},
  ) {}

  /** The instrument with this wire name (BTCUSDT, BTC-USDT-SWAP, BTC-PERPETUAL), if listed. */
  get(wire: string): InstrumentInfo | undefined {
    return this.byWire.get(wire);
  }

  /** Every instrument, in the venue's order (for `symbols: all` and patterns). */
  get instruments(): readonly InstrumentInfo[] {
    return this.list;
  }

  get size(): number {
    return this.list.length;
  }

  /** When the catalog was last replaced (ms), undefined before the first load. */
  get loadedAt(): number | undefined {
    return this.loadedAtMs;
  }

  /** The last refresh's error, cleared by a good one. */
  get lastError(): Error | undefined {
    return this.failure;
  }

  /** Fetches the instrument list through ccxt and replaces the catalog. Throws when it fails (the catalog is kept). */
  async load(): Promise<CatalogLoad> {
    this.exchange ??= createMarketsExchange(this.venue, this.opts);
    let ex: Exchange;
    try {
      ex = await this.exchange;
    } catch (err) {
      this.exchange = undefined;
      throw err;
    }
    const loaded = classifyMarkets(this.venue, await ex.fetchMarkets());
    if (loaded.instruments.length === 0) throw new Error(`${this.venue}: the instrument list is empty; keeping the ${this.size} instruments known`);
    this.replace(loaded.instruments);
    this.opts.logger?.info({ venue: this.venue, instruments: loaded.instruments.length, skipped: loaded.skipped }, 'instrument catalog loaded');
    return loaded;
  }

  /** load() that never throws: false (and the old catalog kept, the error logged and reported) when it fails. */
  refresh(): Promise<boolean> {
    this.refreshing ??= this.load()
      .then(
        () => {
          this.failure = undefined;
          return true;
        },
        (err: unknown) => {
          const error = err instanceof Error ? err : new Error(String(err));
          this.failure = error;
          this.opts.logger?.warn({ venue: this.venue, err: error, kept: this.size }, 'instrument catalog refresh failed; keeping the previous one');
          try {
            this.opts.onRefreshFailed?.(error);
          } catch {
            // a reporting hook must not turn a kept catalog into a crash
          }
          return false;
        },
      )
      .finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  /** Refreshes every `intervalMs` (timer unref'd: it never keeps the process alive). */
  startRefresh(intervalMs: number): void {
    if (!Number.isFinite(intervalMs) || intervalMs < 1000) throw new RangeError(`instrument refresh interval must be at least 1000 ms, got ${intervalMs}`);
    this.stop();
    this.timer = setInterval(() => void this.refresh(), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Replaces the catalog with these instruments (a load, or a replay's recorded list). */
  replace(instruments: readonly InstrumentInfo[]): void {
    this.byWire = new Map(instruments.map((i) => [i.wire, i]));
    this.list = Object.freeze([...instruments]);
    this.loadedAtMs = Date.now();
    this.opts.onLoaded?.(instruments.length);
    this.onReplaced?.();
  }
}

/**
 * A catalog from recorded REST bodies (a capture's instrument responses), through the
 * same ccxt fetchMarkets as a live load: each request ccxt makes is answered with the
 * last recorded body for its path and query (host ignored). Async only because ccxt is.
 */
export async function catalogFromBodies(venue: InstrumentVenue, bodies: readonly RecordedBody[]): Promise<InstrumentCatalog> {
  const { instruments } = classifyMarkets(venue, await marketsFromBodies(venue, bodies));
  const catalog = new InstrumentCatalog(venue);
  catalog.replace(instruments);
  return catalog;
}
