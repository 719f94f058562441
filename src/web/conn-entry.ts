/**
 * What the web core keeps about each connection (its saved SYN's verdict,
 * its result, a lookup under way), on the connection's socket, so that
 * keep-alive requests ask once and the entry goes with the socket.
 */
import type net from 'node:net';
import type { PofCoreStats } from './core-stats.js';
import type { ConnTuple, PofResult, PofVarName } from './result.js';
import type { SynVerdict } from './saved-syn.js';

export interface ConnEntry {
  result: PofResult | null;
  /** A lookup under way (later requests on the connection join it). */
  pending: Promise<PofResult> | null;
  /** When the result was kept (performance.now()). */
  at: number;
  syn: SynVerdict | null;
  synErr: string | null;
  synRead: boolean;
  /** The connection's 4-tuple as its saved SYN gives it (null: ask the socket). */
  synTuple: ConnTuple | null;
}

/** One core's entries. */
export class ConnEntries {
  /**
   * Each connection's entry is kept on its socket, under this core's own
   * key, and goes with it. A WeakMap would do the same, but costs every
   * minor GC ephemeron work for each live connection, which measured a few
   * percent of a proxy's CPU with a new connection per request.
   */
  private readonly key = Symbol('pof connection');

  /**
   * @param dropped the pof_* variables left out by `fields`, deleted from each result kept
   * @param stats   counts the results kept with an error
   */
  constructor(
    private readonly dropped: readonly PofVarName[],
    private readonly stats: PofCoreStats,
  ) {}

  /** The socket's entry, if any. */
  get(socket: net.Socket): ConnEntry | undefined {
    return (socket as net.Socket & Record<symbol, ConnEntry | undefined>)[this.key];
  }

  /** The socket's entry, made when it has none. */
  of(socket: net.Socket): ConnEntry {
    let e = this.get(socket);
    if (!e) {
      e = { result: null, pending: null, at: 0, syn: null, synErr: null, synRead: false, synTuple: null };
      (socket as net.Socket & Record<symbol, ConnEntry | undefined>)[this.key] = e;
    }
    return e;
  }

  /** Keeps `r` as the connection's result (the fields left out dropped) and returns it. */
  keep(e: ConnEntry, r: PofResult): PofResult {
    for (const k of this.dropped) delete (r.vars as Partial<Record<PofVarName, string>>)[k];
    if (r.err) this.stats.errors++;
    e.result = r;
    e.at = performance.now();
    return r;
  }

  /** A lookup under way: later requests on the connection join it, and its result is kept when it settles. */
  keepWhenSettled(e: ConnEntry, p: Promise<PofResult>): Promise<PofResult> {
    const q = p.then((r) => {
      e.pending = null;
      return this.keep(e, r);
    });
    e.pending = q;
    return q;
  }
}
