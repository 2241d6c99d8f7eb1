/**
 * What the collector counted per interval, kept in JetStream (MARKETPRISM_COUNTS) and summed
 * per range by `marketprism integrity`: a real collector (in this process) reading the
 * simulator, whose dropped diff makes a sequence gap and a resync; a real nats-server, the
 * storage daemon and chDB (test/cli/host.ts); the CLI as a process.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IntegrityReport } from '../../src/cli/integrity.js';
import { loadCollectorConfig } from '../../src/collector/config.js';
import { startCollector } from '../../src/collector/service.js';
import type { Running } from '../../src/core/daemon.js';
import { startExchangeSim, type ExchangeSim } from '../../src/sim/sim.js';
import { freePort, waitFor } from '../../src/testing/ports.js';
import { cli } from '../helpers/cli.js';
import { quietLog } from '../helpers/storage-env.js';
import { testHost, type TestHost } from './host.js';

const iso = (ms: number) => new Date(ms).toISOString();

describe('integrity: what the collector counted in the range', () => {
  let host: TestHost;
  let sim: ExchangeSim;
  let collector: Running | undefined;
  let startedAt: number;
  let metricsPort: number;
  beforeAll(async () => {
    host = await testHost();
    sim = await startExchangeSim({ venue: 'binance-spot', source: { generate: { seed: 11, symbols: ['BTC-USDT'], ratePerSec: 20, periodicMs: 200 } } });
    metricsPort = await freePort();
    const file = join(host.configDir, 'collector.yaml');
    writeFileSync(
      file,
      [
        `nats: { servers: ["${host.env.nats.url}"] }`,
        `health: { host: 127.0.0.1, port: ${await freePort()} }`,
        `metrics: { host: 127.0.0.1, port: ${metricsPort} }`,
        'counts: { interval: 1s }',
        'fleet: { member_id: counts-test }',
        'venues:',
        '  binance_spot:',
        '    symbols: [BTC-USDT]',
        '    data_types: [orderbook]',
        `    ws_url: ${sim.wsUrl}`,
        `    rest_url: ${sim.restUrl}`,
        'log_level: warn',
      ].join('\n'),
    );
    startedAt = Date.now();
    collector = await startCollector(loadCollectorConfig(file), quietLog('collector'));
  }, 60_000);
  afterAll(async () => {
    await collector?.stop();
    await sim?.stop();
    await host?.close();
  });

  const integrity = async (from: number, to: number) => {
    const r = await cli('integrity', '--config-dir', host.configDir, '--json', '--from', iso(from), '--to', iso(to));
    return { code: r.code, r: JSON.parse(r.out) as IntegrityReport, out: r.out };
  };
  const counted = (r: IntegrityReport, section: string) =>
    Object.fromEntries((r.counted?.counted ?? []).filter((c) => c.section === section).map((c) => [`${c.scope}:${c.key}`, c.count]));

  it('a dropped diff: the gap and the resync are counted in the range, problems (exit 1)', async () => {
    const metrics = async () => (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    await waitFor('books published', async () => /records_published_total\{[^}]*data_type="orderbook"[^}]*\} [1-9]/.test(await metrics()), 30_000);
    sim.inject({ kind: 'drop-diff' });
    await waitFor('the resync', async () => /book_resyncs_total\{[^}]*reason="gap"[^}]*\} 1/.test(await metrics()), 30_000);
    // Two intervals later the one holding the resync was published.
    let last!: Awaited<ReturnType<typeof integrity>>;
    await waitFor(
      'the resync in the counts stream',
      async () => {
        last = await integrity(startedAt - 60_000, Date.now() + 1000);
        return counted(last.r, 'resyncs')['binance_spot:gap'] === 1;
      },
      30_000,
    );
    const { code, r, out } = last;
    expect(r.counted_error, out).toBeUndefined();
    expect(r.counted!.stream).toBe('MARKETPRISM_COUNTS');
    expect(r.counted!.sources).toEqual(['collector/counts-test']);
    expect(counted(r, 'problems')).toEqual({ 'binance_spot:gap': 1 });
    expect(counted(r, 'records_out')['binance_spot:orderbook']).toBeGreaterThan(0);
    expect(counted(r, 'published')['*:orderbook']).toBeGreaterThan(0);
    expect(r.problems.filter((p) => p.kind === 'resync' || p.kind === 'sequence').map((p) => [p.kind, p.venue, p.count])).toEqual([
      ['sequence', 'binance_spot', 1],
      ['resync', 'binance_spot', 1],
    ]);
    expect(code).toBe(1);
    // Per range: the collector's since-start counters are not what is reported.
    expect(r.counters.filter((c) => c.module === 'collector')).toEqual([]);
    const text = await cli('integrity', '--config-dir', host.configDir, '--from', iso(startedAt - 60_000), '--to', iso(Date.now() + 1000));
    expect(text.out).toContain('counted in the range (MARKETPRISM_COUNTS:');
    expect(text.out).toMatch(/^ {2}collector {2}binance_spot {2}resyncs {2}gap {2}1$/m);
    expect(text.out).toContain('resync: binance_spot: 1 book resyncs (gap) in the range');
  }, 90_000);

  it('a range before the collector started: nothing counted', async () => {
    const { r, out } = await integrity(startedAt - 3_600_000, startedAt - 60_000);
    expect(r.counted_error, out).toBeUndefined();
    expect(r.counted).toMatchObject({ messages: 0, sources: [], edges: [], counted: [] });
    expect(r.problems.filter((p) => p.kind === 'resync' || p.kind === 'sequence')).toEqual([]);
  });

  it('a range whose edges cut intervals says so, and counts whole intervals only', async () => {
    // Messages are sent only for intervals in which something changed: find three consecutive
    // 1 s intervals that each have one, and cut the range half-way through the first and the last.
    const jsm = await jetstreamManager(host.env.nc);
    const consecutive = async () => {
      const last = (await jsm.streams.info('MARKETPRISM_COUNTS')).state.last_seq;
      const starts = new Set<number>();
      for (let seq = 1; seq <= last; seq++) {
        const m = await jsm.streams.getMessage('MARKETPRISM_COUNTS', { seq }).catch(() => undefined);
        const j = m?.json<{ from: string; to: string }>();
        if (j && Date.parse(j.to) - Date.parse(j.from) === 1000) starts.add(Date.parse(j.from));
      }
      return [...starts].sort((x, y) => x - y).find((t) => starts.has(t + 1000) && starts.has(t + 2000));
    };
    const a = await waitFor('three consecutive 1 s intervals with counts in the stream', consecutive, 20_000, 500);
    const mid = a + 500;
    const { r } = await integrity(mid, mid + 2000);
    expect(r.counted!.edges).toEqual([
      `1 interval(s) starting before ${iso(mid)} not counted (the range's start is not a whole interval)`,
      `1 interval(s) ending after ${iso(mid + 2000)} not counted (the range's end is not a whole interval)`,
    ]);
    expect(r.counted!.messages).toBe(1); // [mid + 500, mid + 1500)
  });

  it('without the counts stream: the since-start counters stand in, and it says so', async () => {
    const jsm = await jetstreamManager(host.env.nc);
    await jsm.streams.delete('MARKETPRISM_COUNTS');
    const { code, r, out } = await integrity(startedAt - 60_000, Date.now());
    expect(r.counted).toBeUndefined();
    expect(r.counted_error).toMatch(
      /^cannot read what the daemons counted in the range: .*stream not found.*the collector's counters since it started stand in$/i,
    );
    expect(r.counters.find((c) => c.metric === 'marketprism_collector_book_resyncs_total' && c.labels.reason === 'gap')?.value, out).toBe(1);
    expect(r.problems.find((p) => p.kind === 'resync')?.detail).toBe('1 book resyncs (gap) since the collector started');
    expect(code).toBe(1);
  });
});
