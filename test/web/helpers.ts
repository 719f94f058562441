/** Shared fixtures for the web tests: SYN bytes, engines, canned lookups, HTTP clients, temp dirs. */
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { ConnVerdicts, type ConnVerdict } from '../../src/state/conn-verdicts.js';
import type { HostView, PofLookup } from '../../src/api/types.js';
import { loadSignatures } from '../../src/db/load.js';
import type { SignatureDb } from '../../src/db/types.js';
import { LinkType } from '../../src/decode/constants.js';
import { Engine } from '../../src/engine.js';
import { parseAddress } from '../../src/net/addr.js';
import { HttpModule } from '../../src/state/http-module.js';
import type { ConnTuple } from '../../src/web/result.js';

let db: SignatureDb | null = null;
export function signatures(): SignatureDb {
  db ??= loadSignatures();
  return db;
}

const u16 = (v: number): number[] => [(v >>> 8) & 0xff, v & 0xff];
const u32 = (v: number): number[] => [(v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];

export interface SynSpec {
  ttl?: number;
  mss?: number;
  win?: number;
  ws?: number;
  /** TCP option bytes instead of Linux's MSS, SACK-OK, TS, NOP, WS. */
  options?: number[];
  seq?: number;
}

/**
 * A client SYN for a connection, IP header first (as the kernel saves it
 * and as LINKTYPE_RAW carries it). Default: Linux 3.10-4.18's SYN (window
 * 20 x MSS 1460, scale 7, DF, IP ID set), TTL 57 = 7 hops.
 */
export function synBytes(t: ConnTuple, spec: SynSpec = {}): Buffer {
  const mss = spec.mss ?? 1460;
  const opts = spec.options ?? [2, 4, ...u16(mss), 4, 2, 8, 10, ...u32(12345), ...u32(0), 1, 3, 3, spec.ws ?? 7];
  while (opts.length % 4) opts.push(0);
  const tcp = Buffer.from([
    ...u16(t.cliPort),
    ...u16(t.srvPort),
    ...u32(spec.seq ?? 0x01020304),
    ...u32(0),
    ((20 + opts.length) >> 2) << 4,
    0x02,
    ...u16(spec.win ?? mss * 20),
    0,
    0,
    0,
    0,
    ...opts,
  ]);
  const c = parseAddress(t.cli)!;
  const s = parseAddress(t.srv)!;
  if (c.ver === 4) {
    const ip = Buffer.from([0x45, 0, ...u16(20 + tcp.length), 0x12, 0x34, 0x40, 0, spec.ttl ?? 57, 6, 0, 0, ...c.bytes, ...s.bytes]);
    return Buffer.concat([ip, tcp]);
  }
  const ip = Buffer.from([0x60, 0, 0, 0, ...u16(tcp.length), 6, spec.ttl ?? 57, ...c.bytes, ...s.bytes]);
  return Buffer.concat([ip, tcp]);
}

/** An engine (with HTTP fingerprinting) feeding a ConnVerdicts table. */
export function makeEngine(): { engine: Engine; conns: ConnVerdicts; feedSyn(t: ConnTuple, spec?: SynSpec): void } {
  const conns = new ConnVerdicts(1000);
  const engine = new Engine({ db: signatures() }, (o) => conns.observe(o));
  engine.addModule(new HttpModule());
  return {
    engine,
    conns,
    feedSyn(t, spec) {
      const data = synBytes(t, spec);
      const now = Date.now();
      engine.handle({ linkType: LinkType.RAW, tsSec: Math.floor(now / 1000), tsUsec: (now % 1000) * 1000, data, offset: 0, caplen: data.length, wirelen: data.length });
    },
  };
}

/** A lookup that knows every connection (Windows 7 or 8, 11 hops, NAT seen) and counts questions. */
export function cannedLookup(): PofLookup & { asked: number; hostAsked: number } {
  const host: HostView = {
    addr: '',
    ipVer: 4,
    firstSeen: 1700000000,
    lastSeen: 1700000100,
    totalConn: 3,
    lastOs: { id: 1, line: 1, generic: false, cls: 'win', name: 'Windows', flavor: '7 or 8', sys: [] },
    lastQuality: 0,
    distance: 11,
    lastUpMin: 1500,
    upModDays: 49,
    mtu: 1500,
    linkType: 'Ethernet or modem',
    lastNat: 1700000050,
    lastChg: 0,
    httpName: 'Firefox',
    httpFlavor: '10.x or newer',
    language: 'English',
    badSw: 1,
  };
  const l = {
    asked: 0,
    hostAsked: 0,
    host(addr: string) {
      l.hostAsked++;
      return { ...host, addr };
    },
    connection(cli: string, cliPort: number, srv: string, srvPort: number): ConnVerdict {
      l.asked++;
      return {
        ipVer: cli.includes(':') ? 6 : 4,
        cli,
        cliPort,
        srv,
        srvPort,
        firstSeen: 1700000000,
        lastSeen: 1700000001,
        encap: false,
        sendsyn: false,
        client: {
          tcp: {
            match: { name: 'Windows', flavor: '7 or 8', cls: 'win', userland: false, generic: false, fuzzy: false },
            label: 'Windows 7 or 8',
            dist: 11,
            distUpperBound: false,
            quality: 0,
            params: 'none',
            rawSig: '4:117+11:0:1460:8192,2:mss,nop,ws,nop,nop,sok:df,id+:0',
          },
          mtu: { mtu: 1500, link: 'Ethernet or modem' },
          uptime: null,
          http: null,
          nat: null,
        },
        server: { tcp: null, mtu: null, uptime: null, http: null, nat: null },
      };
    },
  };
  return l;
}

export function tempDir(prefix = 'pof-web-'): { dir: string; path: (name: string) => string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, path: (name) => join(dir, name), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  ms: number;
}

/** One request; resolves with the whole body. */
export function request(url: string, opts: http.RequestOptions & { body?: string | Buffer } = {}): Promise<Reply> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const req = http.request(url, opts, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (d: Buffer) => parts.push(d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts).toString('utf8'), ms: performance.now() - t0 }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** Polls until cond() holds (or the time is up). */
export async function until(cond: () => boolean, ms = 2000): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, 5));
  }
  return cond();
}
