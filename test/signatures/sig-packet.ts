/**
 * SYN packets built from a [tcp:request] signature line, so that tests can
 * walk every signature of a label in the loaded database instead of a
 * hand-written list. Wildcards get ordinary values, with a few alternatives
 * (window scales, IP versions, flow labels) for the caller to try until the
 * engine reports that very line.
 *
 * Only what plain OS stacks use is built: the option kinds MSS, WS,
 * SACK-OK, TS, NOP, EOL(+padding) and the quirks df, id+, id-, flow.
 * Anything else gives no candidates.
 */
import type { TcpSignature } from '../../src/db/types.js';
import { Quirk, TcpOpt } from '../../src/decode/types.js';
import type { Ip4Spec, Ip6Spec, OptItem, TcpSpec } from '../helpers/packet-build.js';

export type SynPacket = { v6: false; ip: Ip4Spec; tcp: TcpSpec } | { v6: true; ip: Ip6Spec; tcp: TcpSpec };

const BUILT_QUIRKS = Quirk.DF | Quirk.NZ_ID | Quirk.ZERO_ID | Quirk.FLOW;
const SCALES = [7, 6, 8, 3, 1, 9];

function options(sig: TcpSignature, mss: number, ws: number): OptItem[] | null {
  const out: OptItem[] = [];
  for (const kind of sig.optLayout) {
    if (kind === TcpOpt.MSS) out.push({ mss });
    else if (kind === TcpOpt.WS) out.push({ ws });
    else if (kind === TcpOpt.SACKOK) out.push('sok');
    else if (kind === TcpOpt.TS) out.push({ ts: [0x01020304, 0] });
    else if (kind === TcpOpt.NOP) out.push('nop');
    else if (kind === TcpOpt.EOL) {
      out.push('eol');
      for (let i = 0; i < sig.eolPad; i++) out.push({ raw: [0] });
    } else return null;
  }
  return out;
}

function window(sig: TcpSignature, mss: number): number {
  switch (sig.win.kind) {
    case 'any':
      return 65535;
    case 'value':
      return sig.win.value;
    case 'mss':
      return sig.win.mult * mss;
    case 'mtu':
      return sig.win.mult * (mss + 40);
    case 'mod':
      return sig.win.value * 4;
  }
}

/** Packets that a stack sending this signature could send; [] if the builder cannot make it. */
export function synCandidates(sig: TcpSignature): SynPacket[] {
  if (sig.olen !== 0 || sig.pclass === 'nonzero' || sig.quirks & ~BUILT_QUIRKS) return [];
  const out: SynPacket[] = [];
  const scales = sig.wscale === null ? SCALES : [sig.wscale];
  const versions: Array<4 | 6> = sig.ver === 'any' ? [4, 6] : [sig.ver];
  for (const ver of versions) {
    const mss = sig.mss ?? (ver === 4 ? 1460 : 1440);
    const win = window(sig, mss);
    if (win > 65535) continue;
    for (const ws of scales) {
      const opts = options(sig, mss, ws);
      if (!opts) return [];
      const tcp: TcpSpec = { sport: 50000, dport: 80, seq: 0x5000, win, options: opts };
      if (ver === 4) {
        const df = (sig.quirks & Quirk.DF) !== 0;
        const id = sig.quirks & Quirk.NZ_ID ? 0x2b3c : sig.quirks & Quirk.ZERO_ID ? 0 : df ? 0 : 0x2b3c;
        out.push({ v6: false, ip: { src: '192.0.2.33', dst: '198.51.100.80', ttl: sig.ittl, id, df }, tcp });
      } else {
        const flow = sig.quirks & Quirk.FLOW ? 0x3a5c1 : 0;
        out.push({ v6: true, ip: { src: '2001:db8::33', dst: '2001:db8::80', ttl: sig.ittl, flow }, tcp });
      }
    }
  }
  return out;
}
