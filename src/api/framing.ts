/**
 * What the query server's framing modules share (frame-v3.ts, frame-v2.ts,
 * frame-json.ts, one per wire protocol, and query-loop.ts, which tells them
 * apart): the connection they read, what they answer from, and what one
 * returns. A framer is given a buffer and the offset of a query's first
 * byte; it answers the query when it is complete and returns the offset
 * after it, or NEED_MORE, or ENDED.
 */
import type { AnswerWriter } from './answers.js';
import type { ServerStatus, WatchUntil } from './json-types.js';
import type { ApiServerStats } from './server-stats.js';
import type { HostView, PofLookup } from './types.js';
import type { V2Context } from './v2.js';
import type { Watcher } from './watch-events.js';

/** The query at the offset is not complete yet. */
export const NEED_MORE = -1;
/** The connection is being ended (its last answer given): read no further. */
export const ENDED = -2;

/** A connection, as the framers see it. */
export interface QueryClient extends Watcher {
  /** Bytes read and not yet answered, from a query's first byte; null when none. */
  buf: Buffer | null;
  /** Its answers are not being read: reading its queries stopped. */
  blocked: boolean;
  answers: AnswerWriter;
}

/** What the framers answer from and count into (made once by the server). */
export interface QueryContext<C extends QueryClient> {
  readonly stats: ApiServerStats;
  readonly lookup: PofLookup;
  readonly hostByText: (addr: string) => HostView | undefined;
  readonly hostByBytes: ((buf: Uint8Array, off: number, ver: 4 | 6) => HostView | undefined) | undefined;
  /** p0f 2 lookups and status answers. */
  readonly v2: V2Context;
  readonly maxJsonLine: number;
  /** Unread answer bytes after which a client's input is no longer read. */
  readonly maxOutput: number;
  /** p0f 2 connections stay open after the answer. */
  readonly v2KeepAlive: boolean;
  readonly status: () => ServerStatus;
  /** Adds a watched port; an error answer instead when refused. */
  readonly watch: (c: C, port: number, until: WatchUntil | undefined) => string | null;
  /** Gives the last answer and ends the connection. */
  readonly finish: (c: C, last: Buffer | string) => void;
}
