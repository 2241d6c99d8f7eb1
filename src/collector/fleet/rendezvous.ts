/**
 * Who should collect a (venue, symbol): rendezvous (highest random weight) hashing of the
 * unit over the live members. Every member computes the same ranking from the same member
 * set, and a member joining or leaving moves only the units it wins or held.
 */
import { createHash } from 'node:crypto';

function weight(member: string, unit: string): bigint {
  return createHash('sha256').update(member).update('\0').update(unit).digest().readBigUInt64BE(0);
}

/** The members, best first, for `unit` (ties, which need equal hashes, by name). */
export function ranked(members: readonly string[], unit: string): string[] {
  return members
    .map((m) => ({ m, w: weight(m, unit) }))
    .sort((a, b) => (a.w === b.w ? (a.m < b.m ? -1 : 1) : a.w > b.w ? -1 : 1))
    .map((x) => x.m);
}
