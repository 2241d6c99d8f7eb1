/** The compiled `marketprism-collector` commands as users run them (needs `npm run build`). */
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { startFakeBinance } from './fake-binance.js';
import { replay } from '../../src/collector/replay.js';
import type { MarketRecord } from '../../src/core/model.js';
import { capturePaths } from '../capture/captures.js';

const run = (...args: string[]) =>
  promisify(execFile)(process.execPath, ['bin/marketprism-collector.js', ...args], { maxBuffer: 256 * 1024 * 1024 }).then(
    (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
  );

describe('marketprism-collector replay (CLI)', () => {
  it('prints one JSON record per line, the same as the in-process replay, and a summary on stderr', async () => {
    const files = capturePaths('OKX.0', 'OKX.ws.1.0');
    const r = await run('replay', '--venue', 'okx', ...files);
    expect(r.code).toBe(0);
    const lines = r.stdout
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    const expected: MarketRecord[] = [];
    await replay({ venue: 'okx', files }, (x) => void expected.push(x));
    expect(lines).toEqual(JSON.parse(JSON.stringify(expected)));
    expect(lines.filter((l) => l.data_type === 'orderbook')).toHaveLength(290);
    expect(JSON.parse(r.stderr.trim().split('\n').at(-1)!)).toMatchObject({ replay: 'okx', records: { orderbook: 290, trade: 74 } });
  });

  it("records a live session with `record` that `replay` turns into the venue's true books", async () => {
    const fake = await startFakeBinance();
    try {
      const dir = mkdtempSync(join(tmpdir(), 'mp-record-'));
      const config = join(dir, 'collector.yaml');
      writeFileSync(config, `venues:\n  binance_spot:\n    symbols: [BTC-USDT]\n    ws_url: ${fake.wsUrl}\n    rest_url: ${fake.restUrl}\nlog_level: warn\n`);
      const out = join(dir, 'capture');
      const rec = await run('record', '--venue', 'binance-spot', '--out', out, '--config', config, '--duration', '2s');
      expect(rec.code, rec.stderr).toBe(0);
      const files = readdirSync(out).sort();
      expect(files).toEqual(['BINANCE.0', 'BINANCE.http.0.0', 'BINANCE.ws.1.0']);
      const r = await run('replay', '--venue', 'binance-spot', '--depth', '1000', ...files.map((f) => join(out, f)));
      expect(r.code).toBe(0);
      const books = r.stdout
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l))
        .filter((x) => x.data_type === 'orderbook');
      expect(books.length).toBeGreaterThan(50);
      for (const b of books) {
        const truth = fake.history.get(Number(b.last_update_id))!;
        expect({ bids: b.bids, asks: b.asks }).toEqual(truth);
      }
      expect(JSON.parse(r.stderr.trim().split('\n').at(-1)!).problems).toEqual({});
    } finally {
      await fake.close();
    }
  });

  it('rejects bad arguments with usage and exit code 2', async () => {
    for (const args of [
      ['replay'],
      ['replay', '--venue', 'kraken', 'x'],
      ['replay', '--venue', 'okx'],
      ['replay', '--venue', 'okx', '--depth', 'ten', 'x'],
      ['record', '--venue', 'okx'],
    ]) {
      const r = await run(...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toContain('usage: marketprism-collector');
    }
  });
});
