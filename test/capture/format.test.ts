import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CaptureFormatError, CaptureWriter, readCaptureFiles, type CaptureEvent } from '../../src/capture/format.js';

import { capturePaths as cap } from './captures.js';

async function collect(paths: string[]): Promise<CaptureEvent[]> {
  const out: CaptureEvent[] = [];
  for await (const e of readCaptureFiles(paths)) out.push(e);
  return out;
}
const count = (events: CaptureEvent[]) => events.reduce<Record<string, number>>((acc, e) => ({ ...acc, [e.kind]: (acc[e.kind] ?? 0) + 1 }), {});
const timeOf = (e: CaptureEvent) => ('at' in e ? e.at : undefined);

let dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'capture-test-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  dirs = [];
});

describe('reading the real cryptofeed captures', () => {
  it('reads BINANCE.ws.1.0: one open, 265 frames, first and last times exact', async () => {
    const events = await collect(cap('BINANCE.ws.1.0'));
    expect(count(events)).toEqual({ open: 1, recv: 265 });
    const open = events[0]!;
    expect(open).toMatchObject({ kind: 'open', at: 1633998511.159679 });
    expect(open.kind === 'open' && open.url.startsWith('wss://stream.binance.com:9443/stream?streams=nknusdt@depth@100ms/')).toBe(true);
    const first = events[1]!;
    expect(first.kind).toBe('recv');
    if (first.kind !== 'recv' || open.kind !== 'open') throw new Error('unreachable');
    expect(first.at).toBe(1633998512.0633569);
    expect(first.url).toBe(open.url);
    // TEXT is the whole rest of the line, JSON with ': ' inside, byte for byte.
    expect(first.text).toBe(readFileSync(cap('BINANCE.ws.1.0')[0]!, 'utf8').split('\n')[1]!.slice('1633998512.0633569: '.length));
    expect(JSON.parse(first.text).data.U).toBe(499869750);
    expect(timeOf(events.at(-1)!)).toBe(1633998542.0778618);
  });

  it('merges BINANCE.0, BINANCE.http.0.0 and BINANCE.ws.1.0 in receipt-time order', async () => {
    const events = await collect(cap('BINANCE.0', 'BINANCE.http.0.0', 'BINANCE.ws.1.0'));
    expect(count(events)).toEqual({ http: 5, config: 1, open: 1, recv: 265 });
    expect(events.map((e) => e.kind).slice(0, 4)).toEqual(['http', 'config', 'open', 'recv']);
    const times = events.map(timeOf).filter((t): t is number => t !== undefined);
    expect(times).toEqual([...times].sort((a, b) => a - b));
    // The NKNUSDT snapshot (512.320639) lands after the first diffs, which a live client buffered.
    const snap = events.findIndex((e) => e.kind === 'http' && e.url.includes('symbol=NKNUSDT'));
    expect(events[snap]).toMatchObject({ at: 1633998512.320639 });
    expect(events.slice(0, snap).filter((e) => e.kind === 'recv' && e.text.includes('"s":"NKNUSDT"')).length).toBeGreaterThan(0);
    const body = events[snap]!;
    if (body.kind !== 'http') throw new Error('unreachable');
    expect(JSON.parse(body.body).lastUpdateId).toBe(499869752);
    expect(body.url).toBe('https://api.binance.com/api/v3/depth?symbol=NKNUSDT&limit=1000');
  });

  it('reads OKX.0 and OKX.ws.1.0: sent frames, 25 REST bodies, config in place', async () => {
    const events = await collect(cap('OKX.ws.1.0', 'OKX.0'));
    expect(count(events)).toEqual({ http: 25, config: 1, open: 1, sent: 3, recv: 410 });
    const configAt = events.findIndex((e) => e.kind === 'config');
    expect(events[configAt - 1]).toMatchObject({ kind: 'http', at: 1652459224.4735434 });
    expect(events[configAt + 1]).toMatchObject({ kind: 'open', url: 'wss://ws.okx.com:8443/ws/v5/public', at: 1652459224.5300605 });
    const sent = events.filter((e) => e.kind === 'sent');
    expect(sent.every((e) => e.kind === 'sent' && JSON.parse(e.text).op === 'subscribe')).toBe(true);
    expect(timeOf(events.at(-1)!)).toBe(1652459236.3416445);
  });

  it('reads a multi-megabyte file without holding it: the 1.8 MB exchangeInfo line arrives whole', async () => {
    const events = await collect(cap('BINANCE.0'));
    const info = events[0]!;
    expect(info.kind).toBe('http');
    if (info.kind !== 'http') throw new Error('unreachable');
    expect(info.body.length).toBe(1860873 - 'https://api.binance.com/api/v3/exchangeInfo -> 1633998511.132921: '.length);
    expect(JSON.parse(info.body).symbols.length).toBeGreaterThan(1000);
  });
});

