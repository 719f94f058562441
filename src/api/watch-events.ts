/**
 * Connection events for watching API clients ({"op":"watch","port":N}):
 * which clients watch which server ports and for what, and the lines sent
 * to them when a watched connection's verdict changes. The server owns the
 * clients; this only writes to their sockets.
 */
import type net from 'node:net';
import type { ConnVerdict } from '../state/conn-verdicts.js';
import { connEventLine, jsonError, MAX_WATCHED_PORTS } from './json.js';
import type { WatchUntil } from './json-types.js';
import type { HostView } from './types.js';

/** What events have told of a connection (bits): its client's SYN verdict, its HTTP request's. */
const KNOWS_SYN = 1;
const KNOWS_HTTP = 2;
/** What a watching client waits for, by its watch's "until"; EVERY_CHANGE without one. */
const WANTS: Readonly<Record<WatchUntil, number>> = { syn: KNOWS_SYN, http: KNOWS_SYN | KNOWS_HTTP };
const EVERY_CHANGE = -1;

/** What the events need of a server's client. */
export interface Watcher {
  sock: net.Socket;
  active: boolean;
  closing: boolean;
  /** performance.now() of its last activity; events sent count as such. */
  lastMs: number;
  /** Server ports this client watches ({"op":"watch"}), each with what it waits for (WANTS), or null. */
  watch: Map<number, number> | null;
}

export class WatchEvents<C extends Watcher> {
  /** Clients that watch at least one port. */
  readonly watchers = new Set<C>();
  /** Connections whose verdicts changed since events were last sent. */
  private readonly touched = new Set<ConnVerdict>();
  /**
   * What events have told of each connection so far (KNOWS_* bits), kept on
   * the verdict under this object's own key: a WeakMap would cost every
   * minor GC ephemeron work for each connection.
   */
  private readonly kTold = Symbol('events told');
  private eventsQueued = false;

  constructor(
    private readonly host: (addr: string) => HostView | undefined,
    private readonly maxOutput: number,
    private readonly stats: { events: number; eventsDropped: number },
  ) {}

  /** Adds a watched port for a client; gives an error answer instead when it watches too many. */
  watch(c: C, port: number, until: WatchUntil | undefined): string | null {
    c.watch ??= new Map();
    if (c.watch.size >= MAX_WATCHED_PORTS && !c.watch.has(port)) return jsonError(`at most ${MAX_WATCHED_PORTS} watched ports per client`);
    c.watch.set(port, until ? WANTS[until] : EVERY_CHANGE);
    this.watchers.add(c);
    return null;
  }

  /** The client is gone. */
  forget(c: C): void {
    this.watchers.delete(c);
  }

  /**
   * Tells the clients watching `v.srvPort` about the connection's verdict
   * (call it after ConnVerdicts.observe). Events are sent once per turn of
   * the event loop, one line per connection changed in it (that the client
   * still wants: see its watch's "until"), in one write per client; a client
   * that is not reading its socket misses them (counted).
   */
  notify(v: ConnVerdict): void {
    if (!this.watchers.size || !this.isWatched(v.srvPort)) return;
    this.touched.add(v);
    if (!this.eventsQueued) {
      this.eventsQueued = true;
      setImmediate(this.sendEvents);
    }
  }

  private isWatched(port: number): boolean {
    for (const c of this.watchers) if (c.watch!.has(port)) return true;
    return false;
  }

  private readonly sendEvents = (): void => {
    this.eventsQueued = false;
    const touched = [...this.touched];
    this.touched.clear();
    // What each connection's events have said so far: a client that waits
    // only for the client's SYN (or HTTP request) hears of each connection
    // until that is known, not of every later change (the server's SYN+ACK,
    // its HTTP response, ...): a web server parses each event it gets.
    const fresh: number[] = [];
    for (const v of touched as Array<ConnVerdict & Record<symbol, number | undefined>>) {
      const known = (v.client.tcp ? KNOWS_SYN : 0) | (v.client.http ? KNOWS_HTTP : 0);
      const before = v[this.kTold] ?? 0;
      fresh.push(known & ~before);
      if (known & ~before) v[this.kTold] = before | known;
    }
    // Each connection's line, whole (for watches without "until") and with
    // the client's side only (for the others), made once for all clients.
    const lines = new Map<ConnVerdict, string>();
    const clientLines = new Map<ConnVerdict, string>();
    for (const c of this.watchers) {
      if (c.closing || !c.active) continue;
      let out = '';
      let n = 0;
      for (let i = 0; i < touched.length; i++) {
        const v = touched[i]!;
        const wants = c.watch!.get(v.srvPort);
        if (wants === undefined || (wants !== EVERY_CHANGE && !(fresh[i]! & wants))) continue;
        const clientOnly = wants !== EVERY_CHANGE;
        const made = clientOnly ? clientLines : lines;
        let line = made.get(v);
        if (line === undefined) {
          line = connEventLine(this.host(v.cli), v, clientOnly);
          made.set(v, line);
        }
        out += line;
        n++;
      }
      if (!n) continue;
      if (c.sock.writableLength > this.maxOutput) {
        this.stats.eventsDropped += n;
        continue;
      }
      c.lastMs = performance.now();
      c.sock.write(out);
      this.stats.events += n;
    }
  };
}
