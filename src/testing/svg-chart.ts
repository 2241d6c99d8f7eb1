/**
 * Line charts as SVG text, no plotting tool: panels side by side, each with its own
 * y axis, a logarithmic or linear x axis, points joined by a line, and optional
 * horizontal target lines. Enough for the plots in docs/img (the benchmarks, the multi-host run).
 */

export interface Panel {
  title: string;
  yLabel: string;
  points: [number, number][];
  /** Dashed horizontal lines, e.g. a target. */
  marks?: { y: number; label: string }[];
}

export interface Chart {
  title: string;
  xLabel: string;
  logX: boolean;
  panels: Panel[];
  /** A line of small print under the chart (machine, date, mode). */
  note?: string;
  /**
   * A dense series (a time line of many samples): x ticks at round values from 0, the points
   * joined without markers or value labels. Otherwise every point is marked, labelled and
   * ticked (a few measured sizes).
   */
  series?: boolean;
  /** Width of each panel, px (default 420). */
  panelWidth?: number;
}

const PANEL_W = 420;
const H = 300;
const M = { left: 80, right: 24, top: 40, bottom: 50 };

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const num = (x: number): string => (Math.abs(x) >= 1000 ? Math.round(x).toLocaleString('en') : String(Math.round(x * 10) / 10));

/** Round tick values covering [0, max]. */
function yTicks(max: number): number[] {
  const raw = max / 5;
  const mag = 10 ** Math.floor(Math.log10(raw || 1));
  const step = [1, 2, 2.5, 5, 10].map((f) => f * mag).find((s) => s >= raw) ?? 10 * mag;
  const out: number[] = [];
  for (let v = 0; v <= max + step / 2; v += step) out.push(v);
  return out;
}

export function lineChart(c: Chart): string {
  const W = c.panelWidth ?? PANEL_W;
  const width = W * c.panels.length;
  const height = H + (c.note ? 20 : 0);
  const xs = c.panels.flatMap((p) => p.points.map(([x]) => x));
  const [xMin, xMax] = [Math.min(...xs), Math.max(...xs)];
  const fx = (x: number) => (c.logX ? Math.log10(x) : x);
  const span = fx(xMax) - fx(xMin) || 1;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="${width / 2}" y="18" text-anchor="middle" font-size="14" font-weight="bold">${esc(c.title)}</text>`,
  ];
  c.panels.forEach((p, i) => {
    const ox = i * W;
    const pw = W - M.left - M.right;
    const ph = H - M.top - M.bottom;
    const yMax = Math.max(...p.points.map(([, y]) => y), ...(p.marks ?? []).map((m) => m.y)) * 1.1 || 1;
    const ticks = yTicks(yMax);
    const top = ticks.at(-1)!;
    const X = (x: number) => ox + M.left + ((fx(x) - fx(xMin)) / span) * pw;
    const Y = (y: number) => M.top + ph - (y / top) * ph;
    parts.push(`<text x="${ox + W / 2}" y="34" text-anchor="middle" font-size="12">${esc(p.title)}</text>`);
    parts.push(`<line x1="${ox + M.left}" y1="${M.top + ph}" x2="${ox + M.left + pw}" y2="${M.top + ph}" stroke="black"/>`);
    parts.push(`<line x1="${ox + M.left}" y1="${M.top}" x2="${ox + M.left}" y2="${M.top + ph}" stroke="black"/>`);
    for (const t of ticks) {
      parts.push(`<line x1="${ox + M.left - 4}" y1="${Y(t)}" x2="${ox + M.left + pw}" y2="${Y(t)}" stroke="#ddd"/>`);
      parts.push(`<text x="${ox + M.left - 6}" y="${Y(t) + 4}" text-anchor="end">${num(t)}</text>`);
    }
    const xTicks = c.series && !c.logX ? yTicks(xMax).filter((t) => t >= xMin && t <= xMax) : [...new Set(p.points.map(([x]) => x))];
    for (const x of xTicks) {
      parts.push(`<line x1="${X(x)}" y1="${M.top + ph}" x2="${X(x)}" y2="${M.top + ph + 4}" stroke="black"/>`);
      parts.push(`<text x="${X(x)}" y="${M.top + ph + 16}" text-anchor="middle">${num(x)}</text>`);
    }
    parts.push(`<text x="${ox + M.left + pw / 2}" y="${M.top + ph + 34}" text-anchor="middle">${esc(c.xLabel)}</text>`);
    parts.push(`<text x="${ox + 14}" y="${M.top + ph / 2}" text-anchor="middle" transform="rotate(-90 ${ox + 14} ${M.top + ph / 2})">${esc(p.yLabel)}</text>`);
    for (const m of p.marks ?? []) {
      parts.push(`<line x1="${ox + M.left}" y1="${Y(m.y)}" x2="${ox + M.left + pw}" y2="${Y(m.y)}" stroke="#c33" stroke-dasharray="5,4"/>`);
      parts.push(`<text x="${ox + M.left + pw - 2}" y="${Y(m.y) - 4}" text-anchor="end" fill="#c33">${esc(m.label)}</text>`);
    }
    const sorted = [...p.points].sort((a, b) => a[0] - b[0]);
    parts.push(
      `<polyline fill="none" stroke="#2a6ebb" stroke-width="2" points="${sorted.map(([x, y]) => `${X(x).toFixed(1)},${Y(y).toFixed(1)}`).join(' ')}"/>`,
    );
    for (const [x, y] of c.series ? [] : sorted) {
      parts.push(`<circle cx="${X(x).toFixed(1)}" cy="${Y(y).toFixed(1)}" r="3.5" fill="#2a6ebb"/>`);
      parts.push(`<text x="${X(x).toFixed(1)}" y="${(Y(y) - 8).toFixed(1)}" text-anchor="middle" font-size="10">${num(y)}</text>`);
    }
  });
  if (c.note) parts.push(`<text x="8" y="${height - 6}" font-size="10" fill="#555">${esc(c.note)}</text>`);
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}
