import { describe, expect, it } from 'vitest';
import { latestFigures } from '../../bench/latest.js';
import { growth } from '../../bench/memory-soak.js';
import { fitLine, median } from '../../bench/stats.js';
import { lineChart } from '../../src/testing/svg-chart.js';

describe('latest.json figures', () => {
  it('nests collector, pipeline and memory figures by the shape issue 9 asks for, each part only when its bench ran', () => {
    const f = latestFigures([
      {
        name: 'collector-live',
        summary: '',
        frames_per_cpu_s: 5000,
        frames_per_cpu_s_spread: '4000-6000',
        checks: 'ok',
        diff_levels_mean: 29.2,
        rate100_frames_per_cpu_s: 5000,
        rate2500_frames_per_cpu_s: 31000,
        rate2500_messages_in_per_second: 25000,
        rate2500_checks: 'ok',
      },
      {
        name: 'cost-growth',
        summary: '',
        s1_rss_mb: 120,
        s500_rss_mb: 450,
        s1_frames_per_cpu_s: 1800,
        s500_frames_per_cpu_s: 1400,
        s1_checks: 'ok',
        checks: 'ok',
      },
      { name: 'pipeline', summary: '', embedded_records_per_s: 9000, embedded_p50_ms: 3, embedded_p99_ms: 40 },
      { name: 'memory-soak', summary: '', growth_pct_per_hour: 1.5, growth_pct_per_hour_stderr: 0.4, duration_s: 3600 },
      { name: 'replay-process', summary: '', binance_spot_ratio_vs_tardis_depth25: 1.4, okx_cost_400_over_25: 1.7 },
    ]);
    expect(f.collector?.frames_per_cpu_s_by_rate).toEqual({ '100': 5000, '2500': 31000 });
    expect(f.collector?.frames_in_per_s_by_rate).toEqual({ '2500': 25000 });
    expect(f.collector).toMatchObject({ frames_per_cpu_s: 5000, rss_mb: { '1': 120, '500': 450 }, frames_per_cpu_s_by_symbols: { '1': 1800, '500': 1400 } });
    expect(f.pipeline).toEqual({ embedded: { records_per_s: 9000, p50_ms: 3, p99_ms: 40 } });
    expect(f.memory).toMatchObject({ growth_pct_per_hour: 1.5, growth_pct_per_hour_stderr: 0.4, duration_s: 3600 });
    expect(f.normalize).toBeUndefined();
    expect(f.replay).toEqual({ binance_spot: { ratio_vs_tardis_depth25: 1.4 }, okx: { cost_400_over_25: 1.7 } });
    const none = latestFigures([{ name: 'pipeline-embedded', summary: '', trades_per_s: 1 }]);
    expect(none).toEqual({ normalize: undefined, replay: undefined, collector: undefined, pipeline: undefined, memory: undefined });
  });
});

describe('statistics', () => {
  it('fits a line with the standard error of its slope, and takes medians', () => {
    const exact = fitLine([0, 1, 2, 3], [1, 3, 5, 7]);
    expect(exact.slope).toBeCloseTo(2);
    expect(exact.intercept).toBeCloseTo(1);
    expect(exact.slopeStdErr).toBeCloseTo(0);
    const noisy = fitLine([0, 1, 2, 3, 4], [0, 2, 1, 3, 2]);
    expect(noisy.slopeStdErr).toBeGreaterThan(0);
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(() => fitLine([1, 1], [1, 2])).toThrow(/same/);
  });

  it('reports memory growth after warm-up in % of the median per hour', () => {
    // 100 MiB rising 2 MiB an hour after a warm-up climb: 2 %/h.
    const samples = Array.from({ length: 61 }, (_, i) => {
      const t = i * 60_000;
      return { t, rssMb: i < 10 ? 50 + 5 * i : 100 + (2 * t) / 3600_000, heapMb: 40 };
    });
    const g = growth(samples, { durationMs: 3600_000, warmupShare: 0.2 });
    expect(g.growth_pct_per_hour).toBeCloseTo(2, 1);
    expect(g.heap_growth_pct_per_hour).toBe(0);
    expect(g.rss_min_mb).toBeGreaterThanOrEqual(100);
  });
});

describe('SVG line chart', () => {
  it('draws every panel with its points and target lines, and escapes text', () => {
    const svg = lineChart({
      title: 'a < b & c',
      xLabel: 'symbols',
      logX: true,
      panels: [
        {
          title: 'p1',
          yLabel: 'y',
          points: [
            [1, 10],
            [10, 20],
            [500, 15],
          ],
          marks: [{ y: 30, label: 'target' }],
        },
        {
          title: 'p2',
          yLabel: 'MiB',
          points: [
            [1, 100],
            [500, 400],
          ],
        },
      ],
    });
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg.trim().endsWith('</svg>')).toBe(true);
    expect(svg).toContain('a &lt; b &amp; c');
    expect(svg.match(/<circle /g)).toHaveLength(5);
    expect(svg.match(/<polyline /g)).toHaveLength(2);
    expect(svg).toContain('stroke-dasharray');
    expect(svg).not.toContain('NaN');
  });

  it('draws a dense series with round x ticks and no point markers', () => {
    const points = Array.from({ length: 61 }, (_v, i): [number, number] => [i * 5.03, i * 190]);
    const svg = lineChart({ title: 't', xLabel: 's', logX: false, series: true, panelWidth: 760, panels: [{ title: 'p', yLabel: 'n', points }] });
    expect(svg).toContain('width="760"');
    expect(svg).not.toContain('<circle ');
    const xLabels = [...svg.matchAll(/<text x="[\d.]+" y="266" text-anchor="middle">([^<]+)<\/text>/g)].map((m) => m[1]);
    expect(xLabels).toEqual(['0', '100', '200', '300']);
    expect(svg).not.toContain('NaN');
  });
});
