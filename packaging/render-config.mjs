// Writes a packaged config: the repo's default config/<file> with the scalars a package
// must set differently (paths under /usr/lib and /var/lib). Only those values' text is
// replaced, so comments and layout stay as in the default.
//   node packaging/render-config.mjs IN OUT key.path=value ...
import { readFileSync, writeFileSync } from 'node:fs';
import { isScalar, parseDocument } from 'yaml';

const [input, output, ...sets] = process.argv.slice(2);
let text = readFileSync(input, 'utf8');
const edits = sets.map((set) => {
  const eq = set.indexOf('=');
  const key = set.slice(0, eq);
  const node = parseDocument(text).getIn(key.split('.'), true);
  if (eq < 1 || !isScalar(node)) throw new Error(`render-config: ${input} has no scalar ${key}`);
  return { start: node.range[0], end: node.range[1], value: set.slice(eq + 1) };
});
for (const e of edits.sort((a, b) => b.start - a.start)) text = text.slice(0, e.start) + e.value + text.slice(e.end);
parseDocument(text); // still valid YAML
writeFileSync(output, text);
