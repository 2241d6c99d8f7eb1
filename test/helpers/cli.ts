/** Runs the compiled `marketprism` CLI and captures its exit code and output. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export function cli(...args: string[]): Promise<{ code: number; out: string }> {
  return run(process.execPath, ['bin/marketprism.js', ...args]).then(
    (r) => ({ code: 0, out: r.stdout + r.stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, out: e.stdout + e.stderr }),
  );
}

/** The row of `key` in `check-config`'s table (key, value, from), or undefined. */
export function checkConfigRow(out: string, key: string): string[] | undefined {
  return out
    .split('\n')
    .find((l) => l.trim().startsWith(`${key} `))
    ?.trim()
    .split(/\s{2,}/);
}
