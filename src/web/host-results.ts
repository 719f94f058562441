/**
 * Saved SYN + daemon (the host route): each connection's TCP facts are its
 * own saved SYN's, and the daemon is asked only what it knows of the
 * client address (HostCache: kept for hostTtlMs). While an address's answer
 * is kept, every connection of it with the same kind of SYN has the same
 * result but for its conn: that result is made once and copied
 * (resultFor). The daemon being down or slow costs only the host facts.
 */
import type { ConnEntry, ConnEntries } from './conn-entry.js';
import { answeredBy, synResult } from './core-results.js';
import type { PofCoreStats } from './core-stats.js';
import type { HostCache } from './host-cache.js';
import { resultFor, type ConnTuple, type PofAnswer, type PofResult } from './result.js';
import type { SynVerdict } from './saved-syn.js';
import { askError } from './verdict-wait.js';
import type { DaemonSource } from './sources.js';

/** Results kept per cached host answer, one per kind of SYN (see sharedResult). */
const MAX_SHAPES_PER_HOST = 16;

export class HostResults {
  /** Per cached host answer, the result made for each kind of SYN; kept as long as the answer is. */
  private readonly shapes = new WeakMap<PofAnswer, Map<SynVerdict, PofResult>>();

  constructor(
    private readonly source: DaemonSource,
    private readonly hosts: HostCache,
    private readonly entries: ConnEntries,
    private readonly timeoutMs: number,
    private readonly stats: PofCoreStats,
  ) {}

  /** The result of a connection with a saved SYN verdict (e.syn): kept in its entry, now or once the daemon answers. */
  resultOf(t: ConnTuple, e: ConnEntry): PofResult | Promise<PofResult> {
    const source = this.source;
    const down = source.unavailable();
    if (down) return this.entries.keep(e, synResult(t, e.syn!, down));
    const known = this.hosts.peek(t.cli);
    if (known) {
      this.stats.hostCached++;
      return this.entries.keep(e, resultFor(this.sharedResult(known, t, e), t));
    }
    if (!this.hosts.pending(t.cli)) this.stats.asked++;
    return this.entries.keepWhenSettled(
      e,
      this.hosts.get(t.cli, this.timeoutMs).then(
        (a) => answeredBy(source.via, t, e, a),
        (x: unknown) => synResult(t, e.syn!, askError(source, x, this.timeoutMs)),
      ),
    );
  }

  /**
   * The result shared by the connections of a cached host answer with the
   * same SYN verdict: made by the first of them, copied (resultFor) for
   * each. (Each copy drops the fields left out as it is kept.)
   */
  private sharedResult(a: PofAnswer, t: ConnTuple, e: ConnEntry): PofResult {
    let bySyn = this.shapes.get(a);
    if (!bySyn) this.shapes.set(a, (bySyn = new Map()));
    let r = bySyn.get(e.syn!);
    if (!r) {
      r = answeredBy(this.source.via, t, e, a);
      // A client's SYNs come in a few kinds; bounded all the same.
      if (bySyn.size >= MAX_SHAPES_PER_HOST) bySyn.clear();
      bySyn.set(e.syn!, r);
    }
    return r;
  }
}
