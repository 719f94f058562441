/**
 * Saved SYNs: on Linux a listening socket with TCP_SAVE_SYN keeps the
 * headers of each connection's SYN (IP header onward; mode 2 would add the
 * link header), and the accepted socket hands them out once with
 * getsockopt(TCP_SAVED_SYN). pof's decoder and TCP matcher turn them into
 * the exact TCP verdict, distance and MTU of that connection: no capture,
 * no daemon, no root. What only watching the traffic gives (HTTP, uptime,
 * NAT, host history) still comes from a daemon or an engine.
 *
 * The two socket options go through a small addon of pof's own
 * (native/saved_syn.cc; prebuilt in the package for linux-x64, built apart
 * from the libpcap addon and needing no libpcap, see src/native.ts); Node
 * exposes a socket's descriptor as `_handle.fd`.
 * The same addon gives both ends of a socket in one call (kernelTuple),
 * for connections with no saved SYN to read them from (synTuple).
 * System calls are what a new connection costs most here: a request
 * reads its SYN with one, and makes none for its addresses.
 */
import type net from 'node:net';

import type { JsonSide } from '../api/json-types.js';
import type { PacketRecord } from '../capture/types.js';
import { loadSignatures } from '../db/load.js';
import type { SignatureDb } from '../db/types.js';
import { decodePacket } from '../decode/packet.js';
import { LinkType } from '../decode/constants.js';
import { newTcpPacket, TcpFlag, type TcpPacket } from '../decode/types.js';
import { PofError } from '../errors.js';
import { loadNativeAddon } from '../native.js';
import { whenListening } from './listen-hook.js';
import { buildMtuIndex, mtuFromMss, type MtuIndex } from '../fingerprint/mtu.js';
import { buildTcpIndex, matchQuality, observeTcp, type TcpSigIndex } from '../fingerprint/tcp.js';
import { TcpVerdictCache } from '../fingerprint/tcp-cache.js';
import { addrToString } from '../net/addr.js';
import type { ConnTuple } from './result.js';

