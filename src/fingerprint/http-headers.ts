/**
 * The HTTP header reader: decides whether a connection speaks HTTP/1.x and
 * reads a request's or response's header block from the bytes collected
 * so far (as they grow), into an HttpMessage. Pure.
 *
 * It follows p0f 3.09b's rules and limits to the byte, including its odd
 * corners, because the records must come out the same:
 * - only "GET /" and "HEAD /" requests are looked at;
 * - a response's status line is re-checked each time more bytes arrive,
 *   so a header line that was incomplete at that moment is skipped.
 *
 * Bytes are handled as latin1 strings: one char per byte. What a message
 * says as a signature is http-describe.ts's; its Date, http-date.ts's.
 */
import { parseHttpDate } from './http-date.js';
import type { HttpMatchInput } from './http-sig.js';

/** Longest request line / status line looked at (p0f HTTP_MAX_URL). */
export const HTTP_MAX_URL = 1024;
/** Most headers read from one message (p0f HTTP_MAX_HDRS). */
export const HTTP_MAX_HDRS = 32;
/** Longest header name (p0f HTTP_MAX_HDR_NAME). */
export const HTTP_MAX_HDR_NAME = 32;
/** Longest header value (p0f HTTP_MAX_HDR_VAL). */
export const HTTP_MAX_HDR_VAL = 1024;
/** Shortest request p0f starts looking at, and shortest response. */
export const HTTP_MIN_REQUEST = 15;
export const HTTP_MIN_RESPONSE = 13;
/** The response header whose value p0f parses as the server's date. */
export const DATE_HEADER = 'Date';

const CR = 0x0d;
const LF = 0x0a;

export interface HttpHeader {
  /** Name as sent (ASCII letters, digits, '-', '_'). */
  name: string;
  /**
   * Value without the line end, cut at its first NUL byte (p0f keeps C
   * strings); null when the value was empty.
   */
  value: string | null;
}

/** One request's or response's header block, as collected. */
export interface HttpMessage extends HttpMatchInput {
  ver: 0 | 1;
  hdrs: HttpHeader[];
  /** Last User-Agent (request) / Server (response) value. */
  sw: string | null;
  /** Last Accept-Language value (requests). */
  lang: string | null;
  /** Last Via or X-Forwarded-For value. */
  via: string | null;
  /** Unix time read from the DATE_HEADER of a response; 0 when none. */
  date: number;
  /** Packet time (s) the header block was complete. */
  recvDate: number;
}

export function newHttpMessage(): HttpMessage {
  return { ver: 0, hdrs: [], sw: null, lang: null, via: null, date: 0, recvDate: 0 };
}

/**
 * Per-connection reading state (p0f's in_http, http_req_done, http_pos and
 * the signature being collected). Bounded: at most HTTP_MAX_HDRS headers
 * of bounded size.
 */
export class HttpFlowState {
  /** 0 not decided yet, 1 HTTP, -1 given up. */
  inHttp: -1 | 0 | 1 = 0;
  reqDone = false;
  /** Where reading resumes in the current direction's bytes. */
  pos = 0;
  msg: HttpMessage = newHttpMessage();
}

export interface FeedResult {
  /** Whether this connection is still worth watching (p0f's return value). */
  needMore: boolean;
  /** A header block that just completed (already detached from the state). */
  complete: HttpMessage | null;
}

const MORE: FeedResult = Object.freeze({ needMore: true, complete: null }) as FeedResult;
const DONE: FeedResult = Object.freeze({ needMore: false, complete: null }) as FeedResult;

function verdict(needMore: boolean): FeedResult {
  return needMore ? MORE : DONE;
}

function isNameByte(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x2d || c === 0x5f;
}

function startsWith(buf: Buffer, off: number, s: string): boolean {
  for (let i = 0; i < s.length; i++) if (buf[off + i] !== s.charCodeAt(i)) return false;
  return true;
}

function giveUp(st: HttpFlowState): FeedResult {
  st.inHttp = -1;
  return DONE;
}

/**
 * Scans the first line from st.pos: returns the offset of its '\n', or a
 * FeedResult when the line is bad or not complete yet.
 */
function scanFirstLine(st: HttpFlowState, buf: Buffer, len: number, minOff: number, canGetMore: boolean): number | FeedResult {
  let off = st.pos;
  while (off < len && off < HTTP_MAX_URL) {
    const c = buf[off]!;
    if (c === LF) break;
    if (c !== CR && (c < 0x20 || c > 0x7f)) return giveUp(st);
    off++;
  }
  if (off === HTTP_MAX_URL || off < minOff) return giveUp(st);
  if (off === len) {
    st.pos = off;
    if (!canGetMore) st.inHttp = -1;
    return verdict(canGetMore);
  }
  return off;
}

/**
 * Feeds the client's bytes (all of them so far: buf[0..len)). canGetMore
 * is false once the per-flow limit is reached.
 */
