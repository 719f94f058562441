/**
 * decodePacket: one capture record to one TCP view. Never throws, never
 * allocates; `out` is meaningful only when the result is 'ok' and only until
 * the next call.
 */
import type { PacketRecord } from '../capture/types.js';
import { SNAPLEN } from '../config.js';
import { decodeLink } from './link.js';
import type { DecodeOutcome, TcpPacket } from './types.js';

const SNAP = SNAPLEN;

export function decodePacket(rec: PacketRecord, out: TcpPacket): DecodeOutcome {
  const buf = rec.data;
  const off = rec.offset;
  // As p0f: the smaller of wire and captured length, at most SNAPLEN; and
  // never past the buffer, whatever the record claims.
  let len = rec.caplen;
  if (rec.wirelen < len) len = rec.wirelen;
  if (len > SNAP) len = SNAP;
  const room = buf.length - off;
  if (len > room) len = room;
  // Also catches NaN, negative and fractional offsets or lengths.
  if (!(len > 0) || !(off >= 0) || Math.floor(off) !== off) return 'truncated';
  len = Math.floor(len);
  out.encap = 0;
  return decodeLink(buf, off, off + len, rec.linkType, out);
}
