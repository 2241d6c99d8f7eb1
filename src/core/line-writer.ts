/**
 * Lines to a stream in large writes: a line is appended to a buffer, written when the
 * buffer passes `chunkBytes` (and at `end`), waiting for `drain` when the stream asks.
 * One write per line costs a system call each on a pipe or a file (stdout is synchronous
 * there); one per 64 KiB does not. A stream that breaks (`| head` closing the pipe)
 * stops the writer quietly: later lines are dropped, `broken` tells.
 */
import { once } from 'node:events';
import type { Writable } from 'node:stream';

export class LineWriter {
  private buffer = '';
  private failed = false;

  constructor(
    private readonly stream: Writable,
    private readonly chunkBytes = 64 * 1024,
  ) {
    stream.on('error', () => (this.failed = true));
  }

  get broken(): boolean {
    return this.failed;
  }

  /** Appends `line` and a line break; resolves at once unless a chunk had to wait for the stream. */
  write(line: string): Promise<void> | undefined {
    this.buffer += line + '\n';
    return this.buffer.length >= this.chunkBytes ? this.flush() : undefined;
  }

  /** Writes what is buffered. */
  async flush(): Promise<void> {
    if (this.buffer === '') return;
    const chunk = this.buffer;
    this.buffer = '';
    if (this.failed) return;
    if (!this.stream.write(chunk) && !this.failed) await Promise.race([once(this.stream, 'drain'), once(this.stream, 'error')]);
  }

  async end(): Promise<void> {
    await this.flush();
  }
}
