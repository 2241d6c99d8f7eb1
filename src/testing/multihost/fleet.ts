/**
 * The collector fleet on three hosts (docs/cluster.md "Three hosts", docs/collector.md
 * "Fleet"): co's collector restarted as a fleet member beside one on co2 and one on co3,
 * one configuration but the member_id, all fed by the simulator on co. Four checks, in
 * order, sharing what they saw (times, the victim):
 *   - steady state: every (venue, symbol) owned by exactly one member, its rendezvous target (/health);
 *   - kill -9 of the member owning the most: its symbols owned by the others within 10 s;
 *   - it starts again: it owns symbols again, and no stored book record of any symbol is
 *     further from the one before than publish_interval + 900 ms across the hand-over;
 *   - trades continuous: every trade id of every symbol stored, from the steady state to
 *     after the rejoin (the simulator's ids are sequential per instrument: SymbolMarket);
 *   - every stored book record of Binance USDⓈ-M, OKX spot and OKX swaps from the kill to
 *     after the rejoin equals the driver's own rebuild of that book at its last_update_id
 *     (book-rebuild.ts, okx-book-rebuild.ts), but a new owner's first book from its REST
 *     snapshot (an id inside a push: a state the stream never shows).
 * Books and trades are read from ClickHouse (the storage host's `marketprism query`).
 */
import { ranked } from '../../collector/fleet/rendezvous.js';
import { BOOK_INTERVAL_MS, COLLECTOR_SYMBOLS, COLLECTOR_TYPES } from '../fault-suite/deployment.js';
import { waitFor } from '../ports.js';
import { compareStoredBooks, storedBooksSql, type RebuiltMarket, type StoredBookRow } from './book-compare.js';
import { BinanceBookRebuild } from './book-rebuild.js';
import { OkxBookRebuild } from './okx-book-rebuild.js';
import type { CollectorSlot, FleetView, MultiHostRig } from './rig.js';

/** Book records of a symbol further apart than this across a hand-over are a gap (test/collector/fleet.test.ts: publish_interval + 900 ms). */
export const BOOK_GAP_LIMIT_MS = BOOK_INTERVAL_MS + 900;
const TAKEOVER_LIMIT_MS = 10_000;

type RebuiltBooks = Pick<RebuiltMarket, 'exchange' | 'marketType' | 'instrument'>;
/** Per collector venue whose books the driver rebuilds on its own: what its stored books are. */
const REBUILDS: Record<string, RebuiltBooks> = {
  binance_derivatives: { exchange: 'binance', marketType: 'perpetual', instrument: (s) => s.replace('-', '') },
  okx_spot: { exchange: 'okx', marketType: 'spot', instrument: (s) => s },
  okx_derivatives: { exchange: 'okx', marketType: 'perpetual', instrument: (s) => `${s}-SWAP` },
};
/** The rebuilt books of the configuration: every venue of it collecting books has a rebuild. */
const REBUILT_BOOKS = Object.entries(COLLECTOR_TYPES)
  .filter(([, types]) => types.split(', ').includes('orderbook'))
  .map(([venue]) => {
    const g = REBUILDS[venue];
    if (!g) throw new Error(`fleet checks: the collector's books of ${venue} have no independent rebuild`);
    return g;
  });

/** Every (venue, symbol) of the configuration, as /health names it. */
const UNITS = Object.keys(COLLECTOR_TYPES)
  .flatMap((v) => COLLECTOR_SYMBOLS.map((s) => `${v}/${s}`))
  .sort();

