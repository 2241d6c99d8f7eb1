/**
 * Where the real cryptofeed captures are: $MARKETPRISM_CAPTURES when set (and only
 * there), else `shared/` beside the repository (CI clones next to a copy of it), else
 * /work/shared. They are not in
 * the repository (licensed separately), so a benchmark that needs them says so and skips.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

function repoRoot(): string {
  let dir = import.meta.dirname;
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
}

export function capturesDir(): { dir: string | undefined; tried: string[] } {
  const env = process.env.MARKETPRISM_CAPTURES;
  const tried = env ? [env] : [resolve(repoRoot(), '../shared/captures/cryptofeed'), '/work/shared/captures/cryptofeed'];
  return { dir: tried.find((d) => existsSync(join(d, 'OKX.ws.1.0'))), tried };
}
