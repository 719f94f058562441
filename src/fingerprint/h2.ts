/**
 * The start of an HTTP/2 connection as its client sends it (RFC 9113
 * sections 3.4, 4.1, 6), read for the passive fingerprint of Shuster,
 * Segal and Fridman ("Passive Fingerprinting of HTTP/2 Clients", Akamai,
 * Black Hat EU 2017):
 *
 *   SETTINGS|WINDOW_UPDATE|PRIORITY|pseudo-header order
 *
 *   SETTINGS       the first SETTINGS frame's parameters as id:value, in
 *                  the order sent, joined by ';' (empty for an empty frame)
 *   WINDOW_UPDATE  the increment of the first connection-level (stream 0)
 *                  WINDOW_UPDATE, or '00' when none came before the first
 *                  request
 *   PRIORITY       each PRIORITY frame before the first request as
 *                  stream:exclusive:dependency:weight (weight 1 to 256, the
 *                  wire byte plus one, as RFC 9113 5.3.2 counts it), joined
 *                  by ','; '0' when none
 *   pseudo-header  the first request's pseudo-headers as letters
 *                  (m :method, a :authority, s :scheme, p :path), joined by
 *                  ','
 *
 * The frames are read from the client's plaintext, from its first byte
 * (the 24-byte preface) up to the first HEADERS frame: the first request.
 * Its header block (HPACK) is not decoded here; the pseudo-header order
 * comes from the header names as an HTTP/2 library hands them over, in
 * wire order (pseudoHeaderOrder).
 *
 * Given a prefix, the answer is complete (the first request was reached,
 * or a frame that cannot precede it), more bytes are needed (with what was
 * read so far), or the bytes are not an HTTP/2 client's start (and why).
 * Bounded (bytes, settings and PRIORITY frames kept); nothing here throws
 * or reads outside [start, end).
 */

/** The client connection preface (RFC 9113 3.4). */
export const H2_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');
/** Frame header: length (3), type, flags, stream id (4, top bit reserved). */
export const H2_FRAME_HEADER_LEN = 9;

export const H2FrameType = {
  DATA: 0,
  HEADERS: 1,
  PRIORITY: 2,
  RST_STREAM: 3,
  SETTINGS: 4,
  PUSH_PROMISE: 5,
  PING: 6,
  GOAWAY: 7,
  WINDOW_UPDATE: 8,
  CONTINUATION: 9,
} as const;

const FLAG_ACK = 0x1;
const SETTING_LEN = 6;
const PRIORITY_LEN = 5;
const WINDOW_UPDATE_LEN = 4;

/**
 * Largest frame a client may send before it knows the server's settings:
 * SETTINGS_MAX_FRAME_SIZE's initial value (RFC 9113 6.5.2).
 */
export const H2_INITIAL_MAX_FRAME_SIZE = 16384;
/** Most bytes read looking for the first request (preface and frame headers included). */
export const H2_MAX_START_BYTES = 16 * 1024;
/** Most SETTINGS parameters and PRIORITY frames kept; more are counted, not kept. */
export const H2_MAX_SETTINGS = 32;
export const H2_MAX_PRIORITIES = 32;

export interface H2Setting {
  id: number;
  value: number;
}

export interface H2Priority {
  /** The stream the PRIORITY frame is about. */
  stream: number;
  exclusive: boolean;
  /** The stream it depends on. */
  dependsOn: number;
  /** 1 to 256: the wire byte plus one. */
  weight: number;
}

/** What a client sent before its first request. */
export interface H2Start {
  /** The first SETTINGS frame's parameters, in order (at most H2_MAX_SETTINGS). */
  settings: H2Setting[];
  /** The first connection-level WINDOW_UPDATE increment; 0 when none. */
  windowUpdate: number;
  /** PRIORITY frames, in order (at most H2_MAX_PRIORITIES). */
  priorities: H2Priority[];
  /** Settings and PRIORITY frames past the caps (counted, not kept). */
  dropped: number;
  /** Frames read after the preface. */
  frames: number;
}

export type H2Reason =
  /** The bytes are not the client preface. */
  | 'not-h2'
  /** The preface is not followed by a SETTINGS frame (RFC 9113 3.4). */
  | 'no-settings'
  /** A frame longer than a client may send yet, or a SETTINGS, PRIORITY or WINDOW_UPDATE frame of the wrong length. */
  | 'bad-frame'
  /** No request within the byte limit. */
  | 'too-large';

export type H2StartRead =
  /**
   * The first request was reached ('headers': a HEADERS frame starts at
   * `end`), or a frame that no client sends before it ('other': a DATA,
   * RST_STREAM, PUSH_PROMISE, GOAWAY or CONTINUATION frame).
   */
  | { kind: 'complete'; start: H2Start; by: 'headers' | 'other'; end: number }
  /** More bytes are needed; `start` is what was read so far (null before the preface and the first SETTINGS are whole). */
  | { kind: 'need-more'; start: H2Start | null }
  | { kind: 'invalid'; reason: H2Reason };

export interface H2ReadOptions {
  /** Most bytes, from `start`, read looking for the first request (default H2_MAX_START_BYTES). */
  limit?: number;
}

const INVALID: Record<H2Reason, H2StartRead> = {
  'not-h2': { kind: 'invalid', reason: 'not-h2' },
  'no-settings': { kind: 'invalid', reason: 'no-settings' },
  'bad-frame': { kind: 'invalid', reason: 'bad-frame' },
  'too-large': { kind: 'invalid', reason: 'too-large' },
};

/**
 * Reads the client's frames from `buf[start, end)` (its plaintext from the
 * first byte). Call again with the longer prefix as bytes arrive. The
 * 'invalid' answers are shared objects: do not mutate them.
 */
