/**
 * Streams a text file line by line with backpressure: only one chunk (64 KiB) and
 * the current partial line are held, so multi-megabyte captures cost little memory.
 */
import { createReadStream } from 'node:fs';

export interface NumberedLine {
  text: string;
  /** 1-based. */
  no: number;
}

export async function* readLines(path: string): AsyncGenerator<NumberedLine> {
  const stream = createReadStream(path, { encoding: 'utf8', highWaterMark: 64 * 1024 });
  let partial = '';
  let no = 0;
  try {
    for await (const chunk of stream as AsyncIterable<string>) {
      let start = 0;
      for (let nl = chunk.indexOf('\n'); nl !== -1; nl = chunk.indexOf('\n', start)) {
        const piece = chunk.slice(start, nl);
        const line = partial === '' ? piece : partial + piece;
        partial = '';
        start = nl + 1;
        yield { text: stripCr(line), no: ++no };
      }
      partial += chunk.slice(start);
    }
    // The last line may lack its line break (BINANCE.0 and OKX.0 end that way).
    if (partial !== '') yield { text: stripCr(partial), no: ++no };
  } finally {
    stream.destroy();
  }
}

function stripCr(line: string): string {
  return line.endsWith('\r') ? line.slice(0, -1) : line;
}
