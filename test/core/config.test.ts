import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadBrokerConfig } from '../../src/broker/config.js';
import { loadStorageConfig } from '../../src/storage/config.js';

const dir = mkdtempSync(join(tmpdir(), 'mp-config-'));
const write = (name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};

describe('config', () => {
  it('loads the shipped defaults', () => {
    const s = loadStorageConfig('config/storage.yaml');
    expect(s.tier).toBe('hot');
    expect(s.health.port).toBe(8085);
    expect(s.clickhouse.hot_ttl_days).toBe(3);
    const b = loadBrokerConfig('config/broker.yaml');
    expect(b.nats_server.port).toBe(4222);
    expect(b.nats_server.monitor_port).toBe(8222);
    expect(b.streams.map((x) => x.name)).toEqual(['MARKET_DATA', 'MARKET_DATA_DLQ']);
    expect(b.streams[0]!.duplicate_window_ms).toBe(300_000);
    expect(b.streams[0]!.max_age_ms).toBe(48 * 3600_000);
  });

  it('defaults the cold tier to port 8086', () => {
    expect(loadStorageConfig(write('cold.yaml', 'tier: cold\n')).health.port).toBe(8086);
  });

  it('names the file, the key and the value of a bad setting', () => {
    const f = write('bad1.yaml', 'batch:\n  max_rows: "lots"\n');
    expect(() => loadStorageConfig(f)).toThrow(`${f}: batch.max_rows: expected an integer, got "lots"`);
    const g = write('bad2.yaml', 'clickhouse:\n  engine: postgres\n');
    expect(() => loadStorageConfig(g)).toThrow(`${g}: clickhouse.engine: expected one of embedded, clickhouse, got "postgres"`);
  });

  it('rejects unknown keys instead of ignoring them', () => {
    const f = write('typo.yaml', 'batch:\n  max_row: 10\n');
    expect(() => loadStorageConfig(f)).toThrow(`${f}: batch.max_row: unknown key (misspelt?)`);
  });

  it('reports YAML syntax errors and missing files', () => {
    const f = write('broken.yaml', 'tier: [hot\n');
    expect(() => loadStorageConfig(f)).toThrow(/invalid YAML/);
    expect(() => loadStorageConfig(join(dir, 'nope.yaml'))).toThrow(/cannot read/);
  });

  it('checks stream specs in their own file', () => {
    const streams = write('streams.yaml', 'streams:\n  - name: A\n    subjects: []\n');
    const broker = write('broker.yaml', `streams_file: ${streams}\n`);
    expect(() => loadBrokerConfig(broker)).toThrow(`${streams}: streams[0].subjects: a stream needs at least one subject`);
    const streams2 = write('streams2.yaml', 'streams:\n  - name: A\n    subjects: ["a.>"]\n    max_age: forever\n');
    const broker2 = write('broker2.yaml', `streams_file: streams2.yaml\n`);
    expect(() => loadBrokerConfig(broker2)).toThrow(`${streams2}: streams[0].max_age: expected a duration like 500ms, 30s, 5m, 48h, got "forever"`);
  });
});
