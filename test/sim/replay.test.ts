import { describe, expect, it } from 'vitest';
import { readCaptureFiles, type CaptureEvent } from '../../src/capture/format.js';
import { capturePaths } from '../capture/captures.js';
import { sleep } from './client.js';
import { simHarness } from './harness.js';

const BINANCE = capturePaths('BINANCE.0', 'BINANCE.http.0.0', 'BINANCE.ws.1.0');
const OKX = capturePaths('OKX.0', 'OKX.ws.1.0');

async function events(paths: string[]): Promise<CaptureEvent[]> {
  const out: CaptureEvent[] = [];
  for await (const e of readCaptureFiles(paths)) out.push(e);
  return out;
}
const recvTexts = (list: CaptureEvent[]) => list.flatMap((e) => (e.kind === 'recv' ? [e.text] : []));

const { start, client } = simHarness();

/** The path and query the recording client connected to (the capture's `URL <-> T`). */
async function recordedStreamPath(): Promise<string> {
  const open = (await events(capturePaths('BINANCE.ws.1.0'))).find((e) => e.kind === 'open')!;
  const u = new URL((open as { url: string }).url);
  return u.pathname + u.search;
}

describe('replaying the real Binance spot capture', () => {
  it('serves a plain ws client exactly the recorded frames, in order', async () => {
    const recorded = recvTexts(await events(BINANCE));
    expect(recorded).toHaveLength(265);
    const sim = await start({ venue: 'binance-spot', source: { capture: BINANCE, speed: 0, holdForSnapshots: false } });
    const c = await client(sim.wsUrl + (await recordedStreamPath()));
    await sim.replayDone();
    await c.until('all frames', (m) => m.length >= recorded.length);
    expect(c.messages).toEqual(recorded);
    expect(sim.stats.replayFrames).toBe(265);
  });

  it('delivers only the subscribed streams, unwrapped on a raw /ws connection', async () => {
    const recorded = recvTexts(await events(BINANCE)).filter((t) => t.startsWith('{"stream":"lrcbtc@depth@100ms"'));
    const sim = await start({ venue: 'binance-spot', source: { capture: BINANCE, speed: 0, holdForSnapshots: false } });
    const c = await client(`${sim.wsUrl}/ws/lrcbtc@depth@100ms`);
    await sim.replayDone();
    await c.until('lrcbtc frames', (m) => m.length >= recorded.length);
    expect(c.messages.map((m) => JSON.parse(m) as unknown)).toEqual(recorded.map((t) => (JSON.parse(t) as { data: unknown }).data));
    // Unwrapped by slicing, not re-serialising: the text is the recorded bytes.
    expect(recorded[0]!.includes(c.messages[0]!)).toBe(true);
  });

  it('holds the stream at a recorded snapshot of a subscribed book until the client fetches it', async () => {
    const all = await events(BINANCE);
    const snapAt = all.find((e) => e.kind === 'http' && e.url.includes('symbol=NKNUSDT'))!;
    const before = all.filter((e) => e.kind === 'recv' && e.at < (snapAt as { at: number }).at).length;
    expect(before).toBeGreaterThan(0);
    const sim = await start({ venue: 'binance-spot', source: { capture: BINANCE, speed: 0 } });
    const c = await client(`${sim.wsUrl}/stream?streams=nknusdt@depth@100ms/nknusdt@aggTrade`);
    await c.until('the replay to reach the snapshot', () => sim.stats.replayFrames >= before);
    await sleep(300);
    // Held: every frame the live client had before the snapshot, and nothing after it.
    expect(sim.stats.replayFrames).toBe(before);
    expect(c.messages.length).toBeGreaterThan(0);
    expect(c.messages.every((m) => m.startsWith('{"stream":"nknusdt@'))).toBe(true);
    const res = await fetch(`${sim.restUrl}/api/v3/depth?symbol=NKNUSDT&limit=1000`);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe((snapAt as { body: string }).body);
    await sim.replayDone();
    expect(sim.stats.replayFrames).toBe(265);
    // Each recorded snapshot is handed out once; there is no third one for NKNUSDT.
    expect((await fetch(`${sim.restUrl}/api/v3/depth?symbol=NKNUSDT&limit=1000`)).status).toBe(404);
  });

  it('fast-forwards to a snapshot asked for early, so frames received before it come first', async () => {
    const all = await events(BINANCE);
    const snap = all.find((e) => e.kind === 'http' && e.url.includes('symbol=LRCBTC')) as { at: number; body: string };
    const before = all.filter((e) => e.kind === 'recv' && e.at < snap.at).length;
    const sim = await start({ venue: 'binance-spot', source: { capture: BINANCE, speed: 1 } });
    const c = await client(sim.wsUrl + (await recordedStreamPath()));
    const started = Date.now();
    const res = await fetch(`${sim.restUrl}/api/v3/depth?symbol=LRCBTC&limit=5000`);
    const framesAtAnswer = sim.stats.replayFrames;
    expect(await res.text()).toBe(snap.body);
    // Recorded 5.7 s after the connection opened; answered at once, after the earlier frames.
    expect(Date.now() - started).toBeLessThan(2000);
    expect(framesAtAnswer).toBeGreaterThanOrEqual(before);
    await c.until('frames before the snapshot', (m) => m.length >= before);
  });

  it('paces frames by their receipt times at the given speed', async () => {
    const all = await events(BINANCE);
    const recv = all.filter((e): e is Extract<CaptureEvent, { kind: 'recv' }> => e.kind === 'recv');
    const open = all.find((e) => e.kind === 'open') as { at: number };
    const tenth = recv[9]!.at - open.at; // seconds after the open, as recorded
    const sim = await start({ venue: 'binance-spot', source: { capture: BINANCE, speed: 4, holdForSnapshots: false } });
    const t0 = Date.now();
    const c = await client(sim.wsUrl + (await recordedStreamPath()));
    await c.until('10 frames', (m) => m.length >= 10);
    const took = (Date.now() - t0) / 1000;
    expect(took).toBeGreaterThan(tenth / 4 - 0.05);
    expect(took).toBeLessThan(tenth / 4 + 0.5);
    expect(c.messages.length).toBeLessThan(recv.length);
  });

  it('serves recorded reference bodies (exchangeInfo) whenever asked', async () => {
    const info = (await events(capturePaths('BINANCE.0')))[0] as { body: string };
    const sim = await start({ venue: 'binance-spot', source: { capture: BINANCE, speed: 0 } });
    for (let i = 0; i < 2; i++) {
      const res = await fetch(`${sim.restUrl}/api/v3/exchangeInfo`);
      expect(res.status).toBe(200);
      expect((await res.text()).length).toBe(info.body.length);
    }
    expect((await fetch(`${sim.restUrl}/api/v3/depth?symbol=BTCUSDT`)).status).toBe(404);
  });
});