export function feedRequest(st: HttpFlowState, buf: Buffer | null, len: number, canGetMore: boolean): FeedResult {
  if (st.inHttp < 0) return DONE;
  if (st.reqDone) return MORE;
  if (!buf) return verdict(canGetMore);
  if (st.inHttp === 0) {
    if (len < HTTP_MIN_REQUEST) return verdict(canGetMore);
    if (st.pos === 0 && !startsWith(buf, 0, 'GET /') && !startsWith(buf, 0, 'HEAD /')) return giveUp(st);
    const off = scanFirstLine(st, buf, len, HTTP_MIN_REQUEST - 1, canGetMore);
    if (typeof off !== 'number') return off;
    let sigAt = off - 8;
    if (buf[off - 1] === CR) sigAt--;
    if (!startsWith(buf, sigAt, 'HTTP/1.')) return giveUp(st);
    st.msg.ver = buf[sigAt + 7] === 0x31 ? 1 : 0;
    st.inHttp = 1;
    st.pos = off + 1;
  }
  return readHeaders(true, st, buf, len, canGetMore);
}

/** Feeds the server's bytes, as feedRequest. */
export function feedResponse(st: HttpFlowState, buf: Buffer | null, len: number, canGetMore: boolean): FeedResult {
  if (st.inHttp < 0) return DONE;
  if (st.inHttp === 0 || !st.reqDone) return giveUp(st);
  if (len < HTTP_MIN_RESPONSE || !buf) return verdict(canGetMore);
  // p0f never records that it has seen the status line, so it scans "the
  // first line" again from wherever it stopped, on every call.
  const off = scanFirstLine(st, buf, len, HTTP_MIN_RESPONSE, canGetMore);
  if (typeof off !== 'number') return off;
  if (!startsWith(buf, 0, 'HTTP/1.')) return giveUp(st);
  st.msg.ver = buf[7] === 0x31 ? 1 : 0;
  st.pos = off + 1;
  return readHeaders(false, st, buf, len, canGetMore);
}

/** Value bytes as a C string would hold them: up to the first NUL. */
function cString(buf: Buffer, start: number, end: number): string {
  const z = buf.indexOf(0, start);
  return buf.toString('latin1', start, z >= 0 && z < end ? z : end);
}

function readHeaders(toSrv: boolean, st: HttpFlowState, buf: Buffer, len: number, canGetMore: boolean): FeedResult {
  const msg = st.msg;
  while (st.pos < len) {
    let off = st.pos;
    const first = buf[off]!;
    if (first === CR || first === LF) {
      // End of the header block.
      if (toSrv) {
        st.reqDone = true;
        st.pos = 0;
        st.msg = newHttpMessage();
        return { needMore: true, complete: msg };
      }
      st.inHttp = -1;
      return { needMore: false, complete: msg };
    }
    if (msg.hdrs.length >= HTTP_MAX_HDRS) return giveUp(st);

    let nlen = 0;
    while (off < len && isNameByte(buf[off]!) && nlen <= HTTP_MAX_HDR_NAME) {
      off++;
      nlen++;
    }
    if (off === len) {
      if (!canGetMore) st.inHttp = -1;
      return verdict(canGetMore);
    }
    if (!nlen || buf[off] !== 0x3a || nlen > HTTP_MAX_HDR_NAME) return giveUp(st);
    off++;
    if (off < len && (buf[off] === 0x20 || buf[off] === 0x09)) off++;
    const vstart = off;
    let vlen = 0;
    while (off < len && vlen <= HTTP_MAX_HDR_VAL && buf[off] !== LF) {
      off++;
      vlen++;
    }
    if (vlen > HTTP_MAX_HDR_VAL) {
      // p0f gives up on the flow here but (returning -1 as "need more")
      // keeps watching the connection.
      st.inHttp = -1;
      return MORE;
    }
    if (off === len) {
      if (!canGetMore) st.inHttp = -1;
      return verdict(canGetMore);
    }
    if (vlen && buf[off - 1] === CR) vlen--;

    const name = buf.toString('latin1', st.pos, st.pos + nlen);
    const value = vlen ? cString(buf, vstart, vstart + vlen) : null;
    if (value !== null) {
      if (toSrv) {
        if (name === 'User-Agent') msg.sw = value;
        else if (name === 'Accept-Language') msg.lang = value;
        else if (name === 'Via' || name === 'X-Forwarded-For') msg.via = value;
      } else {
        if (name === 'Server') msg.sw = value;
        else if (name === DATE_HEADER) msg.date = parseHttpDate(value);
        else if (name === 'Via' || name === 'X-Forwarded-For') msg.via = value;
      }
    }
    msg.hdrs.push({ name, value });
    st.pos = off + 1;
  }
  if (!canGetMore) st.inHttp = -1;
  return verdict(canGetMore);
}
