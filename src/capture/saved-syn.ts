/**
 * Saved SYNs, the binding: on Linux a listening socket with TCP_SAVE_SYN
 * keeps the headers of each connection's SYN (IP header onward; mode 2
 * would add the link header), and the accepted socket hands them out once
 * with getsockopt(TCP_SAVED_SYN). This file only moves those bytes between
 * the kernel and JS; fingerprint/syn-verdict.ts turns them into a verdict,
 * web/saved-syn.ts decides when a server's listening socket gets the option.
 *
 * The two socket options go through a small addon of pof's own
 * (native/saved_syn.cc; prebuilt in the package for linux-x64, built apart
 * from the libpcap addon and needing no libpcap, see native.ts beside this
 * file); Node exposes a socket's descriptor as `_handle.fd`.
 * The same addon gives both ends of a socket in one call (kernelTuple),
 * for connections with no saved SYN to read them from (synTuple).
 * System calls are what a new connection costs most here: a request
 * reads its SYN with one, and makes none for its addresses.
 */
import type net from 'node:net';

import { PofError } from '../errors.js';
import { addrToString } from '../net/addr.js';
import { loadNativeAddon } from './native.js';

interface SavedSynAddon {
  setSaveSyn(fd: number, mode: number): void;
  getSavedSyn(fd: number): Buffer | null;
  getSavedSynInto(fd: number, buf: Buffer): number;
  getNames(fd: number, buf: Buffer): number;
  supported: boolean;
}

/** A TCP connection's two ends, in pof's text (the web side's ConnTuple). */
export interface SocketTuple {
  ipVer: 4 | 6;
  cli: string;
  cliPort: number;
  srv: string;
  srvPort: number;
}

let addon: SavedSynAddon | null | undefined;
let addonError = '';

function loadAddon(): SavedSynAddon | null {
  if (addon !== undefined) return addon;
  if (process.platform !== 'linux') {
    addonError = 'saved SYNs (TCP_SAVE_SYN) exist on Linux only';
    addon = null;
    return addon;
  }
  const r = loadNativeAddon<SavedSynAddon>('pof_saved_syn');
  if ('error' in r) {
    addonError = r.error;
    addon = null;
  } else addon = r.addon;
  return addon;
}

/** True when saved SYNs can be used here (Linux, addon built). */
export function savedSynAvailable(): boolean {
  return loadAddon()?.supported === true;
}

/** Why savedSynAvailable() is false ('' when it is true). */
export function savedSynUnavailableReason(): string {
  return savedSynAvailable() ? '' : addonError || 'not supported';
}

/** Why the addon cannot be loaded, in one line; null when it is loaded. */
export function savedSynAddonError(): string | null {
  return loadAddon() ? null : addonError;
}

function fdOf(handleOwner: unknown): number {
  const h = (handleOwner as { _handle?: { fd?: unknown } } | null)?._handle;
  const fd = h?.fd;
  return typeof fd === 'number' && fd >= 0 ? fd : -1;
}

/** True when the server (or socket) has a descriptor now. */
export function hasDescriptor(handleOwner: net.Server | net.Socket): boolean {
  return fdOf(handleOwner) >= 0;
}

/**
 * Turns TCP_SAVE_SYN on for the server's listening socket, now: SYNs that
 * come in from here on are saved. Throws a PofError (E_CONFIG) when the
 * addon is missing, the server has no descriptor, or the kernel refuses.
 */
export function setSaveSyn(server: net.Server): void {
  const a = loadAddon();
  if (!a) throw new PofError('E_CONFIG', addonError);
  const fd = fdOf(server);
  if (fd < 0) throw new PofError('E_CONFIG', 'saved SYNs need a TCP server listening on an address and port (no descriptor found)');
  try {
    a.setSaveSyn(fd, 1);
  } catch (e) {
    throw new PofError('E_CONFIG', `cannot enable saved SYNs: ${(e as Error).message}`, { cause: e });
  }
}

/**
 * The saved SYN of an accepted connection (IP header onward), or null. The
 * kernel hands it out once: call this once per connection and keep it.
 */
export function readSavedSyn(socket: net.Socket): Buffer | null {
  const fd = addonFd(socket);
  if (fd < 0) return null;
  try {
    return addon!.getSavedSyn(fd);
  } catch {
    return null;
  }
}

