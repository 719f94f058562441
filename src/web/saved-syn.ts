/**
 * Saved SYNs on the web side: when a server's listening socket gets
 * TCP_SAVE_SYN (at once, or right after its listen(2): listen-hook.ts),
 * and what went wrong. The kernel keeps each connection's SYN headers;
 * pof's decoder and TCP matcher turn them into the exact TCP verdict,
 * distance and MTU of that connection: no capture, no daemon, no root.
 * What only watching the traffic gives (HTTP, uptime, NAT, host history)
 * still comes from a daemon or an engine.
 *
 * The socket options themselves are capture/saved-syn.ts (the binding of
 * pof's small addon); its functions are re-exported here, as `pof/web`
 * has always offered them.
 */
import type net from 'node:net';

import type { JsonSide } from '../api/json-types.js';
import type { PacketRecord } from '../capture/types.js';
import { hasDescriptor, savedSynAddonError, setSaveSyn } from '../capture/saved-syn.js';
import { loadSignatures } from '../db/load.js';
import type { SignatureDb } from '../db/types.js';
import { decodePacket } from '../decode/packet.js';
import { LinkType } from '../decode/constants.js';
import { newTcpPacket, TcpFlag, type TcpPacket } from '../decode/types.js';
import { PofError } from '../errors.js';
import { whenListening } from './listen-hook.js';
import { buildMtuIndex, mtuFromMss, type MtuIndex } from '../fingerprint/mtu.js';
import { buildTcpIndex, matchQuality, observeTcp, type TcpSigIndex } from '../fingerprint/tcp.js';
import { TcpVerdictCache } from '../fingerprint/tcp-cache.js';

export {
  kernelTuple,
  readSavedSyn,
  readSavedSynView,
  savedSynAvailable,
  savedSynUnavailableReason,
  synTuple,
} from '../capture/saved-syn.js';

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
  const missing = savedSynAddonError();
  if (missing !== null) throw new PofError('E_CONFIG', missing);
  if (enabled.has(server)) return;
  enabled.add(server);
  if (server.listening || hasDescriptor(server)) {
    try {
      setSaveSyn(server);
    } catch (e) {
      refused.set(server, (e as Error).message);
      throw e;
    }
  } else {
    // Right after its listen(2), before a SYN can come in (listen-hook.ts).
    whenListening(server, () => {
      try {
        setSaveSyn(server);
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
