/** A recording AdapterContext (environment and sink in one) for driving one adapter by hand in tests. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AdapterContext, Problem, ProblemDetail, SnapshotRequest, VenueAdapter } from '../../src/collector/adapter.js';
import { BookEmitter } from '../../src/collector/book/emitter.js';
import { protocolOf, type VenueKind } from '../../src/collector/venues/registry.js';
import type { MarketRecord, OrderbookRecord } from '../../src/core/model.js';
import type { InstrumentInfo } from '../../src/collector/instruments/types.js';

export const SAMPLES = process.env.MARKETPRISM_SAMPLES ?? '/work/shared/reference/protocol-samples';

/** A protocol sample as text, e.g. sample('okx', 'ws-trades.live-2025-12-08.BTC-USDT-SWAP.json'). */
export function sample(venue: string, file: string): string {
  return readFileSync(join(SAMPLES, venue, file), 'utf8');
}

/** A sample re-serialised compactly with `edit` applied (to craft sequences from real frames). */
export function edited(venue: string, file: string, edit: (m: any) => void): string {
  const m = JSON.parse(sample(venue, file));
  edit(m);
  return JSON.stringify(m);
}

/**
 * Contract metadata as OKX's instruments endpoint states it (the values below are the
 * real rows of the 2022 capture OKX.0: ctVal with ctMult 1).
 */
export function okxContract(instId: string, ctVal: string, linear: boolean): InstrumentInfo {
  const [base = '', quote = ''] = instId.split('-');
  return {
    exchange: 'okx',
    wire: instId,
    symbol: `${base}-${quote}`,
    market_type: instId.endsWith('-SWAP') ? 'perpetual' : 'futures',
    base,
    quote,
    settle: linear ? quote : base,
    quantity_unit: 'contracts',
    contract_size: ctVal,
    linear,
    expiry: undefined,
    tick_size: undefined,
    lot_size: undefined,
    active: true,
  };
}

export const OKX_CONTRACTS: readonly InstrumentInfo[] = [
  okxContract('BTC-USDT-SWAP', '0.01', true),
  okxContract('ETH-USDT-SWAP', '0.1', true),
  okxContract('LTC-USDT-SWAP', '1', true),
  okxContract('IOST-USDT-SWAP', '1000', true),
  okxContract('NEAR-USDT-SWAP', '10', true),
  okxContract('BTC-USD-SWAP', '100', false),
  okxContract('UNI-USD-SWAP', '10', false),
  okxContract('BTC-USD-220527', '100', false),
];

export class TestContext implements AdapterContext {
  time = 1_700_000_000_000;
  readonly records: MarketRecord[] = [];
  readonly snapshots: SnapshotRequest[] = [];
  readonly sent: { conn: string; text: string }[] = [];
  readonly problems: { kind: Problem; symbol?: string; message: string }[] = [];
  readonly resyncs: { symbol: string; reason: string }[] = [];
  /** Instrument metadata by wire name (tests add what a venue's instruments endpoint would say). */
  readonly instruments = new Map<string, InstrumentInfo>();
  private readonly emitter: BookEmitter;

  constructor(publishIntervalMs = 0) {
    this.emitter = new BookEmitter(publishIntervalMs, (r) => this.records.push(r));
    for (const i of OKX_CONTRACTS) this.instruments.set(i.wire, i);
  }

  instrument(wire: string): InstrumentInfo | undefined {
    return this.instruments.get(wire);
  }
  now(): number {
    return this.time;
  }
  record(r: MarketRecord): void {
    this.records.push(r);
  }
  bookChanged(key: string, build: () => OrderbookRecord | undefined): void {
    this.emitter.changed(key, build, this.time);
  }
  tick(): void {
    this.emitter.tick(this.time);
  }
  requestSnapshot(req: SnapshotRequest): void {
    this.snapshots.push(req);
  }
  send(conn: string, text: string): void {
    this.sent.push({ conn, text });
  }
  problem(kind: Problem, detail: ProblemDetail): void {
    this.problems.push({ kind, ...detail });
  }
  resync(symbol: string, reason: string): void {
    this.resyncs.push({ symbol, reason });
  }

  books(): OrderbookRecord[] {
    return this.records.filter((r): r is OrderbookRecord => r.data_type === 'orderbook');
  }
  take(): MarketRecord[] {
    return this.records.splice(0);
  }
}

export function adapterFor(kind: VenueKind, depth = 400, publishIntervalMs = 0): { ctx: TestContext; adapter: VenueAdapter } {
  const ctx = new TestContext(publishIntervalMs);
  const restUrl = protocolOf(kind).defaultRestUrl;
  const adapter = protocolOf(kind).createAdapter(ctx, { depth, restUrl, snapshotLimit: 1000, tickerIntervalMs: 1000 });
  return { ctx, adapter };
}
