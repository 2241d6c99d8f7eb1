/**
 * Every schema migration, in order. Append-only: a shipped migration is never edited
 * (databases record its checksum and refuse a changed one); change the schema by
 * adding the next file here. Each migration is literal SQL, not generated from
 * core/fields.ts; test/storage/migrations.test.ts checks that the tables they build
 * match the columns schema.ts derives from the fields table.
 */
import { m0001 } from './0001_create_tables.js';
import { m0002 } from './0002_units_and_book_arrays.js';
import { m0003 } from './0003_cold_watermark.js';
import type { Migration } from './types.js';

export type { GuardedStatement, Migration, Statement } from './types.js';

export const MIGRATIONS: readonly Migration[] = [m0001, m0002, m0003];
