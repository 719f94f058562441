/**
 * Admission to the query server's slots: at most maxClients connections are
 * served at once; later ones wait, unread, in a bounded queue (p0f leaves
 * them in the listen backlog) until a slot frees, each for at most
 * pendingTimeoutMs. While one waits, the connection idle longest (no query
 * for evictIdleMs, none half-read) gives its slot up: clients that ask once
 * and hold the connection cannot lock the others out, and clients that keep
 * asking are never the ones closed (watchers go last, being idle by
 * design). Evictions and refusals are warned about at most once per
 * warnIntervalMs. Owns no socket: the server wires sockets and closes them.
 */
import type { ApiServerStats } from './server-stats.js';

/** What admission needs of a connection. */
export interface Slot {
  /** performance.now() of its last query bytes (or of the last events sent to it, or of its start). */
  lastMs: number;
  /** Bytes of a query not yet complete (such a connection is never evicted). */
  buf: Buffer | null;
  /** Being closed (its slot is as good as free). */
  closing: boolean;
  /** Holds a slot (false while it waits). */
  active: boolean;
  /** A watching client (evicted only after the plain ones). */
  watch: Map<number, number> | null;
  pendingTimer: NodeJS.Timeout | null;
  /** Its socket: one destroyed while it waited is passed over. */
  readonly sock: { readonly destroyed: boolean };
}

export interface AdmissionLimits {
  maxClients: number;
  maxPending: number;
  pendingTimeoutMs: number;
  evictIdleMs: number;
  warnIntervalMs: number;
}

export interface AdmissionHooks<C> {
  /** The connection has a slot now: start serving it. */
  serve(c: C): void;
  /** Close the connection (admission's own reasons: refused, waited too long, evicted). */
  drop(c: C): void;
  /** A "too many API connections" warning. */
  warn(message: string): void;
}

export class Admission<C extends Slot> {
  /** Connections holding a slot. */
  readonly active = new Set<C>();
  /** Connections waiting for one, oldest first. */
  private readonly queue: C[] = [];
  private closed = false;
  /** Runs evictIdle() when a busy connection may have become idle enough for a waiting one. */
  private evictTimer: NodeJS.Timeout | null = null;
  /** The last "too many connections" warning (performance.now()), and those held back since. */
  private lastWarnMs = -Infinity;
  private warnsHeld = 0;

  constructor(
    private readonly limits: Readonly<AdmissionLimits>,
    private readonly hooks: AdmissionHooks<C>,
    private readonly stats: Pick<ApiServerStats, 'active' | 'pending' | 'refused' | 'evicted' | 'pendingTimeouts'>,
  ) {}

  /** Connections waiting for a slot. */
  get waiting(): number {
    return this.queue.length;
  }

  /** A new connection: served at once, queued, or refused (closed). */
  admit(c: C): void {
    const L = this.limits;
    if (this.active.size < L.maxClients) return this.activate(c);
    if (this.queue.length >= L.maxPending) {
      this.stats.refused++;
      this.warnBusy(`too many API connections: all ${L.maxClients} slots busy and ${L.maxPending} waiting; a new one was refused (-S sets the slots)`);
      this.hooks.drop(c);
      return;
    }
    this.queue.push(c);
    this.stats.pending = this.queue.length;
    c.pendingTimer = setTimeout(() => {
      this.stats.pendingTimeouts++;
      this.hooks.drop(c);
    }, L.pendingTimeoutMs);
    this.evictIdle();
  }

  /** The connection closed: its slot goes to those waiting (or it leaves the queue). */
  release(c: C): void {
    if (c.pendingTimer) clearTimeout(c.pendingTimer);
    c.pendingTimer = null;
    if (c.active) {
      c.active = false;
      this.active.delete(c);
      this.stats.active = this.active.size;
      while (!this.closed && this.active.size < this.limits.maxClients && this.queue.length) {
        const next = this.queue.shift()!;
        if (!next.sock.destroyed) this.activate(next);
      }
    } else {
      const i = this.queue.indexOf(c);
      if (i !== -1) this.queue.splice(i, 1);
    }
    this.stats.pending = this.queue.length;
    if (!this.queue.length && this.evictTimer) {
      clearTimeout(this.evictTimer);
      this.evictTimer = null;
    }
  }

  /** Admits no more; gives every connection, waiting ones first, for the server to close. */
  close(): C[] {
    this.closed = true;
    if (this.evictTimer) clearTimeout(this.evictTimer);
    this.evictTimer = null;
    return [...this.queue.splice(0), ...this.active];
  }

  private activate(c: C): void {
    if (c.pendingTimer) clearTimeout(c.pendingTimer);
    c.pendingTimer = null;
    c.active = true;
    c.lastMs = performance.now();
    this.active.add(c);
    this.stats.active = this.active.size;
    this.hooks.serve(c);
  }

  /**
   * Frees a slot for each waiting connection by closing the connections
   * idle longest (at least evictIdleMs, no query half-read; plain clients
   * before watchers). When none is idle enough, looks again once the first
   * could be. Runs on arrivals only: a scan of at most -S clients.
   */
  private evictIdle(): void {
    if (this.evictTimer) clearTimeout(this.evictTimer);
    this.evictTimer = null;
    if (this.closed || !this.queue.length) return;
    let freeing = 0;
    for (const c of this.active) if (c.closing) freeing++;
    let wanted = this.queue.length - freeing;
    const now = performance.now();
    const minIdle = this.limits.evictIdleMs;
    let soonest = Infinity;
    while (wanted > 0) {
      let pick: C | null = null;
      for (const c of this.active) {
        if (c.closing || c.buf) continue;
        const idle = now - c.lastMs;
        if (idle < minIdle) {
          soonest = Math.min(soonest, minIdle - idle);
          continue;
        }
        // A plain client goes before a watcher; then the one idle longest.
        if (!pick || (!!pick.watch !== !!c.watch ? !c.watch : c.lastMs < pick.lastMs)) pick = c;
      }
      if (!pick) break;
      this.stats.evicted++;
      this.warnBusy(
        `too many API connections: all ${this.limits.maxClients} slots taken; closed one idle for ${((now - pick.lastMs) / 1000).toFixed(1)} s ` +
          'to serve a waiting one (-S sets the slots)',
      );
      this.hooks.drop(pick);
      wanted--;
    }
    if (wanted > 0 && soonest < Infinity) {
      this.evictTimer = setTimeout(() => this.evictIdle(), Math.ceil(soonest) + 1);
      this.evictTimer.unref();
    }
  }

  /** A warning about too many connections, at most once per warnIntervalMs (with a count of those held back). */
  private warnBusy(message: string): void {
    const now = performance.now();
    if (now - this.lastWarnMs < this.limits.warnIntervalMs) {
      this.warnsHeld++;
      return;
    }
    const held = this.warnsHeld;
    this.lastWarnMs = now;
    this.warnsHeld = 0;
    this.hooks.warn(held ? `${message} (${held} more since the last warning)` : message);
  }
}
