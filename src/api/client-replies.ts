/**
 * What a pof (or p0f 3) server sends a client, cut into units by the
 * protocols' own shapes, not by byte prefixes:
 *
 *   - a JSON line (it begins with '{' and ends at '\n') is an object: one
 *     with "event" is an event told to a watching client (events come
 *     between answers, never inside one); one with "status" is the answer
 *     to the oldest JSON question;
 *   - anything else is a p0f 3 answer: 232 bytes, beginning with its magic
 *     (whose first byte, 0x02, is never '{').
 *
 * While a JSON answer is awaited, a line is read whatever it begins with
 * (a server that is not pof fails that question: "answer is not JSON").
 * A line that is not a readable object, when no JSON answer is awaited,
 * is an unreadable event (counted by the client, never fatal). Pure.
 */
import { V3_RESP_SIZE } from './v3.js';

/** Longest JSON line accepted from the server. */
export const MAX_ANSWER_LINE = 1 << 20;

const LF = 0x0a;
const JSON_FIRST = 0x7b; // '{'

/** The answer a question awaits: p0f 3's binary one, or a JSON line. */
export type AnswerKind = 'v3' | 'json';

/**
 * One unit read (a scratch object, refilled by each readReply):
 *   partial  not all of it has come yet
 *   answer   `value` answers the oldest question: a Buffer (p0f 3, a copy)
 *            or the JSON answer object
 *   event    `value` is the event object, or null when unreadable
 *   error    the server said something that cannot be: `error` says what,
 *            and `ofAnswer` whether it was the awaited answer (that
 *            question fails) or came between answers
 * `end` is the offset after the unit (answer, event).
 */
export interface Reply {
  kind: 'partial' | 'answer' | 'event' | 'error';
  value: unknown;
  end: number;
  error: string;
  ofAnswer: boolean;
}

export function newReply(): Reply {
  return { kind: 'partial', value: null, end: 0, error: '', ofAnswer: false };
}

function done(r: Reply, kind: 'answer' | 'event', value: unknown, end: number): Reply {
  r.kind = kind;
  r.value = value;
  r.end = end;
  return r;
}

function failed(r: Reply, error: string, ofAnswer = true): Reply {
  r.kind = 'error';
  r.error = error;
  r.ofAnswer = ofAnswer;
  r.value = null;
  return r;
}

/** Reads the unit at buf[off] into `r` (and returns it); `awaiting` is the oldest unanswered question's kind, if any. */
export function readReply(buf: Buffer, off: number, awaiting: AnswerKind | null, r: Reply): Reply {
  r.kind = 'partial';
  if (buf[off] !== JSON_FIRST && awaiting !== 'json') {
    if (awaiting === null) return failed(r, 'unexpected bytes from server', false);
    if (buf.length - off < V3_RESP_SIZE) return r;
    // Copy: the answer outlives the read buffer.
    return done(r, 'answer', Buffer.from(buf.subarray(off, off + V3_RESP_SIZE)), off + V3_RESP_SIZE);
  }
  const nl = buf.indexOf(LF, off);
  if (nl === -1) {
    if (buf.length - off > MAX_ANSWER_LINE) return awaiting === 'json' ? failed(r, 'answer line too long') : failed(r, 'event line too long', false);
    return r;
  }
  let o: unknown;
  try {
    o = JSON.parse(buf.toString('utf8', off, nl));
  } catch {
    if (awaiting === 'json') return failed(r, 'answer is not JSON (is this a pof socket?)');
    return done(r, 'event', null, nl + 1);
  }
  const obj = typeof o === 'object' && o !== null && !Array.isArray(o) ? (o as Record<string, unknown>) : null;
  if (obj && typeof obj.event === 'string') return done(r, 'event', obj, nl + 1);
  if (awaiting !== 'json') {
    if (obj && typeof obj.status === 'string') return awaiting === null ? failed(r, 'unexpected bytes from server', false) : failed(r, 'a JSON answer where a p0f 3 answer was due');
    return done(r, 'event', null, nl + 1);
  }
  if (!obj || typeof obj.status !== 'string') return failed(r, 'answer has no status');
  return done(r, 'answer', obj, nl + 1);
}