interface SavedSynAddon {
  setSaveSyn(fd: number, mode: number): void;
  getSavedSyn(fd: number): Buffer | null;
  getSavedSynInto(fd: number, buf: Buffer): number;
  getNames(fd: number, buf: Buffer): number;
  supported: boolean;
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

function fdOf(handleOwner: unknown): number {
  const h = (handleOwner as { _handle?: { fd?: unknown } } | null)?._handle;
  const fd = h?.fd;
  return typeof fd === 'number' && fd >= 0 ? fd : -1;
}

const enabled = new WeakSet<object>();
/** Why TCP_SAVE_SYN could not be set on a server that was not yet listening. */
const refused = new WeakMap<object, string>();

/**
 * Turns TCP_SAVE_SYN on for a listening server (now, or when it starts
 * listening): now as soon as it has a socket, which is before Node emits
 * 'listening'. Connections accepted before have no saved SYN. Throws a
 * PofError when saved SYNs are unavailable or the option is refused now;
 * a refusal when the server starts listening later is kept for
 * savedSynProblem() (an event handler must not throw).
 */
export function enableSavedSyn(server: net.Server): void {
  const a = loadAddon();
  if (!a) throw new PofError('E_CONFIG', addonError);
  if (enabled.has(server)) return;
  enabled.add(server);
  const apply = (): void => {
    const fd = fdOf(server);
    if (fd < 0) throw new PofError('E_CONFIG', 'saved SYNs need a TCP server listening on an address and port (no descriptor found)');
    try {
      a.setSaveSyn(fd, 1);
    } catch (e) {
      throw new PofError('E_CONFIG', `cannot enable saved SYNs: ${(e as Error).message}`, { cause: e });
    }
  };
  if (server.listening || fdOf(server) >= 0) {
    try {
      apply();
    } catch (e) {
      refused.set(server, (e as Error).message);
      throw e;
    }
  } else {
    // Right after its listen(2), before a SYN can come in (listen-hook.ts).
    whenListening(server, () => {
      try {
        apply();
      } catch (e) {
        refused.set(server, (e as Error).message);
      }
    });
  }
}

/** Why a server enabled before it listened has no saved SYNs (null: none known). */
export function savedSynProblem(server: net.Server): string | null {
  return refused.get(server) ?? null;
}

/** True when enableSavedSyn() was called for this server. */
export function savedSynEnabled(server: net.Server): boolean {
  return enabled.has(server);
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
export function kernelTuple(socket: net.Socket): ConnTuple | undefined {
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
export function synTuple(b: Buffer): ConnTuple | null {
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

/** The TCP verdict of one SYN, in the query API's shape of a connection's client side. */
export type SynVerdict = Pick<JsonSide, 'tcp' | 'mtu'> & { tcp: NonNullable<JsonSide['tcp']> };

type SynOutcome = { ok: true; verdict: SynVerdict } | { ok: false; reason: string };

/**
 * Matches saved SYNs against a signature database: the engine's decoder and
 * matcher, without its tables. One instance may be shared; not reentrant
 * (it reuses one decoded-packet view). SYNs alike in every field the
 * verdict depends on (as a client's connections are) get the same verdict
 * object: it is shared, not to be changed.
 */
export class SynFingerprinter {
  private readonly tcpIdx: TcpSigIndex;
  private readonly mtuIdx: MtuIndex;
  private readonly cache = new TcpVerdictCache();
  private readonly pk: TcpPacket = newTcpPacket();
  private readonly rec: PacketRecord = { linkType: LinkType.RAW, tsSec: 0, tsUsec: 0, data: Buffer.alloc(0), offset: 0, caplen: 0, wirelen: 0 };

  constructor(db: SignatureDb) {
    this.tcpIdx = buildTcpIndex(db.tcpRequest);
    this.mtuIdx = buildMtuIndex(db.mtu);
  }

  /** Loads a signature file (default: the database pof ships). */
  static fromFile(path?: string): SynFingerprinter {
    return new SynFingerprinter(loadSignatures(path));
  }

  /**
   * The verdict for saved SYN headers (IP header first), or a reason why
   * there is none. `nowMs` only matters for uptime, which one SYN cannot give.
   */
  fingerprint(bytes: Buffer, nowMs = Date.now()): SynOutcome {
    let data = bytes;
    let hadPayload = false;
    // The kernel saves headers only; a SYN carrying data (TCP Fast Open)
    // claims more bytes than that. Tell the decoder the truth, and keep
    // the fact that there was a payload.
    if (data.length >= 20 && data[0]! >> 4 === 4) {
      if (data.readUInt16BE(2) > data.length) {
        data = Buffer.from(data);
        data.writeUInt16BE(data.length, 2);
        hadPayload = true;
      }
    } else if (data.length >= 40 && data[0]! >> 4 === 6) {
      if (data.readUInt16BE(4) + 40 > data.length) {
        data = Buffer.from(data);
        data.writeUInt16BE(data.length - 40, 4);
        hadPayload = true;
      }
    }
    const rec = this.rec;
    rec.data = data;
    rec.caplen = rec.wirelen = data.length;
    rec.tsSec = Math.floor(nowMs / 1000);
    rec.tsUsec = (nowMs % 1000) * 1000;
    const pk = this.pk;
    const outcome = decodePacket(rec, pk);
    rec.data = EMPTY;
    if (outcome !== 'ok') return { ok: false, reason: `saved SYN not decoded (${outcome})` };
    if (pk.tcpType !== TcpFlag.SYN) return { ok: false, reason: 'saved headers are not a SYN' };
    // The scratch view is ours: let it say that the SYN carried data, so
    // that matching (pclass) and raw_sig ('+') both see it.
    if (hadPayload && !pk.payLen) pk.payLen = 1;
    const sig = observeTcp(pk, nowMs);
    const known = this.cache.verdict(this.tcpIdx, sig, pk, 0);
    if (known.memo) return known.memo as SynOutcome;
    const m = sig.matched;
    const userland = m !== null && m.label.cls === null;
    const mtu = pk.mss ? mtuFromMss(pk.mss, pk.ipVer) : 0;
    const verdict: SynVerdict = {
      tcp: {
        label: m ? (m.label.flavor ? `${m.label.name} ${m.label.flavor}` : m.label.name) : null,
        match: m
          ? { name: m.label.name, flavor: m.label.flavor, class: m.label.cls, userland, generic: m.label.generic, fuzzy: sig.fuzzy }
          : null,
        dist: sig.dist,
        dist_upper_bound: m !== null && m.badTtl,
        quality: matchQuality(sig),
        params: known.params,
        raw_sig: known.rawSig,
      },
      mtu: mtu ? { mtu, link: this.mtuIdx.get(mtu) ?? null } : null,
    };
    const out: SynOutcome = { ok: true, verdict };
    known.memo = out;
    return out;
  }
}

const EMPTY = Buffer.alloc(0);
