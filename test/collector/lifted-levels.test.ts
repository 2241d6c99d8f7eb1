/**
 * The level-list scanner (mappers/lifted-levels): the frame it gives back is the frame
 * `JSON.parse` gives, for every frame and REST body of the real captures and for shapes
 * made to trip it; malformed text still throws; the levels it reads keep no reference to
 * the frame they came from.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { readCaptureFiles } from '../../src/capture/format.js';
import { copyText, liftedOr, liftKeys, parseLifting, type Lifted } from '../../src/collector/mappers/lifted-levels.js';
import { BadValueError, levels, MalformedFrameError } from '../../src/collector/mappers/wire.js';
import { capturePaths } from '../capture/captures.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const BINANCE_DIFF = liftKeys('b', 'a');
const BOOK = liftKeys('bids', 'asks');
const OKX = liftKeys('asks', 'bids');

/** The parsed value with every marker put back as its list. */
function restore(v: unknown, lifted: Lifted | undefined): unknown {
  const w = liftedOr(v, lifted);
  if (w !== v) return w;
  if (Array.isArray(v)) return v.map((x) => restore(x, lifted));
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, restore(x, lifted)]));
  return v;
}

/** JSON.parse's value with the levels under `keys` cut to [price, qty], as the scanner keeps them. */
function expected(text: string, keys: string[]): unknown {
  const cut = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(cut);
    if (v === null || typeof v !== 'object') return v;
    return Object.fromEntries(
      Object.entries(v).map(([k, x]) => [
        k,
        keys.includes(k) && Array.isArray(x) && x.every((l) => Array.isArray(l) && l.every((s) => typeof s === 'string'))
          ? x.map((l: string[]) => l.slice(0, 2))
          : cut(x),
      ]),
    );
  };
  return cut(JSON.parse(text));
}

function same(text: string, needles: readonly string[], keys: string[]): Lifted | undefined {
  const { value, lifted } = parseLifting(text, needles);
  expect(restore(value, lifted)).toEqual(expected(text, keys));
  return lifted;
}

