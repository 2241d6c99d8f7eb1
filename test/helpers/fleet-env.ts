/** Collector fleet members as child processes, and what the fleet tests read back (test/collector/fleet*.test.ts). */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DeliverPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { ranked } from '../../src/collector/fleet/rendezvous.js';
import { splitMessage } from '../../src/core/batch.js';
import type { MarketRecord } from '../../src/core/model.js';
import type { ExchangeSim } from '../../src/sim/sim.js';
import { spawnDaemon, type DaemonProcess } from './daemons.js';

/** A member's `fleet` in /health. */
export interface FleetHealth {
  member: string;
  members: string[];
  owned: string[];
  standby: number;
  error?: string;
}

export interface FleetMemberSpec {
  dir: string;
  member: string;
  /** Health and metrics port. */
  port: number;
  natsUrl: string;
  passwordFile: string;
  sim: ExchangeSim;
  symbols: string[];
  intervalMs: number;
}

/** One fleet member on the Binance spot simulator (orderbook and trade), lease_ttl 6 s, renew 2 s. */
export function startFleetMember(s: FleetMemberSpec): DaemonProcess {
  const file = join(s.dir, `${s.member}.yaml`);
  writeFileSync(
    file,
    [
      'nats:',
      `  servers: ["${s.natsUrl}"]`,
      `  password_file: ${s.passwordFile}`,
      `health: { host: 127.0.0.1, port: ${s.port} }`,
      `metrics: { host: 127.0.0.1, port: ${s.port} }`,
      `orderbook: { depth: 20, publish_interval_ms: ${s.intervalMs} }`,
      `fleet: { enabled: true, member_id: ${s.member}, lease_ttl: 6s, renew: 2s }`,
      'venues:',
      '  binance_spot:',
      `    symbols: [${s.symbols.join(', ')}]`,
      '    data_types: [orderbook, trade]',
      `    ws_url: ${s.sim.wsUrl}`,
      `    rest_url: ${s.sim.restUrl}`,
      'log_level: info',
    ].join('\n'),
  );
  return spawnDaemon('collector', ['run', '--config', file]);
}

export async function fleetHealth(port: number): Promise<FleetHealth | undefined> {
  try {
    const body = (await (await fetch(`http://127.0.0.1:${port}/health`)).json()) as { fleet?: FleetHealth };
    return body.fleet;
  } catch {
    return undefined;
  }
}

/**
 * The views of `members` if each sees exactly them and owns exactly the units rendezvous
 * hashing gives it over them (every unit owned exactly once); otherwise undefined.
 */
export async function settledFleet(members: Map<string, number>, units: string[]): Promise<FleetHealth[] | undefined> {
  const names = [...members.keys()].sort();
  const views = await Promise.all(names.map((m) => fleetHealth(members.get(m)!)));
  if (views.some((v) => JSON.stringify(v?.members) !== JSON.stringify(names))) return undefined;
  const owned = views.flatMap((v) => v!.owned).sort();
  if (JSON.stringify(owned) !== JSON.stringify(units)) return undefined;
  const expected = (m: string) => units.filter((u) => ranked(names, u.replace('/', '.'))[0] === m);
  return views.every((v) => JSON.stringify(v!.owned) === JSON.stringify(expected(v!.member))) ? (views as FleetHealth[]) : undefined;
}

/** Every record in MARKET_DATA, from an ordered consumer (batched messages split). */
export async function readAllRecords(nc: NatsConnection): Promise<MarketRecord[]> {
  const js = jetstream(nc);
  const last = (await (await jetstreamManager(nc)).streams.info('MARKET_DATA')).state.last_seq;
  const consumer = await js.consumers.get('MARKET_DATA', { deliver_policy: DeliverPolicy.All });
  const out: MarketRecord[] = [];
  const messages = await consumer.consume();
  for await (const m of messages) {
    const texts = splitMessage(m.string(), m.headers);
    if (typeof texts === 'string') throw new Error(texts);
    for (const t of texts) out.push(JSON.parse(t) as MarketRecord);
    if (m.seq >= last) break;
  }
  await messages.close();
  return out;
}

/** Per symbol: its distinct trade ids stored, and how many are missing between the first and the last. */
export function tradeIdCoverage(records: MarketRecord[], symbols: string[]): Map<string, { ids: number; first: bigint; last: bigint; missing: bigint }> {
  const trades = new Map<string, Set<bigint>>();
  for (const r of records) if (r.data_type === 'trade') (trades.get(r.symbol) ?? trades.set(r.symbol, new Set()).get(r.symbol)!).add(BigInt(r.trade_id));
  const out = new Map<string, { ids: number; first: bigint; last: bigint; missing: bigint }>();
  for (const s of symbols) {
    const ids = [...(trades.get(s) ?? [])].sort((a, b) => (a < b ? -1 : 1));
    const first = ids[0] ?? 0n;
    const last = ids.at(-1) ?? -1n;
    out.set(s, { ids: ids.length, first, last, missing: last - first + 1n - BigInt(ids.length) });
  }
  return out;
}
