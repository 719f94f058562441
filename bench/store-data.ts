/**
 * Synthetic verdicts for bench/store.ts: connection i is a Linux SYN with
 * its MTU, from one of `sources` client addresses; the same on every call,
 * so the daemon and Redis hold the same records.
 */
import type { ConnVerdict } from '../src/state/conn-verdicts.js';
import type { HostView } from '../src/api/types.js';

export const SRV = '203.0.113.80';

export function clientAddr(i: number, sources: number): string {
  const s = i % sources;
  return `10.${(s >> 16) & 255}.${(s >> 8) & 255}.${s & 255}`;
}

const LINUX = { name: 'Linux', flavor: '3.11 and newer', cls: 'unix', userland: false, generic: false, fuzzy: false };

export function makeVerdict(i: number, sources: number, tsSec = 1700000000): ConnVerdict {
  return {
    ipVer: 4,
    cli: clientAddr(i, sources),
    cliPort: 1024 + (i % 60000),
    srv: SRV,
    srvPort: 443,
    firstSeen: tsSec,
    lastSeen: tsSec,
    encap: false,
    sendsyn: false,
    client: {
      tcp: { match: LINUX, label: 'Linux 3.11 and newer', dist: 0, distUpperBound: false, quality: 0, params: 'none', rawSig: '4:64+0:0:1460:mss*20,7:mss,sok,ts,nop,ws:df,id+:0' },
      mtu: { mtu: 1500, link: 'Ethernet or modem' },
      uptime: null,
      http: null,
      nat: null,
    },
    server: { tcp: null, mtu: null, uptime: null, http: null, nat: null },
  };
}

export function makeHost(addr: string, tsSec = 1700000000): HostView {
  return {
    addr,
    ipVer: 4,
    firstSeen: tsSec,
    lastSeen: tsSec,
    totalConn: 1,
    lastOs: { id: 1, line: 1, generic: false, cls: 'unix', name: 'Linux', flavor: '3.11 and newer', sys: [] },
    lastQuality: 0,
    distance: 0,
    lastUpMin: -1,
    upModDays: 0,
    mtu: 1500,
    linkType: 'Ethernet or modem',
    lastNat: 0,
    lastChg: 0,
    httpName: null,
    httpFlavor: null,
    language: null,
    badSw: 0,
  };
}
