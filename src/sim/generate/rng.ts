/** A small seeded PRNG (mulberry32): the same seed gives the same synthetic market. */
export class Rng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Integer in [lo, hi]. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  /** An independent stream derived from this seed and a label (one per symbol). */
  fork(label: string): Rng {
    let h = this.state ^ 0x9e3779b9;
    for (let i = 0; i < label.length; i++) h = Math.imul(h ^ label.charCodeAt(i), 0x01000193);
    return new Rng(h >>> 0);
  }
}

/** A value that depends only on its inputs (for series that must repeat across requests). */
export function hashUnit(...parts: (string | number)[]): number {
  let h = 0x811c9dc5;
  for (const c of parts.join('|')) h = Math.imul(h ^ c.charCodeAt(0), 0x01000193);
  return new Rng(h >>> 0).next();
}
