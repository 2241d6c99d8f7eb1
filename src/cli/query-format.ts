/**
 * `marketprism query` output, in the formats ClickHouse names (the rows come back from
 * either engine as JSON objects, 64-bit integers and decimals as exact text):
 *   table (PrettyCompact: on a terminal, the default), JSONEachRow (the default into a pipe),
 *   JSON (one array), CSV / CSVWithNames, TSV / TSVWithNames, Vertical.
 * A trailing `FORMAT X` in the SQL chooses the format too (it is taken off the statement:
 * the engines answer JSON, and the read-only check refuses FORMAT clauses).
 */
export const QUERY_FORMATS = ['table', 'JSONEachRow', 'JSON', 'CSV', 'CSVWithNames', 'TSV', 'TSVWithNames', 'Vertical'] as const;
export type QueryFormat = (typeof QUERY_FORMATS)[number];

const ALIASES: Record<string, QueryFormat> = {
  pretty: 'table',
  prettycompact: 'table',
  tabseparated: 'TSV',
  tabseparatedwithnames: 'TSVWithNames',
  ndjson: 'JSONEachRow',
};

/** A format name as ClickHouse or a person writes it (any case), or an error naming the choices. */
export function parseFormat(name: string): QueryFormat {
  const lower = name.toLowerCase();
  const f = QUERY_FORMATS.find((x) => x.toLowerCase() === lower) ?? ALIASES[lower];
  if (!f) throw new Error(`unknown format ${JSON.stringify(name)}; choose one of ${QUERY_FORMATS.join(', ')}`);
  return f;
}

const TRAILING_FORMAT = /\s+FORMAT\s+(\w+)\s*;?\s*$/i;

/** The statement without a trailing `FORMAT X`, and X when it had one. */
export function splitFormat(sql: string): { sql: string; format: QueryFormat | undefined } {
  const m = TRAILING_FORMAT.exec(sql);
  return m ? { sql: sql.slice(0, m.index), format: parseFormat(m[1]!) } : { sql, format: undefined };
}

type Row = Record<string, unknown>;

/** A cell as text: strings as they are, NULL as `nullText`, arrays and tuples as JSON. */
function text(v: unknown, nullText: string): string {
  if (v === null || v === undefined) return nullText;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  return JSON.stringify(v);
}

function csvCell(v: unknown): string {
  const t = text(v, '\\N');
  return /[",\r\n]/.test(t) || t !== t.trim() ? `"${t.replace(/"/g, '""')}"` : t;
}

function tsvCell(v: unknown): string {
  if (v === null || v === undefined) return '\\N';
  return text(v, '').replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r');
}

/** Display width, counting wide (CJK) characters as two columns. */
function width(s: string): number {
  let w = 0;
  for (const ch of s) w += /[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]/u.test(ch) ? 2 : 1;
  return w;
}

function table(columns: string[], rows: Row[]): string {
  const cells = rows.map((r) => columns.map((c) => text(r[c], 'ᴺᵁᴸᴸ').replace(/\n/g, '\\n')));
  const w = columns.map((c, i) => Math.max(width(c), ...cells.map((r) => width(r[i]!))));
  const pad = (s: string, i: number, right: boolean) => (right ? ' '.repeat(w[i]! - width(s)) + s : s + ' '.repeat(w[i]! - width(s)));
  const numeric = columns.map((_c, i) => cells.length > 0 && cells.every((r) => /^-?\d+(\.\d+)?$/.test(r[i]!)));
  const top = `┌─${columns.map((c, i) => c + '─'.repeat(w[i]! - width(c))).join('─┬─')}─┐`;
  const body = cells.map((r) => `│ ${r.map((v, i) => pad(v, i, numeric[i]!)).join(' │ ')} │`);
  const bottom = `└─${w.map((n) => '─'.repeat(n)).join('─┴─')}─┘`;
  return [top, ...body, bottom].join('\n') + '\n';
}

function vertical(columns: string[], rows: Row[]): string {
  const w = Math.max(0, ...columns.map(width));
  return rows
    .map((r, i) => {
      const head = `Row ${i + 1}:`;
      return [head, '─'.repeat(width(head)), ...columns.map((c) => `${c}:${' '.repeat(w - width(c) + 1)}${text(r[c], 'ᴺᵁᴸᴸ')}`)].join('\n');
    })
    .join('\n\n')
    .concat(rows.length ? '\n' : '');
}

/** One line per row, cells by `cell` joined by `sep`, after a line of the column names when `names`. */
function delimited(columns: string[], rows: Row[], cell: (v: unknown) => string, sep: string, names: boolean): string {
  const lines = names && columns.length ? [columns.map(cell).join(sep)] : [];
  for (const r of rows) lines.push(columns.map((c) => cell(r[c])).join(sep));
  return lines.map((l) => l + '\n').join('');
}

/** The rows in `format`; columns in the order the engine returned them. */
export function formatRows(rows: Row[], format: QueryFormat): string {
  const columns = rows.length > 0 ? Object.keys(rows[0]!) : [];
  switch (format) {
    case 'JSONEachRow':
      return rows.map((r) => JSON.stringify(r) + '\n').join('');
    case 'JSON':
      return JSON.stringify(rows, null, 2) + '\n';
    case 'CSV':
    case 'CSVWithNames':
      return delimited(columns, rows, csvCell, ',', format === 'CSVWithNames');
    case 'TSV':
    case 'TSVWithNames':
      return delimited(columns, rows, tsvCell, '\t', format === 'TSVWithNames');
    case 'Vertical':
      return vertical(columns, rows);
    case 'table':
      return rows.length ? table(columns, rows) : '';
  }
}