describe('CaptureWriter', () => {
  it('round-trips through the reader, with cryptofeed file names and text', async () => {
    const dir = tempDir();
    const w = new CaptureWriter(dir, 'BINANCE');
    const a = 'wss://stream.binance.com:9443/stream?streams=btcusdt@depth@100ms';
    const b = 'wss://fstream.binance.com/public/stream?streams=btcusdt@depth@100ms';
    w.config('{"l2_book":["BTC-USDT"]}');
    w.open(a, 1700000000);
    w.open(b, 1700000000.25);
    w.sent(a, 1700000000.5, '{"method":"SUBSCRIBE","params":["btcusdt@aggTrade"],"id":1}');
    w.recv(b, 1700000001.0000002, '{"stream":"x","data":{"note":"a: b -> c <- d"}}');
    w.http('https://api.binance.com/api/v3/depth?symbol=BTCUSDT&limit=1000', 1700000001.5, '{"lastUpdateId":1,"bids":[],"asks":[]}');
    w.recv(a, 1700000002, '{"result":null,"id":1}');
    w.open(a, 1700000003); // reconnect: same file
    w.recv(a, 1700000003.1, '1700000003.1: looks like a line');
    await w.close();

    expect(readdirSync(dir).sort()).toEqual(['BINANCE.0', 'BINANCE.http.0.0', 'BINANCE.ws.1.0', 'BINANCE.ws.2.0']);
    expect(readFileSync(join(dir, 'BINANCE.ws.1.0'), 'utf8').split('\n')[0]).toBe(`${a} <-> 1700000000.0`);
    const events = await collect(readdirSync(dir).map((n) => join(dir, n)));
    expect(events).toEqual([
      { kind: 'config', text: '{"l2_book":["BTC-USDT"]}' },
      { kind: 'open', url: a, at: 1700000000 },
      { kind: 'open', url: b, at: 1700000000.25 },
      { kind: 'sent', url: a, at: 1700000000.5, text: '{"method":"SUBSCRIBE","params":["btcusdt@aggTrade"],"id":1}' },
      { kind: 'recv', url: b, at: 1700000001.0000002, text: '{"stream":"x","data":{"note":"a: b -> c <- d"}}' },
      { kind: 'http', url: 'https://api.binance.com/api/v3/depth?symbol=BTCUSDT&limit=1000', at: 1700000001.5, body: '{"lastUpdateId":1,"bids":[],"asks":[]}' },
      { kind: 'recv', url: a, at: 1700000002, text: '{"result":null,"id":1}' },
      { kind: 'open', url: a, at: 1700000003 },
      { kind: 'recv', url: a, at: 1700000003.1, text: '1700000003.1: looks like a line' },
    ]);
  });

  it('rewrites a real capture byte for byte (apart from blank lines)', async () => {
    const dir = tempDir();
    const w = new CaptureWriter(dir, 'OKX');
    for await (const e of readCaptureFiles(cap('OKX.ws.1.0'))) {
      if (e.kind === 'open') w.open(e.url, e.at);
      else if (e.kind === 'sent') w.sent(e.url, e.at, e.text);
      else if (e.kind === 'recv') w.recv(e.url, e.at, e.text);
    }
    await w.close();
    expect(readFileSync(join(dir, 'OKX.ws.1.0'), 'utf8')).toBe(readFileSync(cap('OKX.ws.1.0')[0]!, 'utf8'));
  });

  it('rotates files past rotateBytes and the reader stitches them back, keeping the URL', async () => {
    const dir = tempDir();
    const w = new CaptureWriter(dir, 'OKX', { rotateBytes: 200 });
    const url = 'wss://ws.okx.com:8443/ws/v5/public';
    w.open(url, 1);
    for (let i = 0; i < 20; i++) w.recv(url, 2 + i, JSON.stringify({ i, pad: 'x'.repeat(30) }));
    await w.close();
    const names = readdirSync(dir).sort();
    expect(names.length).toBeGreaterThan(2);
    expect(names.every((n) => n.startsWith('OKX.ws.1.'))).toBe(true);
    const events = await collect(names.reverse().map((n) => join(dir, n)));
    expect(events.length).toBe(21);
    expect(events.slice(1).every((e) => e.kind === 'recv' && e.url === url)).toBe(true);
    expect(events.slice(1).map((e) => (e.kind === 'recv' ? JSON.parse(e.text).i : -1))).toEqual([...Array(20).keys()]);
  });

  it('keeps a multi-line body on one line, as the same JSON', async () => {
    const dir = tempDir();
    const w = new CaptureWriter(dir, 'BINANCE');
    w.http('https://fapi.binance.com/fapi/v1/openInterest?symbol=BTCUSDT', 5, '{\n  "openInterest": "1.5",\r\n  "symbol": "BTCUSDT"\n}');
    await w.close();
    const [e] = await collect([join(dir, 'BINANCE.http.0.0')]);
    expect(e?.kind === 'http' && JSON.parse(e.body)).toEqual({ openInterest: '1.5', symbol: 'BTCUSDT' });
  });

  it('refuses frames of a URL never opened, and a directory holding an earlier session', async () => {
    const dir = tempDir();
    const w = new CaptureWriter(dir, 'OKX');
    expect(() => w.recv('wss://x/ws', 1, '{}')).toThrow(/no open\(\)/);
    w.open('wss://x/ws', 1);
    await w.close();
    expect(() => new CaptureWriter(dir, 'OKX')).toThrow(/already holds OKX\.ws\.1\.0/);
    expect(() => w.recv('wss://x/ws', 2, '{}')).toThrow(/closed/);
  });
});