export interface FleetContext {
  rig: MultiHostRig;
  say(msg: string): void;
  must(ok: boolean, what: string): void;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const ms = (t: number) => `fromUnixTimestamp64Milli(toInt64(${Math.round(t)}))`;

export function fleetChecks({ rig, say, must }: FleetContext): [string, () => Promise<string>][] {
  const seen: { steadyAt?: number; killedAt?: number; rejoinAt?: number; endAt?: number; victim?: CollectorSlot; lost?: string[] } = {};
  const running = () => rig.collectors.filter((c) => c.proc);
  const views = async (cs: CollectorSlot[]) => Promise.all(cs.map(async (c) => (await rig.collectorHealth(c))?.fleet));
  const describe = (vs: (FleetView | undefined)[]) =>
    vs.map((v) => (v ? `${v.member}: [${v.owned.join(', ')}] sees [${v.members.join(', ')}]${v.error ? ` error ${v.error}` : ''}` : 'no answer')).join('; ');

  /**
   * The running members each see exactly the running ones and own exactly the units rendezvous
   * hashing gives them over that set: every unit owned once, by its target.
   */
  const settled = async (): Promise<FleetView[] | undefined> => {
    const cs = running();
    const names = cs.map((c) => c.host.name).sort();
    const vs = await views(cs);
    if (vs.some((v) => !v || v.error || JSON.stringify([...v.members].sort()) !== JSON.stringify(names))) return undefined;
    const owned = vs.flatMap((v) => v!.owned).sort();
    if (JSON.stringify(owned) !== JSON.stringify(UNITS)) return undefined;
    const target = (m: string) => UNITS.filter((u) => ranked(names, u.replace('/', '.'))[0] === m);
    return vs.every((v) => JSON.stringify([...v!.owned].sort()) === JSON.stringify(target(v!.member))) ? (vs as FleetView[]) : undefined;
  };
  const waitSettled = async (what: string, limitMs: number): Promise<FleetView[]> => {
    const v = await waitFor(what, settled, limitMs, 100).catch(() => undefined);
    if (!v) must(false, `${what}: not within ${limitMs / 1000} s; last: ${describe(await views(running()))}`);
    return v!;
  };
  const ownedBy = (vs: FleetView[]) => vs.map((v) => `${v.member} ${v.owned.length} (standby for ${v.standby})`).join(', ');

  const DEPTH = 20;
  /** The driver's own books, from the steady state on (the simulator's URLs are known once the rig started). */
  let binance: BinanceBookRebuild | undefined;
  let okx: OkxBookRebuild | undefined;

  async function steady(): Promise<string> {
    const venues = rig.venuesFrom(rig.ops);
    const okxUrls = venues.okx_spot ?? venues.okx_derivatives!;
    binance = new BinanceBookRebuild(
      venues.binance_derivatives!.ws_url,
      venues.binance_derivatives!.rest_url,
      COLLECTOR_SYMBOLS.map((s) => s.replace('-', '')),
      DEPTH,
    );
    okx = new OkxBookRebuild(
      okxUrls.ws_url,
      okxUrls.rest_url,
      REBUILT_BOOKS.filter((g) => g.exchange === 'okx').flatMap((g) => COLLECTOR_SYMBOLS.map(g.instrument)),
      DEPTH,
    );
    await binance.start();
    await okx.loadContractSizes();
    await okx.start();
    await waitFor('the driver its own Binance USDⓈ-M and OKX books in sync', () => binance!.synced && okx!.synced, 30_000, 200);
    say('collector fleet: co restarted as a fleet member, co2 and co3 join (fleet.enabled, lease_ttl 6 s, renew 2 s)');
    if (rig.collector.proc) await rig.stopCollector(rig.collector);
    const startAt = Date.now();
    await Promise.all(rig.collectors.map((c) => rig.startCollector(c, true)));
    const vs = await waitSettled('every symbol owned exactly once by its rendezvous target among 3 members', 60_000);
    const settledMs = Date.now() - startAt;
    must(
      vs.every((v) => v.owned.length > 0),
      `a member owns nothing: ${describe(vs)}`,
    );
    seen.steadyAt = Date.now();
    await sleep(5000);
    return `${UNITS.length} (venue, symbol) over co (${rig.co.addr}), co2, co3, each owned by exactly one member (its rendezvous target) ${(settledMs / 1000).toFixed(1)} s after they started: ${ownedBy(vs)}`;
  }

  async function killed(): Promise<string> {
    must(seen.steadyAt !== undefined, 'not run: the fleet never reached its steady state');
    const vs = (await settled()) ?? [];
    must(vs.length === 3, `the fleet is not settled before the kill: ${describe(await views(running()))}`);
    const top = [...vs].sort((a, b) => b.owned.length - a.owned.length)[0]!;
    const victim = rig.collectors.find((c) => c.host.name === top.member)!;
    seen.victim = victim;
    seen.lost = top.owned;
    say(`kill -9 the collector on ${victim.host.name} (owning ${top.owned.join(', ')})`);
    seen.killedAt = Date.now();
    await rig.stopCollector(victim, 'SIGKILL');
    const after = await waitSettled(`${victim.host.name}'s symbols taken over by the others`, 20_000);
    const takeover = Date.now() - seen.killedAt;
    must(takeover < TAKEOVER_LIMIT_MS, `${victim.host.name}'s symbols taken over ${takeover} ms after the kill (limit ${TAKEOVER_LIMIT_MS} ms)`);
    await sleep(3000);
    return `${victim.host.name} (owning ${top.owned.length}: ${top.owned.join(', ')}) killed: its symbols owned by the others ${takeover} ms after the kill: ${ownedBy(after)}`;
  }

  /** Per (exchange, market_type, symbol): rows of `sql` grouped, each key's number array (sorted ascending). */
  const series = async (sql: string): Promise<Map<string, number[]>> => {
    const out = new Map<string, number[]>();
    for (const r of await rig.query<{ u: string; t: string[] }>(sql))
      out.set(
        r.u,
        r.t.map(Number).sort((a, b) => a - b),
      );
    return out;
  };
  /** Distinct local_timestamps of stored book records in [from, to], per instrument. */
  const bookTimes = (from: number, to: number) =>
    series(
      `SELECT concat(exchange, '/', market_type, '/', symbol) AS u, groupUniqArray(toUnixTimestamp64Milli(local_timestamp)) AS t ` +
        `FROM marketprism_hot.orderbooks WHERE local_timestamp BETWEEN ${ms(from)} AND ${ms(to)} GROUP BY u`,
    );
  const worstGap = (times: Map<string, number[]>, from: number, to: number) => {
    let worst = { u: times.size < UNITS.length ? `books of ${UNITS.length - times.size} instruments` : '', gap: times.size < UNITS.length ? to - from : 0 };
    for (const [u, t] of times) {
      // From the window's start to its end: a symbol whose books stopped (or began late) shows it too.
      const edges = [from, ...t, to];
      for (let i = 1; i < edges.length; i++) if (edges[i]! - edges[i - 1]! > worst.gap) worst = { u, gap: edges[i]! - edges[i - 1]! };
    }
    return worst;
  };

  /** Waits until storage holds book and trade records of every instrument up to `to`. */
  const storedUpTo = async (to: number) => {
    let last = '';
    const ok = await waitFor(
      `books and trades of every symbol stored up to ${new Date(to).toISOString()}`,
      async () => {
        const rows = await rig.query<{ n: string }>(
          `SELECT count() AS n FROM (SELECT concat(exchange, '/', market_type, '/', symbol) AS u FROM marketprism_hot.orderbooks WHERE local_timestamp >= ${ms(to)} GROUP BY u) ` +
            `UNION ALL SELECT count() AS n FROM (SELECT concat(exchange, '/', market_type, '/', symbol) AS u FROM marketprism_hot.trades WHERE timestamp >= ${ms(to)} GROUP BY u)`,
        );
        last = rows.map((r) => r.n).join(' books, ') + ' trades';
        return rows.length === 2 && rows.every((r) => Number(r.n) >= UNITS.length);
      },
      90_000,
      1000,
    ).catch(() => false);
    must(
      ok !== false,
      `storage did not hold books and trades of all ${UNITS.length} instruments past ${new Date(to).toISOString()} within 90 s (instruments: ${last})`,
    );
  };

  async function rejoined(): Promise<string> {
    const v = seen.victim;
    must(v !== undefined && seen.killedAt !== undefined, 'not run: no member was killed');
    await sleep(2000);
    say(`the collector on ${v!.host.name} started again`);
    seen.rejoinAt = Date.now();
    await rig.startCollector(v!, true);
    const vs = await waitSettled(`rebalanced over 3 members with ${v!.host.name} back`, 45_000);
    const rebalance = Date.now() - seen.rejoinAt;
    const mine = vs.find((x) => x.member === v!.host.name)!;
    must(mine.owned.length > 0, `${v!.host.name} owns nothing after its rejoin: ${describe(vs)}`);
    await sleep(5000);
    seen.endAt = Date.now();
    await storedUpTo(seen.endAt);
    const across = await bookTimes(seen.rejoinAt, seen.endAt);
    const before = await bookTimes(seen.steadyAt!, seen.killedAt!);
    const kill = await bookTimes(seen.killedAt!, seen.rejoinAt);
    must(
      across.size === UNITS.length,
      `stored books of ${across.size} instruments across the rejoin, expected ${UNITS.length}: ${[...across.keys()].join(', ')}`,
    );
    const w = worstGap(across, seen.rejoinAt, seen.endAt);
    const b = worstGap(before, seen.steadyAt!, seen.killedAt!);
    const k = worstGap(kill, seen.killedAt!, seen.rejoinAt);
    must(w.gap < BOOK_GAP_LIMIT_MS, `${w.u}: ${w.gap} ms between stored book records across the rejoin (limit ${BOOK_GAP_LIMIT_MS} ms)`);
    let records = 0;
    for (const t of across.values()) records += t.length;
    return (
      `${v!.host.name} owns ${mine.owned.join(', ')} again, rebalanced ${rebalance} ms after it started: ${ownedBy(vs)}; ` +
      `stored books across the hand-over (${((seen.endAt - seen.rejoinAt) / 1000).toFixed(1)} s, ${records} distinct records of ${across.size} instruments): ` +
      `largest gap ${w.gap} ms (${w.u}; limit ${BOOK_GAP_LIMIT_MS} ms; ${b.gap} ms at steady state before the kill; across the kill itself, where books wait for the take-over, ${k.gap} ms)`
    );
  }

  async function trades(): Promise<string> {
    must(seen.endAt !== undefined, 'not run: no rejoin');
    const rows = await rig.query<{ u: string; n: string; lo: string; hi: string }>(
      `SELECT concat(exchange, '/', market_type, '/', symbol) AS u, uniqExact(trade_id) AS n, min(toUInt64(trade_id)) AS lo, max(toUInt64(trade_id)) AS hi ` +
        `FROM marketprism_hot.trades WHERE timestamp BETWEEN ${ms(seen.steadyAt!)} AND ${ms(seen.endAt!)} GROUP BY u ORDER BY u`,
    );
    must(rows.length === UNITS.length, `trades of ${rows.length} instruments stored, expected ${UNITS.length}`);
    let ids = 0;
    const gaps: string[] = [];
    for (const r of rows) {
      const missing = BigInt(r.hi) - BigInt(r.lo) + 1n - BigInt(r.n);
      ids += Number(r.n);
      if (missing !== 0n) gaps.push(`${r.u}: ${missing} of ids ${r.lo}..${r.hi} missing`);
      must(Number(r.n) > 20, `${r.u}: only ${r.n} trades stored from the steady state to after the rejoin`);
    }
    must(gaps.length === 0, `trade ids missing: ${gaps.join('; ')}`);
    return (
      `every trade id of every instrument stored from the steady state through the kill of ${seen.victim!.host.name} and its rejoin ` +
      `(${((seen.endAt! - seen.steadyAt!) / 1000).toFixed(1)} s): ${ids} trades of ${rows.length} instruments, none missing (${rows.map((r) => `${r.u} ${r.n}`).join(', ')})`
    );
  }

  async function rebuilt(): Promise<string> {
    must(seen.endAt !== undefined && binance !== undefined && okx !== undefined, 'not run: no rejoin');
    const [bn, ox] = [binance!, okx!];
    bn.stop();
    ox.stop();
    const markets: RebuiltMarket[] = REBUILT_BOOKS.map((g) =>
      g.exchange === 'okx' ? { ...g, rebuild: ox, contractSize: (i) => ox.contractSizes.get(i) } : { ...g, rebuild: bn },
    );
    const rows = await rig.query<StoredBookRow>(storedBooksSql(markets, DEPTH, `local_timestamp BETWEEN ${ms(seen.killedAt!)} AND ${ms(seen.endAt!)}`));
    const problems: string[] = [];
    const counts: string[] = [];
    for (const [g, t] of compareStoredBooks(rows, markets)) {
      const label = `${g.exchange}/${g.marketType}`;
      const bad = t.missing.length + t.differ.length;
      counts.push(
        `${label} ${t.stored} stored: ${t.equal} equal, ${t.inWindow} not comparable${bad ? `, ${t.missing.length} at an id never reached, ${t.differ.length} differing` : ''}`,
      );
      if (t.symbols.size !== COLLECTOR_SYMBOLS.length || t.equal <= 50)
        problems.push(`${label}: only ${t.equal} stored book records of ${t.symbols.size} symbols equal to the rebuild from the kill to after the rejoin`);
      if (t.missing.length)
        problems.push(`${label}: ${t.missing.length} stored book records at an update id the rebuild never reached: ${t.missing.slice(0, 5).join(', ')}`);
      // At most one snapshot-state record per symbol for each time a member began collecting it (the take-over and the hand-back).
      if (t.inWindow > 4 * COLLECTOR_SYMBOLS.length)
        problems.push(`${label}: ${t.inWindow} stored book records at an id inside a push: more than new owners' first books explain`);
      if (t.differ.length)
        problems.push(`${label}: ${t.differ.length} of ${t.stored} stored book records differ from the rebuild: ${t.differ.slice(0, 3).join('; ')}`);
    }
    for (const [name, r] of [
      ['Binance USDⓈ-M', bn],
      ['OKX', ox],
    ] as const)
      if (r.breaks.length) problems.push(`the ${name} rebuild broke (${r.breaks.slice(0, 5).join('; ')}): it cannot vouch for every update id`);
    const checksums =
      `OKX checksums: ${ox.checksums.verified} verified against the rebuilt book, ${ox.checksums.zero} pushes with checksum 0` +
      (ox.checksums.zero > 0 ? " (OKX's protocol since 2026: deprecated, the seqId chain is the check)" : '');
    const summary = `${counts.join('; ')} (not comparable: at an id inside a push, a new owner's first book from its REST snapshot); ${checksums}`;
    must(problems.length === 0, `${problems.join('; ')} [${summary}]`);
    return (
      `stored book records from the kill to after the rejoin (taken over by the others, handed back), each compared with the driver's own rebuild ` +
      `(snapshot and update chain from the simulator) at its last_update_id, top ${DEPTH} levels a side (OKX swaps in contracts as OKX sends them, ` +
      `each stored base quantity = contracts × ctVal): ${summary}`
    );
  }

  return [
    ['a collector fleet of three: every symbol owned exactly once', steady],
    ['kill -9 of one fleet member: its symbols taken over within 10 s', killed],
    ['the killed member started again: load rebalanced, no gap in any book', rejoined],
    ['trades continuous across the kill and the rejoin', trades],
    ['every stored book record after the take-over equals an independent rebuild', rebuilt],
  ];
}
