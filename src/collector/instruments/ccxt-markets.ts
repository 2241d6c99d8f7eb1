/**
 * Instrument lists through ccxt: one ccxt exchange per catalog, its `fetchMarkets`
 * restricted to the one market type the catalog holds, its REST hosts pointed at
 * `restUrl` (a simulator in tests).
 *
 * Two things are changed on the ccxt instance, and only these:
 * - `parseJson` keeps every JSON number as its source text (src/collector/json.ts),
 *   so a market's `info` (the venue's raw row) carries Binance COIN-M's
 *   `contractSize` and Deribit's `tick_size` as the venue wrote them, not as doubles;
 *   ccxt's own float fields are never read for sizes.
 * - for replay, `fetch` answers from recorded bodies instead of the network, so a
 *   recorded session is classified by exactly the ccxt code a live load runs.
 *
 * The exchange classes are imported one by one from ccxt's files (about 160 ms and
 * 30 MB RSS for the three, measured on the development machine) rather than through
 * the package entry, which loads every exchange (about 550 ms and 80-100 MB).
 * ccxt's `exports` map only offers the entry, so the files are found next to it;
 * if that ever fails, the entry is used.
 */
import type { binance as BinanceClass, deribit as DeribitClass, Exchange, Market, okx as OkxClass } from 'ccxt';
import { parseJsonKeepNumbers } from '../json.js';
import { protocolOf } from '../venues/registry.js';
import type { InstrumentVenue, RecordedBody } from './types.js';

type CcxtId = 'binance' | 'okx' | 'deribit';
interface CcxtClasses {
  binance: typeof BinanceClass;
  okx: typeof OkxClass;
  deribit: typeof DeribitClass;
}

const classCache = new Map<CcxtId, Promise<CcxtClasses[CcxtId]>>();

async function importClass<K extends CcxtId>(id: K): Promise<CcxtClasses[K]> {
  let p = classCache.get(id);
  if (!p) {
    p = (async () => {
      try {
        const file = new URL(`./src/${id}.js`, import.meta.resolve('ccxt'));
        const mod = (await import(file.href)) as { default: CcxtClasses[K] };
        if (typeof mod.default === 'function') return mod.default;
      } catch {
        // fall through to the package entry
      }
      const all = (await import('ccxt')) as unknown as CcxtClasses;
      return all[id];
    })();
    classCache.set(id, p);
  }
  return p as Promise<CcxtClasses[K]>;
}

export interface CcxtMarketsOptions {
  /** The venue's REST base URL (scheme + host[:port]), as the collector's `rest_url`. */
  restUrl?: string;
  timeoutMs?: number;
  /** Each instrument response as received (record mode writes it to the capture, so a replay classifies the same). */
  onBody?(url: string, body: string): void;
}

/** The ccxt `urls.api` entries a venue's instrument requests go through, rebased on `restUrl`. */
function apiUrls(id: CcxtId, restUrl: string): Record<string, string> {
  const base = restUrl.replace(/\/+$/, '');
  switch (id) {
    case 'binance':
      // Spot exchangeInfo is `public` (/api/v3), USDⓈ-M `fapiPublic`, COIN-M `dapiPublic`.
      return { public: `${base}/api/v3`, fapiPublic: `${base}/fapi/v1`, dapiPublic: `${base}/dapi/v1` };
    case 'okx':
    case 'deribit':
      return { rest: base };
  }
}

/** A ccxt exchange set up for one catalog's instrument list. */
export async function createMarketsExchange(venue: InstrumentVenue, opts: CcxtMarketsOptions = {}): Promise<Exchange> {
  const { ccxt: id, types } = protocolOf(venue).instruments;
  const Cls = await importClass(id);
  const options: Record<string, unknown> = types.length === 0 ? { fetchMarkets: { fetchAllMarkets: true } } : { fetchMarkets: { types } };
  const ex: Exchange = new Cls({ timeout: opts.timeoutMs ?? 10_000, options });
  if (opts.restUrl) {
    const api = ex.urls.api as Record<string, string>;
    Object.assign(api, apiUrls(id, opts.restUrl));
  }
  const texts = new WeakMap<object, string>();
  ex.parseJson = (text: unknown): unknown => {
    if (typeof text !== 'string') return undefined;
    try {
      const parsed = parseJsonKeepNumbers(text);
      if (opts.onBody && typeof parsed === 'object' && parsed !== null) texts.set(parsed, text);
      return parsed;
    } catch {
      return undefined; // ccxt's own contract: not JSON → undefined, the body is handled as text
    }
  };
  const onBody = opts.onBody;
  if (onBody) {
    const fetch = ex.fetch.bind(ex);
    ex.fetch = async (url: string, ...rest: unknown[]): Promise<unknown> => {
      const parsed: unknown = await (fetch as (...a: unknown[]) => Promise<unknown>)(url, ...rest);
      const text = typeof parsed === 'object' && parsed !== null ? texts.get(parsed) : undefined;
      if (text !== undefined) onBody(url, text);
      return parsed;
    };
  }
  return ex;
}

/** The venue's instrument rows through ccxt's fetchMarkets, from the network. */
export async function fetchMarkets(ex: Exchange): Promise<Market[]> {
  return ex.fetchMarkets();
}

/** Path and sorted query of a URL: how a recorded body is matched to a request, whatever the host. */
export function requestKey(url: string): string {
  const u = new URL(url);
  const params = [...u.searchParams.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `${u.pathname}?${new URLSearchParams(params).toString()}`;
}

/** ccxt's fetchMarkets on recorded bodies: the last body per request wins; a request with none fails naming its URL. */
export async function marketsFromBodies(venue: InstrumentVenue, bodies: readonly RecordedBody[]): Promise<Market[]> {
  const byKey = new Map<string, string>();
  for (const b of bodies) byKey.set(requestKey(b.url), b.body);
  const ex = await createMarketsExchange(venue, { restUrl: 'http://replay.invalid' });
  ex.enableRateLimit = false;
  const source = protocolOf(venue).instruments;
  const keys = [...byKey.keys()];
  const recorded = source.recordedTypes(keys);
  if (source.types.length === 0) {
    // All instruments in one body, or per currency: whichever was recorded.
    ex.options['fetchMarkets'] = { fetchAllMarkets: recorded.length > 0 };
  } else {
    if (recorded.length === 0) throw new Error(`${venue}: none of the recorded bodies is an instrument list (${keys.length} bodies)`);
    ex.options['fetchMarkets'] = { types: recorded };
  }
  ex.fetch = async (url: string): Promise<unknown> => {
    const body = byKey.get(requestKey(url));
    if (body === undefined) throw new Error(`${venue}: no recorded body for ${requestKey(url)}`);
    return ex.parseJson(body);
  };
  return ex.fetchMarkets();
}