export function readH2Start(buf: Buffer, start = 0, end = buf.length, opts: H2ReadOptions = {}): H2StartRead {
  const limit = opts.limit ?? H2_MAX_START_BYTES;
  if (end > buf.length) end = buf.length;
  if (start < 0) start = 0;
  const have = end - start;
  const n = have < H2_PREFACE.length ? have : H2_PREFACE.length;
  if (n > 0 && buf.compare(H2_PREFACE, 0, n, start, start + n) !== 0) return INVALID['not-h2'];
  if (have < H2_PREFACE.length) return { kind: 'need-more', start: null };

  const st: H2Start = { settings: [], windowUpdate: 0, priorities: [], dropped: 0, frames: 0 };
  let settingsSeen = false;
  let p = start + H2_PREFACE.length;
  for (;;) {
    if (p - start >= limit) return INVALID['too-large'];
    if (p + H2_FRAME_HEADER_LEN > end) return { kind: 'need-more', start: settingsSeen ? st : null };
    const len = (buf[p] << 16) | (buf[p + 1] << 8) | buf[p + 2];
    const type = buf[p + 3];
    const flags = buf[p + 4];
    const stream = buf.readUInt32BE(p + 5) & 0x7fffffff;
    if (len > H2_INITIAL_MAX_FRAME_SIZE) return INVALID['bad-frame'];
    if (!settingsSeen && type !== H2FrameType.SETTINGS) return INVALID['no-settings'];
    switch (type) {
      case H2FrameType.HEADERS:
        return { kind: 'complete', start: st, by: 'headers', end: p };
      case H2FrameType.DATA:
      case H2FrameType.RST_STREAM:
      case H2FrameType.PUSH_PROMISE:
      case H2FrameType.GOAWAY:
      case H2FrameType.CONTINUATION:
        return { kind: 'complete', start: st, by: 'other', end: p };
      default:
        break;
    }
    const body = p + H2_FRAME_HEADER_LEN;
    if (body + len > end) {
      // Only the frames read from need to be whole; the rest is skipped.
      if (type === H2FrameType.SETTINGS || type === H2FrameType.PRIORITY || type === H2FrameType.WINDOW_UPDATE) {
        if (body + len - start > limit) return INVALID['too-large'];
        return { kind: 'need-more', start: settingsSeen ? st : null };
      }
    }
    if (type === H2FrameType.SETTINGS) {
      if (stream !== 0 || len % SETTING_LEN !== 0) return INVALID['bad-frame'];
      if (!settingsSeen) {
        // The preface's SETTINGS (an ACK cannot come first: the server has said nothing yet).
        if ((flags & FLAG_ACK) !== 0) return INVALID['no-settings'];
        for (let q = body; q < body + len; q += SETTING_LEN) {
          if (st.settings.length < H2_MAX_SETTINGS) st.settings.push({ id: buf.readUInt16BE(q), value: buf.readUInt32BE(q + 2) });
          else st.dropped++;
        }
        settingsSeen = true;
      }
    } else if (type === H2FrameType.PRIORITY) {
      if (len !== PRIORITY_LEN) return INVALID['bad-frame'];
      const dep = buf.readUInt32BE(body);
      if (st.priorities.length < H2_MAX_PRIORITIES) {
        st.priorities.push({ stream, exclusive: dep >>> 31 === 1, dependsOn: dep & 0x7fffffff, weight: buf[body + 4] + 1 });
      } else st.dropped++;
    } else if (type === H2FrameType.WINDOW_UPDATE) {
      if (len !== WINDOW_UPDATE_LEN) return INVALID['bad-frame'];
      if (stream === 0 && st.windowUpdate === 0) st.windowUpdate = buf.readUInt32BE(body) & 0x7fffffff;
    }
    // PING, a later SETTINGS, stream WINDOW_UPDATEs and unknown types
    // (which RFC 9113 5.5 says to ignore) are passed over.
    st.frames++;
    p = body + len;
  }
}

const PSEUDO_LETTER: Readonly<Record<string, string>> = { ':method': 'm', ':authority': 'a', ':scheme': 's', ':path': 'p' };

/**
 * The pseudo-header order of a request, from its header names in wire
 * order (Node's rawHeaders: name, value, name, value, ...; `step` 2), as
 * letters joined by ','. Pseudo-headers other than the four (:protocol)
 * are left out; the first of each letter counts.
 */
export function pseudoHeaderOrder(names: readonly string[], step = 1): string {
  let out = '';
  let seen = 0;
  for (let i = 0; i < names.length && seen < 4; i += step) {
    const name = names[i];
    // Pseudo-headers come before every other header (RFC 9113 8.3).
    if (typeof name !== 'string' || name.charCodeAt(0) !== 0x3a) break;
    const letter = PSEUDO_LETTER[name];
    if (letter === undefined || out.includes(letter)) continue;
    out = out ? out + ',' + letter : letter;
    seen++;
  }
  return out;
}

/** The fingerprint string, e.g. `1:65536;2:0;4:6291456;6:262144|15663105|0|m,a,s,p`. */
export function h2Fingerprint(st: H2Start, pseudo: string): string {
  let settings = '';
  for (const s of st.settings) settings += (settings ? ';' : '') + s.id + ':' + s.value;
  let prio = '';
  for (const q of st.priorities) prio += (prio ? ',' : '') + q.stream + ':' + (q.exclusive ? 1 : 0) + ':' + q.dependsOn + ':' + q.weight;
  return settings + '|' + (st.windowUpdate === 0 ? '00' : String(st.windowUpdate)) + '|' + (prio || '0') + '|' + pseudo;
}
