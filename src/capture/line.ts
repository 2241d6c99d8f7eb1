/**
 * One line of the cryptofeed capture format (cryptofeed's `AsyncFileCallback`):
 *
 *   URL <-> T            a WebSocket connection opened at T
 *   URL <- T: TEXT       a frame the client sent
 *   T: TEXT              a frame received on the file's connection
 *   URL -> T: BODY       an HTTP GET of URL and the body received at T
 *   configuration: TEXT  what the recorder subscribed to
 *
 * T is Unix seconds as a float (Python `repr`). TEXT is the rest of the line and may
 * itself contain ': ', '->' or '<-' (it is JSON), so a line is recognised by its
 * leading structure only: a URL never contains a space, a time is a plain number.
 */

export type CaptureEvent =
  | { kind: 'open'; url: string; at: number }
  | { kind: 'sent'; url: string; at: number; text: string }
  | { kind: 'recv'; url: string; at: number; text: string }
  | { kind: 'http'; url: string; at: number; body: string }
  | { kind: 'config'; text: string };

export class CaptureFormatError extends Error {
  override readonly name = 'CaptureFormatError';
  constructor(
    readonly file: string,
    readonly line: number,
    reason: string,
    options?: ErrorOptions,
  ) {
    super(`${file}:${line}: ${reason}`, options);
  }
}

const TIME = String.raw`-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?`;
const RECV_RE = new RegExp(`^(${TIME}): `);
const OPEN_RE = new RegExp(`^(\\S+) <-> (${TIME})$`);
const ARROW_RE = new RegExp(`^(\\S+) (<-|->) (${TIME}): `);
const CONFIG_PREFIX = 'configuration: ';

/** A parsed line; `recv` lines carry no URL (the reader fills in the connection's). */
export type ParsedLine =
  | { kind: 'open'; url: string; at: number }
  | { kind: 'sent'; url: string; at: number; text: string }
  | { kind: 'recv'; at: number; text: string }
  | { kind: 'http'; url: string; at: number; body: string }
  | { kind: 'config'; text: string };

/** Parses one line (without its line break); undefined for a blank line. Throws CaptureFormatError. */
export function parseCaptureLine(line: string, file: string, lineNo: number): ParsedLine | undefined {
  if (line === '') return undefined;
  if (line.startsWith(CONFIG_PREFIX)) return { kind: 'config', text: line.slice(CONFIG_PREFIX.length) };
  let m = RECV_RE.exec(line);
  if (m) return { kind: 'recv', at: time(m[1]!, file, lineNo), text: line.slice(m[0].length) };
  m = ARROW_RE.exec(line);
  if (m) {
    const at = time(m[3]!, file, lineNo);
    const text = line.slice(m[0].length);
    return m[2] === '<-' ? { kind: 'sent', url: m[1]!, at, text } : { kind: 'http', url: m[1]!, at, body: text };
  }
  m = OPEN_RE.exec(line);
  if (m) return { kind: 'open', url: m[1]!, at: time(m[2]!, file, lineNo) };
  throw new CaptureFormatError(
    file,
    lineNo,
    `not a capture line (expected "T: TEXT", "URL <-> T", "URL <- T: TEXT", "URL -> T: BODY" or "configuration: ..."): ${JSON.stringify(line.slice(0, 80))}`,
  );
}

function time(text: string, file: string, lineNo: number): number {
  const at = Number(text);
  if (!Number.isFinite(at)) throw new CaptureFormatError(file, lineNo, `bad receipt time ${JSON.stringify(text)}`);
  return at;
}

/** Python's float repr for the times cryptofeed writes: shortest round-trip digits, ".0" on integers. */
export function formatTime(at: number): string {
  if (!Number.isFinite(at)) throw new RangeError(`capture time must be finite, got ${at}`);
  return Number.isInteger(at) ? `${at}.0` : String(at);
}

/**
 * A line break inside a frame would end the line early. Valid JSON only has line breaks
 * as whitespace between tokens, so a space in their place keeps the same JSON value.
 */
export function oneLine(text: string): string {
  return text.includes('\n') || text.includes('\r') ? text.replace(/\r\n|\r|\n/g, ' ') : text;
}

export function formatCaptureLine(event: CaptureEvent | ParsedLine): string {
  switch (event.kind) {
    case 'open':
      return `${checkUrl(event.url)} <-> ${formatTime(event.at)}`;
    case 'sent':
      return `${checkUrl(event.url)} <- ${formatTime(event.at)}: ${oneLine(event.text)}`;
    case 'recv':
      return `${formatTime(event.at)}: ${oneLine(event.text)}`;
    case 'http':
      return `${checkUrl(event.url)} -> ${formatTime(event.at)}: ${oneLine(event.body)}`;
    case 'config':
      return `configuration: ${oneLine(event.text)}`;
  }
}

function checkUrl(url: string): string {
  // The reader finds the URL as the first space-free token; a URL is never empty or spaced.
  if (url === '' || /\s/.test(url)) throw new RangeError(`capture URL must be non-empty without whitespace: ${JSON.stringify(url)}`);
  return url;
}
