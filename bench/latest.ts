/**
 * The figures of bench/results/latest.json in the shape issue 9 asks for, from the flat
 * per-benchmark results (each part is absent when its benchmark did not run):
 *   normalize.<binance_spot|okx>.{ours_msgs_per_s, tardis_msgs_per_s, json_parse_msgs_per_s, ratio_vs_tardis, ...}
 *   replay.<binance_spot|okx>.{ratio_vs_tardis_depth25, ratio_vs_tardis_depth400, cost_400_over_25, ours_25_cpu_s, ...}
 *   collector.{frames_per_cpu_s (the lowest rate), frames_per_cpu_s_by_rate, checks, rss_mb: {"1": .., "10": ..}, frames_per_cpu_s_by_symbols, frames_in_per_s_by_symbols}
 *   pipeline.<embedded|clickhouse>.{records_per_s, p50_ms, p99_ms}
 *   memory.{growth_pct_per_hour, growth_pct_per_hour_stderr, duration_s, reconnects, ...}
 */
import type { BenchResult } from './registry.js';

type Named = BenchResult & { name: string };
type Figures = Record<string, number | string>;

export function latestFigures(all: Named[]) {
  const find = (name: string) => all.find((x) => x.name === name && !x.skipped);
  return {
    normalize: normalizeFigures(find('normalize')),
    replay: normalizeFigures(find('replay-process')),
    collector: collectorFigures(find('collector-live'), find('cost-growth')),
    pipeline: pipelineFigures(find('pipeline')),
    memory: memoryFigures(find('memory-soak')),
  };
}

/** `normalize.binance_spot.ours_msgs_per_s` and so on, from the flat `binance_spot_ours_msgs_per_s` (`replay` likewise). */
function normalizeFigures(r: Named | undefined): Record<string, Figures> | undefined {
  if (!r) return undefined;
  const out: Record<string, Figures> = {};
  for (const capture of ['binance_spot', 'okx']) out[capture] = prefixed(r, `${capture}_`);
  return out;
}

function collectorFigures(live: Named | undefined, growth: Named | undefined) {
  if (!live && !growth) return undefined;
  const bySymbols = (metric: string): Record<string, number> | undefined => {
    if (!growth) return undefined;
    const out: Record<string, number> = {};
    for (const [k, v] of Object.entries(growth)) {
      const m = /^s(\d+)_(.+)$/.exec(k);
      if (m && m[2] === metric && typeof v === 'number') out[m[1]!] = v;
    }
    return out;
  };
  return {
    ...(live
      ? {
          frames_per_cpu_s: live.frames_per_cpu_s,
          frames_per_cpu_s_spread: live.frames_per_cpu_s_spread,
          checks: live.checks,
          diff_levels_mean: live.diff_levels_mean,
          frames_per_cpu_s_by_rate: byRate(live, 'frames_per_cpu_s'),
          frames_in_per_s_by_rate: byRate(live, 'messages_in_per_second'),
          checks_by_rate: byRate(live, 'checks'),
        }
      : {}),
    ...(growth
      ? {
          rss_mb: bySymbols('rss_mb'),
          frames_per_cpu_s_by_symbols: bySymbols('frames_per_cpu_s'),
          frames_in_per_s_by_symbols: bySymbols('frames_in_per_s'),
          cpu_percent_by_symbols: bySymbols('cpu_percent'),
          cost_growth_checks: growth.checks,
        }
      : {}),
  };
}

/** collector-live's figure per offered rate (pushes/s per book), from the flat `rate<N>_<metric>`. */
function byRate(live: Named, metric: string): Record<string, number | string> {
  const out: Record<string, number | string> = {};
  for (const [k, v] of Object.entries(live)) {
    const m = /^rate(\d+)_(.+)$/.exec(k);
    if (m && m[2] === metric && (typeof v === 'number' || typeof v === 'string')) out[m[1]!] = v;
  }
  return out;
}

/** `pipeline.embedded.records_per_s` from the flat `embedded_records_per_s` (and clickhouse_*), where the bench gives them. */
function pipelineFigures(r: Named | undefined): Record<string, Figures> | undefined {
  if (!r) return undefined;
  const out: Record<string, Figures> = {};
  for (const engine of ['embedded', 'clickhouse']) {
    const fig = prefixed(r, `${engine}_`);
    if (Object.keys(fig).length) out[engine] = fig;
  }
  return Object.keys(out).length ? out : undefined;
}

function memoryFigures(r: Named | undefined): Figures | undefined {
  if (!r) return undefined;
  const keys = [
    'growth_pct_per_hour',
    'growth_pct_per_hour_stderr',
    'rss_slope_mb_per_hour',
    'rss_median_mb',
    'heap_growth_pct_per_hour',
    'duration_s',
    'closes_injected',
    'collector_reconnects',
  ];
  return Object.fromEntries(keys.filter((k) => k in r).map((k) => [k, r[k]!]));
}

function prefixed(r: Named, prefix: string): Figures {
  const fig: Figures = {};
  for (const [k, v] of Object.entries(r)) if (k.startsWith(prefix)) fig[k.slice(prefix.length)] = v;
  return fig;
}