describe('frames without a connection', () => {
  it('gives a bare `T: TEXT` line (cryptofeed HTTP polls write those) the URL of no connection', async () => {
    const dir = tempDir();
    const file = join(dir, 'OKX.http.2.0');
    writeFileSync(file, '1700000000.5: {"code":"0"}\nhttps://www.okx.com/api/v5/x -> 1700000001.5: {"code":"1"}\n');
    expect(await collect([file])).toEqual([
      { kind: 'recv', url: '', at: 1700000000.5, text: '{"code":"0"}' },
      { kind: 'http', url: 'https://www.okx.com/api/v5/x', at: 1700000001.5, body: '{"code":"1"}' },
    ]);
  });
});

describe('malformed captures', () => {
  it('names the file and line number', async () => {
    const dir = tempDir();
    const file = join(dir, 'BAD.ws.1.0');
    writeFileSync(file, 'wss://x/ws <-> 1.5\n2.5: {"ok":1}\n\nthis is not a capture line\n');
    const err = await collect([file]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CaptureFormatError);
    expect((err as CaptureFormatError).message).toMatch(new RegExp(`^${file.replace(/[.]/g, '\\.')}:4: not a capture line`));
    expect((err as CaptureFormatError).line).toBe(4);
  });

  it('rejects an open line with trailing text', async () => {
    const dir = tempDir();
    const file = join(dir, 'BAD.0');
    writeFileSync(file, 'wss://x/ws <-> 1.5: {}\n');
    await expect(collect([file])).rejects.toThrow(`${file}:1: not a capture line`);
  });
});
