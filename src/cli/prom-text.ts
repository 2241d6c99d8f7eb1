/** Samples of one metric in Prometheus' text exposition format (a daemon's /metrics), for the CLI's reports. */
export interface Sample {
  labels: Record<string, string>;
  value: number;
}

export function samples(text: string, name: string): Sample[] {
  const out: Sample[] = [];
  const re = new RegExp(`^${name}(?:\\{([^}]*)\\})?\\s+(\\S+)`, 'gm');
  for (const m of text.matchAll(re)) {
    const labels = Object.fromEntries([...(m[1] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((l) => [l[1]!, l[2]!]));
    out.push({ labels, value: Number(m[2]) });
  }
  return out;
}

/** GET a daemon's /metrics text. */
export async function fetchMetrics(url: string): Promise<string> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  return res.text();
}
