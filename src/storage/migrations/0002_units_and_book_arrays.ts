/**
 * Migration 2: data model v2 on a v1 (0.1.x) database.
 *
 * - trades, liquidations: `quantity_raw`, `quantity_unit`; open_interests:
 *   `open_interest_raw`, `open_interest_unit`; orderbooks: `quantity_unit`,
 *   `bids_raw`, `asks_raw`. Their DEFAULT expressions give rows stored by 0.1.x the
 *   values 0.1.x meant (it stored the venue's own figure, in the venue's unit): the raw
 *   figure is the stored one, the unit follows from exchange/market_type/symbol.
 *   Rows stored by 0.2+ always carry these columns, so the defaults apply to old rows only.
 * - orderbooks `bids`/`asks`: v1 JSON text becomes
 *   Array(Tuple(price Decimal(38, 18), quantity Decimal(38, 18))). The text columns are
 *   renamed to `bids_json`/`asks_json` and kept (empty for new rows); the new array
 *   columns DEFAULT to parsing them, so old parts read as arrays without a rewrite.
 *
 * Safe to re-run after a crash part way: ADD ... IF NOT EXISTS, and each RENAME runs
 * only while the column is still the v1 String. Literal SQL; never edit once shipped.
 */
import type { Migration, Statement } from './types.js';

const LEVELS = 'Array(Tuple(price Decimal(38, 18), quantity Decimal(38, 18)))';

/** What 0.1.x stored trade/liquidation/book quantities in. */
const V1_QUANTITY_UNIT =
  "multiIf(exchange = 'okx' AND market_type IN ('perpetual', 'futures'), 'contracts', " +
  "exchange = 'deribit' AND market_type IN ('perpetual', 'futures') AND symbol LIKE '%-USD', 'quote', 'base')";

/** What 0.1.x stored open interest in: OKX oiCcy and Binance are base; Deribit inverse perpetuals USD. */
const V1_OPEN_INTEREST_UNIT = "if(exchange = 'deribit' AND market_type IN ('perpetual', 'futures') AND symbol LIKE '%-USD', 'quote', 'base')";

function renameToJson(db: string, column: 'bids' | 'asks'): Statement {
  return {
    sql: `ALTER TABLE ${db}.orderbooks RENAME COLUMN IF EXISTS ${column} TO ${column}_json`,
    onlyIf: `SELECT 1 FROM system.columns WHERE database = '${db}' AND table = 'orderbooks' AND name = '${column}' AND type = 'String'`,
  };
}

export const m0002: Migration = {
  version: 2,
  name: 'quantity units and raw figures; order book levels as arrays',
  statements: (db) => [
    `ALTER TABLE ${db}.trades ADD COLUMN IF NOT EXISTS quantity_raw Decimal(38, 18) DEFAULT quantity AFTER quantity`,
    `ALTER TABLE ${db}.trades ADD COLUMN IF NOT EXISTS quantity_unit LowCardinality(String) DEFAULT ${V1_QUANTITY_UNIT} AFTER quantity_raw`,
    `ALTER TABLE ${db}.liquidations ADD COLUMN IF NOT EXISTS quantity_raw Decimal(38, 18) DEFAULT quantity AFTER quantity`,
    `ALTER TABLE ${db}.liquidations ADD COLUMN IF NOT EXISTS quantity_unit LowCardinality(String) DEFAULT ${V1_QUANTITY_UNIT} AFTER quantity_raw`,
    `ALTER TABLE ${db}.open_interests ADD COLUMN IF NOT EXISTS open_interest_raw Decimal(38, 18) DEFAULT open_interest AFTER open_interest`,
    `ALTER TABLE ${db}.open_interests ADD COLUMN IF NOT EXISTS open_interest_unit LowCardinality(String) DEFAULT ${V1_OPEN_INTEREST_UNIT} AFTER open_interest_raw`,
    renameToJson(db, 'bids'),
    renameToJson(db, 'asks'),
    `ALTER TABLE ${db}.orderbooks ADD COLUMN IF NOT EXISTS bids ${LEVELS} DEFAULT JSONExtract(bids_json, '${LEVELS}') AFTER last_update_id`,
    `ALTER TABLE ${db}.orderbooks ADD COLUMN IF NOT EXISTS asks ${LEVELS} DEFAULT JSONExtract(asks_json, '${LEVELS}') AFTER bids`,
    `ALTER TABLE ${db}.orderbooks ADD COLUMN IF NOT EXISTS quantity_unit LowCardinality(String) DEFAULT ${V1_QUANTITY_UNIT} AFTER asks`,
    // 0.1.x level quantities were the venue's own: they are the raw figures where the unit is not base.
    `ALTER TABLE ${db}.orderbooks ADD COLUMN IF NOT EXISTS bids_raw Array(Decimal(38, 18)) DEFAULT if(quantity_unit = 'base', [], arrayMap(l -> l.quantity, bids)) AFTER quantity_unit`,
    `ALTER TABLE ${db}.orderbooks ADD COLUMN IF NOT EXISTS asks_raw Array(Decimal(38, 18)) DEFAULT if(quantity_unit = 'base', [], arrayMap(l -> l.quantity, asks)) AFTER bids_raw`,
  ],
};
