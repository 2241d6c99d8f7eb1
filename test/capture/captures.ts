import { join } from 'node:path';

/** The real cryptofeed sessions (not in the repo: licensed separately, 5.7 MB). */
export const CAPTURES_DIR = process.env.MARKETPRISM_CAPTURES ?? '/work/shared/captures/cryptofeed';
export const capturePaths = (...names: string[]): string[] => names.map((n) => join(CAPTURES_DIR, n));
