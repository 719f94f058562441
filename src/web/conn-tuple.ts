/** A request socket's connection: its 4-tuple, as pof names the ends. */
import type net from 'node:net';
import { canonicalAddress } from '../net/addr.js';
import { proxyTupleOf } from './proxy-protocol-reader.js';
import type { ConnTuple } from './result.js';
import { kernelTuple } from './saved-syn.js';

/**
 * The 4-tuple of an accepted socket (IPv4-mapped IPv6 addresses as IPv4,
 * IPv6 in pof's canonical text), or null (closed, not TCP).
 */
export function connTuple(socket: net.Socket): ConnTuple | null {
  // One native call where the addon is built (Linux); else Node's getters.
  const k = kernelTuple(socket);
  if (k !== undefined) return k;
  const ra = socket.remoteAddress;
  const la = socket.localAddress;
  const rp = socket.remotePort;
  const lp = socket.localPort;
  if (!ra || !la || rp === undefined || lp === undefined) return null;
  const c = canonicalAddress(ra);
  const s = canonicalAddress(la);
  if (!c || !s || c.ver !== s.ver) return null;
  return { ipVer: c.ver, cli: c.addr, cliPort: rp, srv: s.addr, srvPort: lp };
}

/**
 * The client's connection: as a trusted proxy's PROXY header names it
 * (withProxyProtocol), else the socket's own (a LOCAL or UNKNOWN header
 * names none: the real endpoints apply).
 */
export function clientTuple(socket: net.Socket): ConnTuple | null {
  return proxyTupleOf(socket) ?? connTuple(socket);
}
