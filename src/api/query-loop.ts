/**
 * The query loop: answers the complete queries a connection has sent, in
 * order, telling the three protocols apart at each query boundary by the
 * first byte (one connection may mix them):
 *
 *   0xed     (p0f 2 magic 0x0defaced LE)  -> frame-v2.ts, 24 bytes
 *   '{'                                    -> frame-json.ts, one line
 *   0x01 ... (p0f 3 magic 0x50304601 LE)
 *            and anything else             -> frame-v3.ts, 21 bytes
 *
 * Spaces, tabs, CR and LF between queries are skipped. A client that does
 * not read its answers (more than maxOutput unread) stops being read.
 */
import { answerJsonQuery, JSON_FIRST, JSON_TOO_SLOW } from './frame-json.js';
import { answerV2Query, V2_FIRST } from './frame-v2.js';
import { answerV3Query } from './frame-v3.js';
import { ENDED, NEED_MORE, type QueryClient, type QueryContext } from './framing.js';

/** Told of each answered query: its protocol and how long it took (seconds), for metrics. */
export type QueryTimer = (protocol: 'v3' | 'v2' | 'json', seconds: number) => void;

/**
 * Answers every complete query at the head of c.buf and keeps the rest
 * there (a subarray; null when nothing is left). Returns whether any query
 * was answered. Stops at an incomplete query, when the client's unread
 * answers pass maxOutput (c.blocked, its socket paused), or when a
 * protocol ends the connection (c.closing).
 *
 * With `timer`, each answered query is timed from the start of this call
 * (its last bytes have just been read) to its answer written (the flush
 * after the loop, which sends all of them): one performance.now() pair per
 * call, and nothing at all without a timer.
 */
export function answerQueries<C extends QueryClient>(c: C, ctx: QueryContext<C>, timer?: QueryTimer): boolean {
  const buf = c.buf;
  const out = c.answers;
  const t0 = timer ? performance.now() : 0;
  let v3 = 0;
  let v2 = 0;
  let json = 0;
  let off = 0;
  let answered = false;
  while (buf && off < buf.length && !c.closing) {
    if (out.unread > ctx.maxOutput) {
      out.flush();
      c.blocked = true;
      c.sock.pause();
      break;
    }
    const b0 = buf[off]!;
    if (b0 === 0x0a || b0 === 0x0d || b0 === 0x20 || b0 === 0x09) {
      off++; // blank space between JSON lines
      continue;
    }
    const next = b0 === JSON_FIRST ? answerJsonQuery(c, buf, off, ctx) : b0 === V2_FIRST ? answerV2Query(c, buf, off, ctx) : answerV3Query(c, buf, off, ctx);
    if (next === NEED_MORE) break;
    if (timer) {
      if (b0 === JSON_FIRST) json++;
      else if (b0 === V2_FIRST) v2++;
      else v3++;
    }
    if (next === ENDED) {
      // Its last answer went out with the end of the connection.
      if (timer) timeQueries(timer, t0, v3, v2, json);
      return true;
    }
    off = next;
    answered = true;
  }
  out.flush();
  if (!c.closing) c.buf = buf && off < buf.length ? buf.subarray(off) : null;
  if (timer && answered) timeQueries(timer, t0, v3, v2, json);
  return answered;
}

function timeQueries(timer: QueryTimer, t0: number, v3: number, v2: number, json: number): void {
  const s = (performance.now() - t0) / 1000;
  for (let i = 0; i < v3; i++) timer('v3', s);
  for (let i = 0; i < v2; i++) timer('v2', s);
  for (let i = 0; i < json; i++) timer('json', s);
}

/**
 * What a connection whose query did not complete in time is told before it
 * is closed: its error line for JSON, nothing for the binary protocols.
 */
export function tooSlowAnswer(firstByte: number | undefined): string | null {
  return firstByte === JSON_FIRST ? JSON_TOO_SLOW : null;
}
