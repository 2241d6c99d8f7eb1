/**
 * "MarketPrism pipeline": the Prometheus metrics of the three daemons (collector :9093,
 * storage :8085/:8086, both `marketprism_*`) and of nats-server as prometheus-nats-exporter
 * names them (`-varz -jsz=all`: `gnatsd_varz_*`, `jetstream_*`). The storage panels keep the
 * tiers apart by the `tier` label (hot, cold). docs/operations.md#dashboards says what each
 * panel means; test/ops/scrape.test.ts checks every metric and label here is exported.
 */
import { DashboardBuilder, RowBuilder, type Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { PanelBuilder as TimeseriesBuilder } from '@grafana/grafana-foundation-sdk/timeseries';
import type { DataqueryBuilder } from '@grafana/grafana-foundation-sdk/prometheus';
import { PROMETHEUS, datasourceVariable, numberPanels, prom } from './grafana.js';

const R = '[$__rate_interval]';

function graph(title: string, description: string, unit: string, ...targets: DataqueryBuilder[]): TimeseriesBuilder {
  const p = new TimeseriesBuilder().title(title).description(description).unit(unit).datasource(PROMETHEUS).min(0).height(8).span(8);
  for (const t of targets) p.withTarget(t);
  return p;
}

export function pipelineDashboard(): Dashboard {
  const d = new DashboardBuilder('MarketPrism pipeline')
    .uid('marketprism-pipeline')
    .description('Collector, NATS JetStream and storage: message rates, lag, book resyncs, reconnects, publish latency, freshness, dead letters.')
    .tags(['marketprism'])
    .time({ from: 'now-3h', to: 'now' })
    .refresh('30s')
    .timezone('utc')
    .withVariable(datasourceVariable(PROMETHEUS, 'Prometheus'))

    .withRow(new RowBuilder('Collector'))
    .withPanel(
      graph(
        'Records out per venue',
        'Normalized records the collector handed over, per second, by venue (all data types).',
        'rps',
        prom(`sum by (venue) (rate(marketprism_collector_records_out_total${R}))`, '{{venue}}'),
      ),
    )
    .withPanel(
      graph(
        'Records published (acked by JetStream)',
        'Records JetStream acknowledged, per second, by data type. Below "records out" for long: publishing lags (see pending acks and buffer).',
        'rps',
        prom(`sum by (data_type) (rate(marketprism_collector_records_published_total${R}))`, '{{data_type}}'),
      ),
    )
    .withPanel(
      graph(
        'Freshness per venue',
        'Seconds since the venue last handed over a record of the type (the stale-data alerts read the same gauge).',
        's',
        prom('time() - max by (venue, data_type) (marketprism_collector_last_record_timestamp_seconds)', '{{venue}} {{data_type}}'),
      ),
    )
    .withPanel(
      graph(
        'Book resyncs',
        'Order books rebuilt from a snapshot, by venue and reason (gap, checksum, reconnect). A storm: MarketPrismResyncStorm.',
        'short',
        prom(`sum by (venue, reason) (increase(marketprism_collector_book_resyncs_total${R}))`, '{{venue}} {{reason}}'),
      ),
    )
    .withPanel(
      graph(
        'Reconnects and problems',
        'WebSocket reconnect attempts by venue, and the problems the collector counted (sequence gaps, checksum mismatches, ...).',
        'short',
        prom(`sum by (venue) (increase(marketprism_collector_reconnects_total${R}))`, 'reconnects {{venue}}'),
        prom(`sum by (venue, problem) (increase(marketprism_collector_problems_total${R}))`, '{{problem}} {{venue}}'),
      ),
    )
    .withPanel(
      graph(
        'Publish latency',
        'From hand-over to the publisher to the JetStream ack: median and 99th percentile.',
        's',
        prom(`histogram_quantile(0.5, sum by (le) (rate(marketprism_collector_publish_duration_seconds_bucket${R})))`, 'p50'),
        prom(`histogram_quantile(0.99, sum by (le) (rate(marketprism_collector_publish_duration_seconds_bucket${R})))`, 'p99'),
      ),
    )
    .withPanel(
      graph(
        'Publish buffer and pending acks',
        'Records waiting to be published (NATS away or slow) and publishes awaiting their ack.',
        'short',
        prom('sum by (instance) (marketprism_collector_publish_buffer_records)', 'buffered {{instance}}'),
        prom('sum by (instance) (marketprism_collector_pending_acks)', 'pending acks {{instance}}'),
      ),
    )
    .withPanel(
      graph(
        'Dropped and invalid records',
        'Records lost because the publish buffer was full (MarketPrismPublishDrops), and records the collector refused as invalid.',
        'short',
        prom(`sum by (data_type) (increase(marketprism_collector_dropped_records_total${R}))`, 'dropped {{data_type}}'),
        prom(`sum by (venue, data_type) (increase(marketprism_collector_invalid_records_total${R}))`, 'invalid {{venue}} {{data_type}}'),
      ),
    )
    .withPanel(
      graph(
        'Feeds and REST',
        'Open WebSocket feeds per venue, REST requests queued or in flight, and REST throttling answers (429/418).',
        'short',
        prom('sum by (venue) (marketprism_collector_connections)', 'feeds {{venue}}'),
        prom('sum by (venue) (marketprism_collector_rest_pending_requests)', 'REST pending {{venue}}'),
        prom(`sum by (venue) (increase(marketprism_collector_rest_throttled_total${R}))`, 'throttled {{venue}}'),
      ),
    )

    .withRow(new RowBuilder('NATS JetStream (prometheus-nats-exporter)'))
    .withPanel(
      graph(
        'NATS messages',
        "nats-server's messages in and out per second (/varz), all clients.",
        'mps',
        prom(`sum by (instance) (rate(gnatsd_varz_in_msgs${R}))`, 'in {{instance}}'),
        prom(`sum by (instance) (rate(gnatsd_varz_out_msgs${R}))`, 'out {{instance}}'),
      ),
    )
    .withPanel(
      graph(
        'JetStream store used',
        "Each stream's bytes against its max_bytes (streams.yaml), and the server's file store against max_file_store (broker.yaml). With discard: old, a full stream drops its oldest messages.",
        'percentunit',
        prom('jetstream_stream_total_bytes / (jetstream_stream_limit_bytes > 0)', '{{stream_name}}'),
        prom('gnatsd_varz_jetstream_stats_storage / (gnatsd_varz_jetstream_config_max_storage > 0)', 'server {{instance}}'),
      ),
    )
    .withPanel(
      graph(
        'JetStream consumers pending',
        'Messages each durable consumer has not yet been delivered (storage falling behind), by consumer.',
        'short',
        prom('sum by (stream_name, consumer_name) (jetstream_consumer_num_pending)', '{{stream_name}} {{consumer_name}}'),
      ),
    )

    .withRow(new RowBuilder('Storage'))
    .withPanel(
      graph(
        'Messages stored',
        'JetStream messages storage finished, per second, by tier, data type and outcome (stored, already_stored after a redelivery, dead_letter).',
        'mps',
        prom(`sum by (tier, data_type, outcome) (rate(marketprism_storage_messages_total${R}))`, '{{tier}} {{data_type}} {{outcome}}'),
      ),
    )
    .withPanel(
      graph(
        'Consumer lag',
        "Messages each storage consumer is behind the stream's end (MarketPrismConsumerLagGrowing when it keeps growing).",
        'short',
        prom('sum by (instance, tier, data_type) (marketprism_storage_consumer_lag_messages)', '{{tier}} {{data_type}} {{instance}}'),
      ),
    )
    .withPanel(
      graph(
        'Dead letters',
        'Messages storage could not store and sent to MARKET_DATA_DLQ with their reason (MarketPrismDeadLetters).',
        'short',
        prom(`sum by (tier, data_type) (increase(marketprism_storage_messages_total{outcome="dead_letter"}${R}))`, '{{tier}} {{data_type}}'),
      ),
    )
    .withPanel(
      graph(
        'Insert latency and errors',
        '99th percentile of a ClickHouse insert, and failed inserts (retried) per second.',
        's',
        prom(
          `histogram_quantile(0.99, sum by (le, tier, data_type) (rate(marketprism_storage_insert_duration_seconds_bucket${R})))`,
          'p99 {{tier}} {{data_type}}',
        ),
        prom(`sum by (tier, data_type) (rate(marketprism_storage_insert_errors_total${R}))`, 'errors/s {{tier}} {{data_type}}'),
      ),
    )
    .withPanel(
      graph(
        'Since last insert',
        'Seconds since storage last inserted rows of the type (MarketPrismStorageNotInserting for books and trades).',
        's',
        prom('time() - max by (instance, tier, data_type) (marketprism_storage_last_insert_timestamp_seconds)', '{{tier}} {{data_type}} {{instance}}'),
      ),
    )
    .withPanel(
      graph(
        'Redeliveries',
        'Messages JetStream delivered again (storage restarted or an ack timed out), per second.',
        'mps',
        prom(`sum by (tier, data_type) (rate(marketprism_storage_redelivered_total${R}))`, '{{tier}} {{data_type}}'),
      ),
    )

    .withRow(new RowBuilder('Processes'))
    .withPanel(
      graph(
        'Resident memory',
        'Resident set size of each daemon (Node.js process metrics).',
        'bytes',
        prom('marketprism_process_resident_memory_bytes', '{{daemon}} {{tier}} {{instance}}'),
      ),
    )
    .withPanel(
      graph(
        'Event loop lag p99',
        "99th percentile of each daemon's event loop delay: a busy or blocked daemon (the watchdog stops past its limit).",
        's',
        prom('marketprism_nodejs_eventloop_lag_p99_seconds', '{{daemon}} {{tier}} {{instance}}'),
      ),
    )
    .withPanel(
      graph(
        'CPU',
        'CPU seconds per second used by each daemon.',
        'percentunit',
        prom(`rate(marketprism_process_cpu_seconds_total${R})`, '{{daemon}} {{tier}} {{instance}}'),
      ),
    )
    .build();
  numberPanels(d.panels);
  return d;
}