describe('parseLifting', () => {
  it('gives what JSON.parse gives for every frame and body of the real Binance and OKX captures, and lifts every book list', async () => {
    // [files, needles, keys, what a book message matches, at least this many of them]
    const sessions: [string[], readonly string[], string[], RegExp, number][] = [
      [['BINANCE.ws.1.0', 'BINANCE.http.0.0'], BINANCE_DIFF, ['b', 'a'], /"e":"depthUpdate"/, 100],
      [['BINANCE.http.0.0'], BOOK, ['bids', 'asks'], /"lastUpdateId"/, 4],
      [['OKX.ws.1.0'], OKX, ['asks', 'bids'], /^{"arg":{"channel":"books"/, 100],
    ];
    for (const [files, needles, keys, book, least] of sessions) {
      let frames = 0;
      let books = 0;
      let lists = 0;
      for await (const e of readCaptureFiles(capturePaths(...files))) {
        const text = e.kind === 'recv' ? e.text : e.kind === 'http' ? e.body : undefined;
        if (text === undefined || !/^[[{]/.test(text)) continue;
        frames++;
        const lifted = same(text, needles, keys);
        if (book.test(text)) {
          books++;
          // Both lists of every book message are read by the scanner, not left to JSON.parse.
          expect(lifted?.filter((l) => l !== undefined).length, text.slice(0, 120)).toBe(2);
          lists += lifted!.reduce((n, l) => n + (l?.length ?? 0), 0);
        }
      }
      expect(books, files.join()).toBeGreaterThanOrEqual(least);
      expect(frames).toBeGreaterThanOrEqual(books);
      expect(lists).toBeGreaterThan(books);
    }
  });

  it('cuts OKX levels of four strings to price and size, in either key order, with empty lists', () => {
    const text = '{"data":[{"bids":[["41000.1","0.5","0","2"],["41000","1.25","0","1"]],"asks":[],"ts":"1","checksum":-5}]}';
    const lifted = same(text, OKX, ['asks', 'bids']);
    expect(lifted).toEqual([
      [],
      [
        ['41000.1', '0.5'],
        ['41000', '1.25'],
      ],
    ]);
    const d = (parseLifting(text, OKX).value as { data: Record<string, unknown>[] }).data[0]!;
    expect(levels(d.bids, 'bids', lifted)).toEqual([
      ['41000.1', '0.5'],
      ['41000', '1.25'],
    ]);
    expect(levels(d.asks, 'asks', lifted)).toEqual([]);
  });

  it('leaves to JSON.parse what is not the plain shape, and the result is the same', () => {
    const cases = [
      '{"b": [["1","2"]],"a":[["3","4"]]}', // whitespace after the colon: b not found
      '{"b":[ ["1","2"]],"a":[["3","4"]]}', // whitespace in the list
      '{"b":[["1", "2"]],"a":[["3","4"]]}',
      '{"b":[[1,2]],"a":[["3","4"]]}', // numbers
      '{"b":[["1"]],"a":[["3","4"]]}', // one string a level
      '{"b":[["1","2",3]],"a":[["3","4"]]}', // an extra that is not a string
      '{"b":[["1","2"],],"a":[]}', // trailing comma: JSON.parse throws below
      '{"b":[["1","2"]] ,"a":[["3","4"]]}',
      '{"b":[null],"a":[["3","4"]]}',
      '{"b":[],"a":[]}',
      '[{"b":[["1","2"]]},{"a":[["3","4"]]}]',
      '{"x":{"b":[["1","2"]]},"b":[["5","6"]],"a":[["3","4"]]}', // a second b: whichever is cut, its marker stands where it was
      '{"a":[["3","4"]],"b":[["1","2"]]}', // the other order
      '{"s":1, "b":[["1","2"]],"a":[["3","4"]]}', // b after a space: not cut, a is
    ];
    for (const text of cases) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        expect(() => parseLifting(text, BINANCE_DIFF), text).toThrow(SyntaxError);
        continue;
      }
      expect(parsed).toBeDefined();
      same(text, BINANCE_DIFF, ['b', 'a']);
    }
  });

  it('cuts nothing from a frame with an escape anywhere, so a list can never be taken from inside a string', () => {
    const inString = '{"s":"x,\\"b\\":[[\\"1\\",\\"2\\"]]","b":[["1","2"]]}';
    expect(parseLifting(inString, BINANCE_DIFF).lifted).toBeUndefined();
    expect(parseLifting(inString, BINANCE_DIFF).value).toEqual(JSON.parse(inString));
    const escapedElsewhere = '{"s":"a\\u0041","b":[["1","2"]]}';
    expect(parseLifting(escapedElsewhere, BINANCE_DIFF).lifted).toBeUndefined();
    // A needle after a closing quote is no key: the text is not JSON, and stays refused.
    expect(() => parseLifting('{"s":"y"b":[["1","2"]]}', BINANCE_DIFF)).toThrow(SyntaxError);
  });

  it('still throws on malformed text around a list that would scan', () => {
    for (const text of ['{"b":[["1","2"]],"a":[["3","4"]]', '{"b":[["1","2"]],"a":[["3","4"]]}}', 'x{"b":[["1","2"]]}', '{"b":[["1","2"]]}{"a":[]}'])
      expect(() => parseLifting(text, BINANCE_DIFF), text).toThrow(SyntaxError);
  });

  it('refuses a control character: in a skipped string the frame goes to JSON.parse (which throws), in a price the level check does', () => {
    const extra = '{"data":[{"asks":[["1","2","\u0001","3"]],"bids":[]}]}';
    expect(() => JSON.parse(extra)).toThrow(SyntaxError);
    expect(() => parseLifting(extra, OKX)).toThrow(SyntaxError);
    const price = '{"b":[["1\u0001","2"]],"a":[]}';
    const { value, lifted } = parseLifting(price, BINANCE_DIFF);
    expect(lifted?.[0]).toEqual([['1\u0001', '2']]);
    const d = value as Record<string, unknown>;
    expect(() => levels(d.b, 'b', lifted)).toThrow(MalformedFrameError);
  });

  it('a marker text the peer sent is not a list: the level check refuses it', () => {
    const forged = '{"b":"\\u00000","a":[["3","4"]]}';
    const { value, lifted } = parseLifting(forged, BINANCE_DIFF);
    expect(lifted).toBeUndefined(); // the escape: nothing cut
    expect(() => levels((value as Record<string, unknown>).b, 'b', lifted)).toThrow(MalformedFrameError);
    expect(() => levels([['0', '1']], 'b')).toThrow(BadValueError);
  });

  it('copyText gives the same text at every length', () => {
    const t = 'x' + '0123456789.'.repeat(6) + 'y';
    for (let a = 0; a < 5; a++) for (let b = a; b <= t.length; b++) expect(copyText(t, a, b)).toBe(t.slice(a, b));
  });

  it('levels read from a frame keep no reference to it (long texts are copies, not views)', () => {
    // 200 frames of 200 KB, each with one level whose price and size are 20 characters:
    // views would keep all 40 MB alive; copies keep a few kilobytes.
    const pad = 'p'.repeat(200_000);
    const kept: Lifted[] = [];
    gc();
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < 200; i++) {
      const frame = `{"pad":"${pad}${i}","b":[["${(12345678901 + i).toString()}.123456789","0.000000000${i.toString().padStart(10, '0')}"]],"a":[]}`;
      const { lifted } = parseLifting(frame, BINANCE_DIFF);
      expect(lifted?.[0]?.[0]?.[0]).toBe(`${12345678901 + i}.123456789`);
      kept.push(lifted!);
    }
    gc();
    const grown = process.memoryUsage().heapUsed - before;
    expect(kept.length).toBe(200);
    expect(grown).toBeLessThan(8 * 1024 * 1024);
  });
});
