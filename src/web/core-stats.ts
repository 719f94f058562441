/** What the web core counts (PofCore.stats). */

export interface PofCoreStats {
  /** Connections looked up (cache misses). */
  lookups: number;
  /** Requests answered from the connection cache. */
  cached: number;
  /** Questions asked of the source (polls included). */
  asked: number;
  /** Lookups that ended with an error. */
  errors: number;
  /** Connections with a saved SYN read. */
  savedSyns: number;
  /** Lookups answered by what a watching daemon had told already (no wait, no question). */
  told: number;
  /** Lookups that waited for the daemon to tell, and were told while waiting. */
  toldLate: number;
  /** Lookups with a saved SYN whose client address the daemon had been asked about already (no question). */
  hostCached: number;
}

export function newCoreStats(): PofCoreStats {
  return { lookups: 0, cached: 0, asked: 0, errors: 0, savedSyns: 0, told: 0, toldLate: 0, hostCached: 0 };
}
