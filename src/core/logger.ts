/**
 * Structured logs (pino JSON, one line per event). Under systemd (JOURNAL_STREAM set)
 * each line starts with a `<N>` syslog priority, which journald turns into the
 * entry's PRIORITY, so `journalctl -p warning` works.
 */
import { pino, type Logger, type DestinationStream } from 'pino';

export type { Logger };
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** pino level number -> syslog priority. */
const PRIORITY: Record<number, number> = { 10: 7, 20: 7, 30: 6, 40: 4, 50: 3, 60: 2 };
const LEVEL_RE = /^\{"level":(\d+)/;

export function journalPrefixed(target: DestinationStream): DestinationStream {
  return {
    write(line: string) {
      const m = LEVEL_RE.exec(line);
      target.write(`<${PRIORITY[Number(m?.[1])] ?? 6}>${line}`);
    },
  };
}

export interface LoggerOptions {
  name: string;
  level?: LogLevel;
  /** Defaults to stdout, prefixed for journald when running under systemd. */
  destination?: DestinationStream;
}

export function createLogger(opts: LoggerOptions): Logger {
  const stdout = pino.destination({ fd: 1, sync: false });
  const destination = opts.destination ?? (process.env.JOURNAL_STREAM ? journalPrefixed(stdout) : stdout);
  return pino(
    {
      name: opts.name,
      level: opts.level ?? 'info',
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      // Credentials never reach the journal, whatever object is logged.
      redact: { paths: ['password', '*.password', '*.*.password', 'token', '*.token', 'authorization'], censor: '[redacted]' },
    },
    destination,
  );
}