/** The socket's descriptor once the addon is loaded; -1 without one or the other. */
function addonFd(socket: net.Socket): number {
  return loadAddon() ? fdOf(socket) : -1;
}

/** Where readSavedSynView() puts each SYN: IP + TCP headers fit in 512 bytes. */
const scratch = Buffer.alloc(512);

/**
 * readSavedSyn() without an allocation: the bytes are a view of one buffer
 * that the next call overwrites, to be used (fingerprinted) at once.
 */
export function readSavedSynView(socket: net.Socket): Buffer | null {
  const fd = addonFd(socket);
  if (fd < 0) return null;
  try {
    const n = addon!.getSavedSynInto(fd, scratch);
    // Longer than the scratch (IPv6 extension headers): a buffer of its own.
    if (n < 0) return addon!.getSavedSyn(fd);
    return n ? scratch.subarray(0, n) : null;
  } catch {
    return null;
  }
}

const IPPROTO_TCP = 6;

/** Where kernelTuple() has the addon put both ends of a socket. */
const names = Buffer.alloc(36);

/**
 * A connected socket's 4-tuple in one native call (getpeername and
 * getsockname, with the saved-SYN addon), in pof's text; a dual-stack
 * socket's IPv4-mapped addresses as IPv4. Node's remoteAddress and
 * localAddress cost a call, an object and an address string each, and
 * then need parsing. undefined: cannot tell here (no addon, no
 * descriptor, not TCP/IP, no longer connected): ask Node, which may have
 * the names cached.
 */
export function kernelTuple(socket: net.Socket): SocketTuple | undefined {
  // (Where the addon loads but cannot work, it would throw for each socket.)
  const fd = savedSynAvailable() ? addonFd(socket) : -1;
  if (fd < 0) return undefined;
  let fam: number;
  try {
    fam = addon!.getNames(fd, names);
  } catch {
    return undefined;
  }
  if (fam === 4) return { ipVer: 4, cli: addrToString(names, 0, 4), cliPort: names.readUInt16BE(32), srv: addrToString(names, 16, 4), srvPort: names.readUInt16BE(34) };
  // Not TCP/IP, or no longer connected: Node may still have the names cached.
  if (fam !== 6) return undefined;
  const cliMapped = v4Mapped(names, 0);
  if (cliMapped !== v4Mapped(names, 16)) return undefined;
  if (cliMapped) return { ipVer: 4, cli: addrToString(names, 12, 4), cliPort: names.readUInt16BE(32), srv: addrToString(names, 28, 4), srvPort: names.readUInt16BE(34) };
  return { ipVer: 6, cli: addrToString(names, 0, 6), cliPort: names.readUInt16BE(32), srv: addrToString(names, 16, 6), srvPort: names.readUInt16BE(34) };
}

/** True when the 16 bytes at `off` are an IPv4-mapped IPv6 address (::ffff:a.b.c.d). */
function v4Mapped(b: Buffer, off: number): boolean {
  for (let i = 0; i < 10; i++) if (b[off + i] !== 0) return false;
  return b[off + 10] === 0xff && b[off + 11] === 0xff;
}

/**
 * The connection's addresses and ports as its saved SYN gives them (the
 * kernel saves it after any DNAT, so they are the socket's own), in pof's
 * text; null when the headers are not plain IPv4/IPv6 + TCP, or carry
 * IPv4-mapped IPv6 addresses (which the socket would report as IPv4): ask
 * the socket then. Spares a server the getpeername/getsockname of each
 * connection.
 */
export function synTuple(b: Buffer): SocketTuple | null {
  const ver = b.length >= 20 ? b[0]! >> 4 : 0;
  if (ver === 4) {
    const ihl = (b[0]! & 0xf) * 4;
    if (ihl < 20 || b[9] !== IPPROTO_TCP || b.length < ihl + 4) return null;
    return { ipVer: 4, cli: addrToString(b, 12, 4), cliPort: b.readUInt16BE(ihl), srv: addrToString(b, 16, 4), srvPort: b.readUInt16BE(ihl + 2) };
  }
  if (ver === 6) {
    if (b[6] !== IPPROTO_TCP || b.length < 44 || v4Mapped(b, 8) || v4Mapped(b, 24)) return null;
    return { ipVer: 6, cli: addrToString(b, 8, 6), cliPort: b.readUInt16BE(40), srv: addrToString(b, 24, 6), srvPort: b.readUInt16BE(42) };
  }
  return null;
}
