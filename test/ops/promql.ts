/**
 * The metric selectors of a PromQL expression (promtool checks whole rule files, not a
 * lone query): each metric name with the label names its matchers use, and the labels of
 * every `by (...)` / `without (...)` / `on (...)` / `ignoring (...)` clause. Grafana's
 * `$__rate_interval`-style variables are allowed inside range brackets.
 */

export interface Selector {
  name: string;
  /** Label names in the selector's `{...}`. */
  labels: string[];
}

export interface PromqlNames {
  selectors: Selector[];
  /** Labels named by grouping and matching clauses (by, without, on, ignoring, group_left/right). */
  groupingLabels: string[];
}

const KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'and', 'or', 'unless', 'bool', 'offset', 'inf', 'nan', 'atan2']);
const CLAUSES = /\b(by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)/g;

export function promqlNames(expr: string): PromqlNames {
  // String literals first (they can hold anything), then comments.
  let s = expr.replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""').replace(/#[^\n]*/g, ' ');
  const groupingLabels: string[] = [];
  s = s.replace(CLAUSES, (_m, _kw: string, list: string) => {
    groupingLabels.push(
      ...list
        .split(',')
        .map((l) => l.trim())
        .filter(Boolean),
    );
    return ' ';
  });
  // Ranges and subqueries: [5m], [$__rate_interval], [1h:1m]; offsets: offset 5m.
  s = s.replace(/\[[^\]]*\]/g, ' ').replace(/\boffset\s+-?[\w$]+/g, ' ');
  const selectors: Selector[] = [];
  // A name, then optionally its matchers; a name followed by "(" is a function or aggregation.
  const token = /([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(\{[^}]*\})?(\s*\()?|\{([^}]*)\}/g;
  for (const m of s.matchAll(token)) {
    if (m[4] !== undefined) throw new Error(`selector without a metric name in ${expr}: {${m[4]}}`);
    const [, name, matchers, call] = m;
    if (call !== undefined || KEYWORDS.has(name!.toLowerCase())) continue;
    const before = s.slice(0, m.index);
    if (/[\d.]$/.test(before) && /^[eE]?\d*$/.test(name!)) continue; // the tail of a number like 1e3
    const labels = [...(matchers ?? '').matchAll(/([a-zA-Z_]\w*)\s*(=~|!~|!=|=)/g)].map((l) => l[1]!);
    selectors.push({ name: name!, labels });
  }
  return { selectors, groupingLabels };
}

/**
 * The metric names a Prometheus text exposition offers: each `# TYPE` family (histograms
 * and summaries also as `_bucket`, `_sum`, `_count`) and each sample's name.
 */
export function exposedNames(text: string): Set<string> {
  const names = new Set<string>();
  for (const line of text.split('\n')) {
    const type = /^# TYPE (\S+) (\w+)/.exec(line);
    if (type) {
      names.add(type[1]!);
      if (type[2] === 'histogram') for (const x of ['_bucket', '_sum', '_count']) names.add(type[1]! + x);
      if (type[2] === 'summary') for (const x of ['_sum', '_count']) names.add(type[1]! + x);
      continue;
    }
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)[{ ]/.exec(line);
    if (sample) names.add(sample[1]!);
  }
  return names;
}
