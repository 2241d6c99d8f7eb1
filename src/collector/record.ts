/**
 * `marketprism-collector record --venue V --out DIR`: connects like the daemon does
 * (same feeds, same adapter, so the same REST snapshots are taken) and writes every
 * frame sent and received and every REST body, with receipt times, in the cryptofeed
 * capture format. `replay` reads it back. Runs until SIGINT/SIGTERM or --duration.
 */
import { CaptureWriter } from '../capture/format.js';
import { resolveConfigPath, ConfigReader } from '../core/config.js';
import { takeOption } from '../core/daemon.js';
import { DAEMON_PAGES } from '../core/daemon-help.js';
import { createLogger } from '../core/logger.js';
import { loadCollectorConfig } from './config.js';
import { LiveVenue } from './live.js';
import { isVenueKind, protocolOf, venueOf, venuesOfKind } from './venues/registry.js';

export const RECORD_USAGE = `usage: marketprism-collector ${DAEMON_PAGES.collector.commands.record!.synopsis}`;

export async function recordCommand(argv: string[]): Promise<number> {
  const args = [...argv];
  let venue: string | undefined, out: string | undefined, configFile: string | undefined, symbols: string | undefined, duration: string | undefined;
  try {
    venue = takeOption(args, '--venue');
    out = takeOption(args, '--out');
    configFile = takeOption(args, '--config');
    symbols = takeOption(args, '--symbols');
    duration = takeOption(args, '--duration');
  } catch (err) {
    console.error(`${(err as Error).message}\n${RECORD_USAGE}`);
    return 2;
  }
  if (!venue || !isVenueKind(venue) || !out || args.length > 0) {
    console.error(RECORD_USAGE);
    return 2;
  }
  const file = resolveConfigPath('collector', configFile);
  let durationMs = 0;
  let config;
  try {
    config = loadCollectorConfig(file);
    if (duration) durationMs = new ConfigReader('--duration', { d: duration }).durationMs('d');
  } catch (err) {
    console.error(`marketprism-collector record: ${(err as Error).message}`);
    return 1;
  }
  const kind = venue;
  const venues = config.venues.filter((v) => venueOf(v.name).kind === kind);
  if (venues.length === 0) {
    console.error(`marketprism-collector record: ${file} configures no ${kind} venue (${venuesOfKind(kind).join(' or ')})`);
    return 1;
  }
  if (symbols) for (const v of venues) v.symbols = symbols.split(',').map((s) => s.trim().toUpperCase());

  const log = createLogger({ name: 'marketprism-collector', level: config.log_level, destination: { write: (l: string) => process.stderr.write(l) } });
  let writer: CaptureWriter;
  try {
    writer = new CaptureWriter(out, protocolOf(kind).captureName);
  } catch (err) {
    console.error(`marketprism-collector record: ${(err as Error).message}`);
    return 1;
  }
  let records = 0;
  const live = venues.map((v) => {
    writer.config(JSON.stringify({ venue: v.name, symbols: v.symbols, data_types: v.data_types }));
    return new LiveVenue(v, { depth: config.orderbook.depth, publishIntervalMs: config.orderbook.publish_interval_ms, capture: writer }, log, {
      record: () => records++,
    });
  });
  live.forEach((l) => l.start());
  log.info({ venue: kind, out, venues: venues.map((v) => v.name) }, 'recording');

  await new Promise<void>((resolve) => {
    const done = () => resolve();
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
    if (durationMs > 0) setTimeout(done, durationMs);
  });
  await Promise.all(live.map((l) => l.stop()));
  await writer.close();
  log.info({ venue: kind, out, records }, 'recording closed');
  log.flush();
  return 0;
}
