/**
 * What an engine failure means for the rows that caused it, decided in one place by
 * ClickHouse error code (src/Common/ErrorCodes.cpp):
 *
 * - `transient`: the server is unwell or busy (connection refused, timeouts, memory,
 *   too many queries, too many parts: merge backpressure). Retry the same rows with backoff.
 * - `schema`: the database is not what storage expects, or storage may not write to it
 *   (unknown table or column, read-only, authentication). Not the rows' fault: retry,
 *   and the consumer reports itself failing until an operator fixes it.
 * - `data`: ClickHouse refuses these rows for their content (parse, type, range,
 *   overflow, constraint) or their shape (too many partitions in one insert block).
 *   Retrying the same rows cannot succeed: split the batch and dead-letter what still fails.
 *
 * An error without a code (a network failure before ClickHouse answered) is transient;
 * so is a code not listed here, because retrying is safe and a dead letter is not undone.
 */
import { EngineError } from './engine.js';

export type FailureClass = 'transient' | 'schema' | 'data';

export const TOO_MANY_PARTS = 252;

/** Codes whose meaning is "this data, in this insert, cannot be stored". */
const DATA_CODES = new Set([
  6, // CANNOT_PARSE_TEXT
  25, // CANNOT_PARSE_ESCAPE_SEQUENCE
  26, // CANNOT_PARSE_QUOTED_STRING
  27, // CANNOT_PARSE_INPUT_ASSERTION_FAILED
  32, // ATTEMPT_TO_READ_AFTER_EOF
  38, // CANNOT_PARSE_DATE
  41, // CANNOT_PARSE_DATETIME
  53, // TYPE_MISMATCH
  69, // ARGUMENT_OUT_OF_BOUND
  70, // CANNOT_CONVERT_TYPE
  72, // CANNOT_PARSE_NUMBER
  117, // INCORRECT_DATA (rows go as JSONCompactEachRow under a column list: a missing column is 16, below)
  130, // CANNOT_READ_ARRAY_FROM_TEXT
  131, // TOO_LARGE_STRING_SIZE
  190, // SIZES_OF_ARRAYS_DOESNT_MATCH
  321, // VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE
  349, // CANNOT_INSERT_NULL_IN_ORDINARY_COLUMN
  407, // DECIMAL_OVERFLOW
  441, // CANNOT_PARSE_DOMAIN_VALUE_FROM_STRING
  467, // CANNOT_PARSE_BOOL
  469, // VIOLATED_CONSTRAINT
]);

/** Codes that say the database or the account is wrong, whatever the rows. */
const SCHEMA_CODES = new Set([
  8, // THERE_IS_NO_COLUMN
  10, // NOT_FOUND_COLUMN_IN_BLOCK
  16, // NO_SUCH_COLUMN_IN_TABLE
  47, // UNKNOWN_IDENTIFIER
  60, // UNKNOWN_TABLE
  81, // UNKNOWN_DATABASE
  115, // UNKNOWN_SETTING
  164, // READONLY
  192, // UNKNOWN_USER
  193, // WRONG_PASSWORD
  194, // REQUIRED_PASSWORD
  195, // IP_ADDRESS_NOT_ALLOWED
  291, // DATABASE_ACCESS_DENIED
  497, // ACCESS_DENIED
  516, // AUTHENTICATION_FAILED
]);

/**
 * TOO_MANY_PARTS (252) is two things: merge backpressure (transient), and an insert
 * block spanning more than max_partitions_per_insert_block partitions (the batch's
 * shape: split it).
 */
const TOO_MANY_PARTITIONS_RE = /too many partitions for (a )?single insert block/i;

export function classifyEngineError(err: unknown): FailureClass {
  if (!(err instanceof EngineError) || err.code === undefined) return 'transient';
  if (err.code === TOO_MANY_PARTS) return TOO_MANY_PARTITIONS_RE.test(err.message) ? 'data' : 'transient';
  if (DATA_CODES.has(err.code)) return 'data';
  if (SCHEMA_CODES.has(err.code)) return 'schema';
  return 'transient';
}

/** ClickHouse's own limit (max_partitions_per_insert_block, default 100); storage keeps each insert within it. */
export const MAX_PARTITIONS_PER_INSERT = 100;
