/**
 * Per table × venue, what became of every record JetStream acknowledged in a window
 * (integrity-stream.ts reads them): stored (its natural key is in the table), dead-lettered
 * (accounted for, not stored), or missing. Keys are looked up in bounded statements
 * (storage/natural-key.ts storedKeysSql: one table, the chunk's time range and symbols,
 * at most CHUNK_RECORDS keys and CHUNK_KEY_CHARS of them), so memory holds a chunk per
 * table × venue, never the window.
 */
import type { DataType, MarketRecord } from '../core/model.js';
import { storedKeysSql } from '../storage/natural-key.js';
import { TABLES } from '../storage/schema.js';
import type { WindowMessage } from './integrity-stream.js';

/** Keys per lookup at most, and their characters (ClickHouse parses at most max_query_size, 256 KiB, of a statement). */
const CHUNK_RECORDS = 2000;
const CHUNK_KEY_CHARS = 120_000;
/** Missing records shown per table × venue. */
export const MISSING_EXAMPLES = 10;
/** The table of records whose subject names no data type (no storage consumer reads them). */
export const NO_TABLE = '(no table)';

export interface MissingExample {
  subject: string;
  seq: number;
  /** The natural key, or why the record has none (storage could not decode it). */
  key: string;
}

export interface AckedTable {
  table: string;
  venue: string;
  acknowledged: number;
  stored: number;
  dead_lettered: number;
  missing: number;
  /** Of the missing: after the storage consumer's acknowledged floor when the check began (not yet consumed). */
  missing_unconsumed: number;
  examples: MissingExample[];
}

interface Pending {
  type: DataType;
  tally: AckedTable;
  items: { record: MarketRecord; key: string; subject: string; seq: number; ref: string }[];
  chars: number;
}

export type Lookup = (sql: string) => Promise<{ k: string }[]>;

export class AckedTally {
  private readonly tables = new Map<string, AckedTable>();
  private readonly pending = new Map<string, Pending>();

  /**
   * `dead`: dead-lettered originals (readDeadLetterRefs); `consumedUpTo`: per data type,
   * the storage consumer's acknowledged floor (a stream sequence).
   */
  constructor(
    private readonly database: string,
    private readonly dead: ReadonlySet<string>,
    private readonly consumedUpTo: ReadonlyMap<DataType, number>,
    private readonly lookup: Lookup,
  ) {}

  private tallyOf(table: string, venue: string): AckedTable {
    const id = `${table}\t${venue}`;
    let t = this.tables.get(id);
    if (!t) this.tables.set(id, (t = { table, venue, acknowledged: 0, stored: 0, dead_lettered: 0, missing: 0, missing_unconsumed: 0, examples: [] }));
    return t;
  }

  private miss(t: AckedTable, type: DataType | undefined, subject: string, seq: number, key: string): void {
    t.missing++;
    if (type === undefined || seq > (this.consumedUpTo.get(type) ?? 0)) t.missing_unconsumed++;
    if (t.examples.length < MISSING_EXAMPLES) t.examples.push({ subject, seq, key });
  }

  /** Counts the message's records; a chunk full of keys is looked up before this resolves. */
  async add(m: WindowMessage): Promise<void> {
    const t = this.tallyOf(m.type ? TABLES[m.type] : NO_TABLE, m.venue);
    for (const r of m.records) {
      t.acknowledged++;
      if (this.dead.has(String(m.seq)) || this.dead.has(r.ref)) {
        t.dead_lettered++;
        continue;
      }
      if (!('key' in r) || !m.type) {
        this.miss(t, m.type, m.subject, m.seq, 'key' in r ? r.key : `cannot be stored: ${r.bad}`);
        continue;
      }
      const id = `${m.type}\t${m.venue}`;
      let p = this.pending.get(id);
      if (!p) this.pending.set(id, (p = { type: m.type, tally: t, items: [], chars: 0 }));
      p.items.push({ record: r.record, key: r.key, subject: m.subject, seq: m.seq, ref: r.ref });
      p.chars += r.key.length + 4;
      if (p.items.length >= CHUNK_RECORDS || p.chars >= CHUNK_KEY_CHARS) await this.flush(id);
    }
  }

  private async flush(id: string): Promise<void> {
    const p = this.pending.get(id);
    if (!p || p.items.length === 0) return;
    this.pending.delete(id);
    const sql = storedKeysSql(
      p.type,
      `${this.database}.${TABLES[p.type]}`,
      p.items.map((i) => i.record),
    );
    const stored = new Set((await this.lookup(sql)).map((r) => r.k));
    for (const i of p.items) {
      if (stored.has(i.key)) p.tally.stored++;
      else this.miss(p.tally, p.type, i.subject, i.seq, i.key);
    }
  }

  /** Looks up what is left and returns the tallies, by table and venue. */
  async finish(): Promise<AckedTable[]> {
    for (const id of [...this.pending.keys()]) await this.flush(id);
    return [...this.tables.values()].sort((a, b) => a.table.localeCompare(b.table) || a.venue.localeCompare(b.venue));
  }
}
