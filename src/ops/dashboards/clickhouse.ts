/**
 * "MarketPrism ClickHouse": what the tables hold, read from ClickHouse itself through the
 * ClickHouse data source plugin (grafana-clickhouse-datasource, SQL with its macros
 * `$__timeFilter`, `$__timeInterval`). `${database}` picks `marketprism_hot` or
 * `marketprism_cold`. Table names come from the schema (storage/schema.ts TABLES);
 * test/ops/scrape.test.ts runs every query against the real schema.
 */
import { CustomVariableBuilder, DashboardBuilder, RowBuilder, type Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { PanelBuilder as TableBuilder } from '@grafana/grafana-foundation-sdk/table';
import { PanelBuilder as TimeseriesBuilder } from '@grafana/grafana-foundation-sdk/timeseries';
import { DATA_TYPES } from '../../core/model.js';
import { TABLES } from '../../storage/schema.js';
import { CLICKHOUSE, ClickHouseQueryBuilder, datasourceVariable, numberPanels } from './grafana.js';

const DB = '${database}';

/** One SELECT per table, joined by UNION ALL; `select(table)` writes the part after FROM. */
function everyTable(select: (table: string) => string): string {
  return DATA_TYPES.map((t) => select(TABLES[t])).join('\nUNION ALL\n');
}

/** Rows of `table` per time bucket, by exchange and market type. */
function rowsPerVenue(table: string, alias: string): string {
  return [
    `SELECT $__timeInterval(timestamp) AS time, concat(exchange, ' ', market_type) AS venue, count() AS ${alias}`,
    `FROM ${DB}.${table}`,
    'WHERE $__timeFilter(timestamp)',
    'GROUP BY time, venue',
    'ORDER BY time',
  ].join('\n');
}

function series(title: string, description: string, unit: string, sql: string): TimeseriesBuilder {
  return new TimeseriesBuilder()
    .title(title)
    .description(description)
    .unit(unit)
    .datasource(CLICKHOUSE)
    .min(0)
    .height(9)
    .span(12)
    .withTarget(new ClickHouseQueryBuilder(sql, 'timeseries'));
}

function table(title: string, description: string, sql: string, w = 12): TableBuilder {
  return new TableBuilder().title(title).description(description).datasource(CLICKHOUSE).height(9).span(w).withTarget(new ClickHouseQueryBuilder(sql, 'table'));
}

export function clickhouseDashboard(): Dashboard {
  const d = new DashboardBuilder('MarketPrism ClickHouse')
    .uid('marketprism-clickhouse')
    .description('Rows per table and venue, newest timestamps, and how late rows land, read from ClickHouse.')
    .tags(['marketprism', 'clickhouse'])
    .time({ from: 'now-6h', to: 'now' })
    .refresh('1m')
    .timezone('utc')
    .withVariable(datasourceVariable(CLICKHOUSE, 'ClickHouse'))
    .withVariable(
      new CustomVariableBuilder('database')
        .label('Database')
        .values('marketprism_hot,marketprism_cold')
        .current({ text: 'marketprism_hot', value: 'marketprism_hot' }),
    )

    .withRow(new RowBuilder('Tables'))
    .withPanel(
      table(
        'Rows and size per table',
        'Rows and compressed bytes on disk of each table (active parts; before background merges a row stored twice counts twice).',
        [
          'SELECT table, sum(rows) AS rows, sum(bytes_on_disk) AS bytes_on_disk, min(min_time) AS oldest_partition_time, max(max_time) AS newest_partition_time',
          'FROM system.parts',
          `WHERE database = '${DB}' AND active`,
          'GROUP BY table',
          'ORDER BY table',
        ].join('\n'),
      ),
    )
    .withPanel(
      table(
        'Newest record per table and venue',
        'Per table, exchange and market type: the newest record time in the range and its age in seconds. A venue missing here stored nothing in the range.',
        [
          "SELECT data_table, exchange, market_type, newest, dateDiff('second', newest, now64(3)) AS age_seconds, rows",
          'FROM (',
          everyTable(
            (t) =>
              `  SELECT '${t}' AS data_table, exchange, market_type, max(timestamp) AS newest, count() AS rows FROM ${DB}.${t} WHERE $__timeFilter(timestamp) GROUP BY exchange, market_type`,
          ),
          ')',
          'ORDER BY data_table, exchange, market_type',
        ].join('\n'),
      ),
    )

    .withRow(new RowBuilder('Rows over time'))
    .withPanel(
      series(
        'Rows per interval by table',
        'Rows whose record time falls in each interval, per table.',
        'short',
        [
          'SELECT time, data_table, sum(n) AS rows',
          'FROM (',
          everyTable(
            (t) =>
              `  SELECT $__timeInterval(timestamp) AS time, '${t}' AS data_table, count() AS n FROM ${DB}.${t} WHERE $__timeFilter(timestamp) GROUP BY time`,
          ),
          ')',
          'GROUP BY time, data_table',
          'ORDER BY time',
        ].join('\n'),
      ),
    )
    .withPanel(series('Trades per interval by venue', 'Trade rows per interval, by exchange and market type.', 'short', rowsPerVenue(TABLES.trade, 'trades')))
    .withPanel(
      series(
        'Order book snapshots per interval by venue',
        'Book rows per interval, by exchange and market type (the collector publishes books at orderbook.publish_interval_ms).',
        'short',
        rowsPerVenue(TABLES.orderbook, 'books'),
      ),
    )
    .withPanel(
      series(
        'Insert delay of trades',
        "Seconds between a trade's venue time and its insert (created_at): median and maximum per interval. Growing: storage lags.",
        's',
        [
          'SELECT $__timeInterval(timestamp) AS time,',
          "  quantile(0.5)(dateDiff('millisecond', timestamp, created_at)) / 1000 AS median,",
          "  max(dateDiff('millisecond', timestamp, created_at)) / 1000 AS max",
          `FROM ${DB}.${TABLES.trade}`,
          'WHERE $__timeFilter(timestamp)',
          'GROUP BY time',
          'ORDER BY time',
        ].join('\n'),
      ),
    )
    .build();
  numberPanels(d.panels);
  return d;
}