describe('replaying the real OKX capture', () => {
  it('answers subscribe ops itself and serves the recorded pushes of the subscribed channels', async () => {
    const all = await events(OKX);
    const recorded = recvTexts(all).filter((t) => !t.startsWith('{"event"'));
    const lastSub = all.filter((e) => e.kind === 'sent').at(-1) as { text: string };
    const args = (JSON.parse(lastSub.text) as { args: unknown[] }).args;
    const sim = await start({ venue: 'okx', source: { capture: OKX, speed: 0 } });
    expect(sim.wsUrl).toMatch(/\/ws\/v5\/public$/);
    const c = await client(sim.wsUrl);
    c.send({ op: 'subscribe', args });
    await sim.replayDone();
    await c.until('all pushes', (m) => m.filter((x) => !x.startsWith('{"event"')).length >= recorded.length);
    const acks = c.json<{ event?: string }>().filter((m) => m.event === 'subscribe');
    expect(acks).toHaveLength(args.length);
    expect(c.messages.filter((m) => !m.startsWith('{"event"'))).toEqual(recorded);
  });

  it('rejects an instrument the recording never carried with error 60018', async () => {
    const sim = await start({ venue: 'okx', source: { capture: OKX, speed: 0 } });
    const c = await client(sim.wsUrl);
    c.send({ op: 'subscribe', args: [{ channel: 'books', instId: 'DOGE-USDT' }] });
    await c.until('error', (m) => m.length >= 1);
    expect(c.json()[0]).toMatchObject({ event: 'error', code: '60018' });
  });
});
