/** Shared fixtures for the API tests: host records, observations, a lookup and temp sockets. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConnVerdicts } from '../../src/state/conn-verdicts.js';
import type { HostView, PofLookup } from '../../src/api/types.js';
import type { Observation, ObservationDetail, ObservationField, ObservationMod, TcpVerdict } from '../../src/observation.js';

export function makeHost(over: Partial<HostView> = {}): HostView {
  return {
    addr: '192.0.2.10',
    ipVer: 4,
    firstSeen: 1700000000,
    lastSeen: 1700000100,
    totalConn: 3,
    lastOs: null,
    lastQuality: 0,
    distance: -1,
    lastUpMin: -1,
    upModDays: 0,
    mtu: 0,
    linkType: null,
    lastNat: 0,
    lastChg: 0,
    httpName: null,
    httpFlavor: null,
    language: null,
    badSw: 0,
    ...over,
  };
}

export const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

export interface Tuple {
  cli: string;
  cliPort: number;
  srv: string;
  srvPort: number;
}

export function obs(
  t: Tuple,
  mod: ObservationMod,
  subj: 'cli' | 'srv',
  detail: ObservationDetail | undefined,
  fields: ObservationField[] = [],
  tsSec = 1700000000,
): Observation {
  return { mod, tsSec, tsUsec: 0, ipVer: t.cli.includes(':') ? 6 : 4, ...t, subj, fields, encap: false, detail };
}

/** A syn / syn+ack observation carries its verdict (Observation.tcp), as the engine's do. */
export const withVerdict = (o: Observation, tcp: TcpVerdict): Observation => ({ ...o, tcp });

/** A verdict with no signature matched (and no params or raw_sig given). */
export const NO_MATCH: TcpVerdict = { match: null, label: null, dist: 0, distUpperBound: false, quality: 0, params: null, rawSig: null };

const LINUX = { name: 'Linux', flavor: '3.11 and newer', cls: 'unix', userland: false, generic: false, fuzzy: false };
const LINUX_SIG = '4:56+8:0:1460:mss*20,7:mss,sok,ts,nop,ws:df,id+:0';

export const linuxSyn = (t: Tuple, tsSec = 1700000000, dist = 8): Observation =>
  withVerdict(
    obs(
      t,
      'syn',
      'cli',
      { kind: 'tcp', match: { ...LINUX, line: 10 }, dist, quality: 0 },
      [
        ['os', 'Linux 3.11 and newer'],
        ['dist', String(dist)],
        ['params', 'none'],
        ['raw_sig', LINUX_SIG],
      ],
      tsSec,
    ),
    { match: LINUX, label: 'Linux 3.11 and newer', dist, distUpperBound: false, quality: 0, params: 'none', rawSig: LINUX_SIG },
  );

const WINDOWS = { name: 'Windows', flavor: '7 or 8', cls: 'win', userland: false, generic: false, fuzzy: false };

export const windowsSyn = (t: Tuple, tsSec = 1700000000): Observation =>
  withVerdict(
    obs(
      t,
      'syn',
      'cli',
      { kind: 'tcp', match: { ...WINDOWS, line: 20 }, dist: 11, quality: 0 },
      [
        ['os', 'Windows 7 or 8'],
        ['dist', '11'],
      ],
      tsSec,
    ),
    { match: WINDOWS, label: 'Windows 7 or 8', dist: 11, distUpperBound: false, quality: 0, params: null, rawSig: null },
  );

/** A lookup over plain maps plus a ConnVerdicts table. */
export function makeLookup(hosts: HostView[] = [], conns = new ConnVerdicts(100)): PofLookup & { conns: ConnVerdicts; hostMap: Map<string, HostView> } {
  const hostMap = new Map(hosts.map((h) => [h.addr, h]));
  return {
    conns,
    hostMap,
    host: (a) => hostMap.get(a),
    connection: (c, cp, s, sp) => conns.get(c, cp, s, sp),
    status: () => ({ version: 'pof 0.1.0', packets: 42, matched: 7, hosts: hostMap.size, conns: conns.size, fpChecksum: 0xdeadbeef }),
  };
}

export function tempSocketDir(): { dir: string; path: (name?: string) => string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'pof-api-'));
  return { dir, path: (name = 'pof.sock') => join(dir, name), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
