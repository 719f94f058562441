/** Link type from the MSS, through the [mtu] signatures (p0f semantics). */
import { MIN_TCP4, MIN_TCP6 } from '../config.js';
import type { MtuSignature } from '../db/types.js';

export type MtuIndex = Map<number, string>;

/** The first signature listed for an MTU wins, as in p0f. */
export function buildMtuIndex(sigs: readonly MtuSignature[]): MtuIndex {
  const idx: MtuIndex = new Map();
  for (const s of sigs) if (!idx.has(s.mtu)) idx.set(s.mtu, s.name);
  return idx;
}

/** MTU implied by an MSS (not truncated: p0f reports 65536 for an IPv6 MSS of 65476). */
export function mtuFromMss(mss: number, ipVer: 4 | 6): number {
  return mss + (ipVer === 4 ? MIN_TCP4 : MIN_TCP6);
}
