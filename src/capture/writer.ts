/**
 * Writes a session in the cryptofeed capture format, laid out as cryptofeed lays it
 * out (one file per connection id, `<id>.<rotation>`):
 *
 *   VENUE.0            `configuration:` lines
 *   VENUE.http.0.R     every REST body (`URL -> T: BODY`)
 *   VENUE.ws.N.R       one WebSocket connection per distinct URL, N = 1, 2, ... in
 *                      order of first open; a re-open of the same URL (a reconnect)
 *                      appends `URL <-> T` to the same file, as cryptofeed does
 *
 * R starts at 0 and goes up when a file passes `rotateBytes` (cryptofeed: 100 MiB);
 * the reader reads a connection's rotated files in sequence.
 */
import { createWriteStream, mkdirSync, readdirSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { formatCaptureLine, type CaptureEvent } from './line.js';

export interface CaptureWriterOptions {
  /** Start a new file for a connection once its current one holds this many bytes. */
  rotateBytes?: number;
}

const DEFAULT_ROTATE_BYTES = 100 * 1024 * 1024;

interface OutFile {
  id: string;
  rotation: number;
  bytes: number;
  stream: WriteStream | undefined;
}

export class CaptureWriter {
  private readonly rotateBytes: number;
  private readonly files = new Map<string, OutFile>();
  /** URL -> its WebSocket connection file. */
  private readonly connections = new Map<string, OutFile>();
  private readonly finished: Promise<void>[] = [];
  private failure: Error | undefined;
  private closed = false;

  constructor(
    readonly dir: string,
    readonly venue: string,
    options: CaptureWriterOptions = {},
  ) {
    if (!/^[A-Za-z0-9_-][A-Za-z0-9_.-]*$/.test(venue)) throw new RangeError(`capture venue must be a plain file-name prefix, got ${JSON.stringify(venue)}`);
    this.rotateBytes = options.rotateBytes ?? DEFAULT_ROTATE_BYTES;
    if (!(this.rotateBytes > 0)) throw new RangeError(`rotateBytes must be positive, got ${this.rotateBytes}`);
    mkdirSync(dir, { recursive: true });
    // Appending to an earlier session's files would interleave two sessions' times.
    const clash = readdirSync(dir).find((name) => name.startsWith(`${venue}.`));
    if (clash) throw new Error(`capture directory ${dir} already holds ${clash}; record ${venue} into an empty directory`);
  }

  open(url: string, at: number): void {
    let conn = this.connections.get(url);
    if (!conn) {
      conn = this.file(`${this.venue}.ws.${this.connections.size + 1}`);
      this.connections.set(url, conn);
    }
    this.write(conn, { kind: 'open', url, at });
  }

  sent(url: string, at: number, text: string): void {
    this.write(this.connection(url), { kind: 'sent', url, at, text });
  }

  recv(url: string, at: number, text: string): void {
    this.write(this.connection(url), { kind: 'recv', url, at, text });
  }

  http(url: string, at: number, body: string): void {
    this.write(this.file(`${this.venue}.http.0`), { kind: 'http', url, at, body });
  }

  /** What the recorder subscribed to (a `configuration:` line in `VENUE.0`). */
  config(text: string): void {
    this.write(this.file(this.venue), { kind: 'config', text });
  }

  /** Flushes and closes every file; rejects with the first write error, if any. */
  async close(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      for (const f of this.files.values()) this.endStream(f);
    }
    await Promise.all(this.finished);
    if (this.failure) throw this.failure;
  }

  private connection(url: string): OutFile {
    const conn = this.connections.get(url);
    if (!conn) throw new RangeError(`capture: no open() for ${url} before its frames`);
    return conn;
  }

  private file(id: string): OutFile {
    let f = this.files.get(id);
    if (!f) {
      f = { id, rotation: 0, bytes: 0, stream: undefined };
      this.files.set(id, f);
    }
    return f;
  }

  private write(f: OutFile, event: CaptureEvent): void {
    if (this.closed) throw new Error('capture writer is closed');
    if (this.failure) throw this.failure;
    const line = formatCaptureLine(event) + '\n';
    if (f.stream && f.bytes >= this.rotateBytes) {
      this.endStream(f);
      f.rotation += 1;
      f.bytes = 0;
    }
    if (!f.stream) {
      const stream = createWriteStream(join(this.dir, `${f.id}.${f.rotation}`), { flags: 'wx' });
      stream.on('error', (err) => {
        this.failure ??= err;
      });
      f.stream = stream;
    }
    f.stream.write(line);
    f.bytes += Buffer.byteLength(line);
  }

  private endStream(f: OutFile): void {
    const stream = f.stream;
    if (!stream) return;
    f.stream = undefined;
    this.finished.push(
      new Promise<void>((resolve) => {
        stream.once('close', resolve);
        stream.end();
      }),
    );
  }
}
