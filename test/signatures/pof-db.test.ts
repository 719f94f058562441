/**
 * The shipped database, signatures/pof.fp: it loads cleanly, and packets
 * built byte by byte the way each stack sends them get the intended label
 * through the real engine (decode, TCP matching, HTTP module).
 *
 * The packets are made here from published stack behaviour (option order,
 * window, TTL, IP ID); nothing comes from the real-capture corpus.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadSignatures } from '../../src/db/load.js';
import { parseSignatures } from '../../src/db/parse.js';
import type { SignatureDb } from '../../src/db/types.js';
import { Engine } from '../../src/engine.js';
import type { Observation } from '../../src/observation.js';
import { HttpModule } from '../../src/state/http-module.js';
import { ethernet, LinkType, record, tcp4, tcp6, type Ip4Spec, type Ip6Spec, type OptItem, type TcpSpec } from '../helpers/packet-build.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const DB_PATH = path.resolve(here, '../../signatures/pof.fp');

const SYN = 0x02;
const SYN_ACK = 0x12;
const ACK = 0x10;
const PSH_ACK = 0x18;

let db: SignatureDb;
function getDb(): SignatureDb {
  db ??= loadSignatures(DB_PATH);
  return db;
}

type Pkt = { v6?: false; ip: Ip4Spec; tcp: TcpSpec } | { v6: true; ip: Ip6Spec; tcp: TcpSpec };

/** Runs packets through a fresh engine (with the HTTP module) and returns what it reported. */
function run(pkts: Pkt[]): Observation[] {
  const out: Observation[] = [];
  const engine = new Engine({ db: getDb() }, (o) => out.push(o));
  engine.addModule(new HttpModule());
  pkts.forEach((p, i) => {
    const ip = p.v6 ? tcp6(p.ip, p.tcp) : tcp4(p.ip, p.tcp);
    engine.handle(record(ethernet(ip), LinkType.ETHERNET, { tsSec: 1700000000 + i }));
  });
  return out;
}

function tcpVerdict(obs: Observation[], mod: 'syn' | 'syn+ack'): { label: string | null; userland: boolean } {
  const o = obs.find((x) => x.mod === mod);
  assert.ok(o, `no ${mod} observation`);
  const d = o.detail;
  assert.ok(d && d.kind === 'tcp');
  const m = d.match;
  return { label: m ? (m.flavor ? `${m.name} ${m.flavor}` : m.name) : null, userland: m?.userland ?? false };
}

// Option layouts as the stacks write them.
const WIN_OPTS = (ws: number): OptItem[] => [{ mss: 1460 }, 'nop', { ws }, 'nop', 'nop', 'sok'];
const WIN_XP_OPTS: OptItem[] = [{ mss: 1460 }, 'nop', 'nop', 'sok'];
const LINUX_OPTS = (ws: number, mss = 1460): OptItem[] => [{ mss }, 'sok', { ts: [123456, 0] }, 'nop', { ws }];
const XNU_OPTS = (ws: number, mss = 1460): OptItem[] => [{ mss }, 'nop', { ws }, 'nop', 'nop', { ts: [987654, 0] }, 'sok', 'eol'];
const FREEBSD_OPTS: OptItem[] = [{ mss: 1460 }, 'nop', { ws: 6 }, 'sok', { ts: [5555, 0] }];
const OPENBSD_OPTS: OptItem[] = [{ mss: 1460 }, 'nop', 'nop', 'sok', 'nop', { ws: 6 }, 'nop', 'nop', { ts: [777, 0] }];
const NETBSD_OPTS: OptItem[] = [{ mss: 1460 }, 'nop', { ws: 3 }, 'sok', 'nop', 'nop', 'nop', 'nop', { ts: [888, 0] }];
const SOLARIS_OPTS: OptItem[] = ['nop', 'nop', { ts: [999, 0] }, { mss: 1460 }, 'nop', { ws: 1 }, 'nop', 'nop', 'sok'];

interface SynCase {
  name: string;
  pkt: Pkt;
  label: string;
  userland?: boolean;
}

const synCases: SynCase[] = [
  {
    name: 'Windows 11 (64240, scale 8)',
    pkt: { ip: { ttl: 128, id: 0x4a21 }, tcp: { win: 64240, options: WIN_OPTS(8) } },
    label: 'Windows 10 or 11 (or Server 2016+)',
  },
  {
    name: 'Windows 10 over a 1400-byte MSS link (window stays 64240)',
    pkt: { ip: { ttl: 121, id: 0x0102 }, tcp: { win: 64240, options: [{ mss: 1400 }, 'nop', { ws: 8 }, 'nop', 'nop', 'sok'] } },
    label: 'Windows 10 or 11 (or Server 2016+)',
  },
  {
    name: 'Windows 7 (8192, scale 2)',
    pkt: { ip: { ttl: 128, id: 0x1000 }, tcp: { win: 8192, options: WIN_OPTS(2) } },
    label: 'Windows Vista, 7 or 8.x',
  },
  {
    name: 'Windows 8.1 (8192, scale 8)',
    pkt: { ip: { ttl: 127, id: 0x2000 }, tcp: { win: 8192, options: WIN_OPTS(8) } },
    label: 'Windows 7, 8.x or 10 before 1703',
  },
  {
    name: 'Windows XP (65535, no scaling)',
    pkt: { ip: { ttl: 128, id: 0x0300 }, tcp: { win: 65535, options: WIN_XP_OPTS } },
    label: 'Windows 2000, XP or Server 2003',
  },
  {
    name: 'Linux 6.x (64240, scale 7)',
    pkt: { ip: { ttl: 64, id: 0xbeef }, tcp: { win: 64240, options: LINUX_OPTS(7) } },
    label: 'Linux 4.19 or newer',
  },
  {
    name: 'Linux 6.x over IPv6 with a flow label (MSS 1440, 45 x MSS)',
    pkt: { v6: true, ip: { ttl: 64, flow: 0x5a5a5 }, tcp: { win: 64800, options: LINUX_OPTS(7, 1440) } },
    label: 'Linux 4.19 or newer',
  },
  {
    name: 'Linux 4.x (29200, scale 7)',
    pkt: { ip: { ttl: 60, id: 0x1234 }, tcp: { win: 29200, options: LINUX_OPTS(7) } },
    label: 'Linux 3.10 to 4.18',
  },
  {
    name: 'Linux 3.x (14600)',
    pkt: { ip: { ttl: 64, id: 0x1234 }, tcp: { win: 14600, options: LINUX_OPTS(7) } },
    label: 'Linux 2.6.39 to 3.x (or Android 4.x)',
  },
  {
    name: 'Linux loopback (MSS 65495)',
    pkt: { ip: { ttl: 64, id: 0x9999, src: '127.0.0.1', dst: '127.0.0.1' }, tcp: { win: 65495, options: LINUX_OPTS(7, 65495) } },
    label: 'Linux (loopback)',
  },
  {
    name: 'Android 12 (65535, scale 9)',
    pkt: { ip: { ttl: 64, id: 0x7777 }, tcp: { win: 65535, options: LINUX_OPTS(9, 1400) } },
    label: 'Android',
  },
  {
    name: 'macOS 14 / iOS 17 (65535, scale 6, zero IP ID)',
    pkt: { ip: { ttl: 64, id: 0 }, tcp: { win: 65535, options: XNU_OPTS(6) } },
    label: 'macOS or iOS 2017 or newer (macOS 10.13+, iOS 11+)',
  },
  {
    name: 'macOS 10.12 / iOS 10 (scale 5, running IP ID)',
    pkt: { ip: { ttl: 64, id: 0x3131 }, tcp: { win: 65535, options: XNU_OPTS(5) } },
    label: 'macOS or iOS 2013 to 2017 (macOS 10.8-10.12, iOS 7-10)',
  },
  {
    name: 'Mac OS X 10.7 (scale 1)',
    pkt: { ip: { ttl: 64, id: 0x3132 }, tcp: { win: 65535, options: XNU_OPTS(1) } },
    label: 'macOS 10.5 to 10.8 (Mac OS X)',
  },
  {
    name: 'macOS loopback (MSS 16344)',
    pkt: { ip: { ttl: 64, id: 0, src: '127.0.0.1', dst: '127.0.0.1' }, tcp: { win: 65535, options: XNU_OPTS(6, 16344) } },
    label: 'macOS (loopback)',
  },
  {
    name: 'iOS 5 (scale 2)',
    pkt: { ip: { ttl: 64, id: 0x4444 }, tcp: { win: 65535, options: XNU_OPTS(2) } },
    label: 'iOS 3 to 6',
  },
  {
    name: 'FreeBSD 14',
    pkt: { ip: { ttl: 64, id: 0x2222 }, tcp: { win: 65535, options: FREEBSD_OPTS } },
    label: 'FreeBSD 9 or newer',
  },
  {
    name: 'OpenBSD 7',
    pkt: { ip: { ttl: 64, id: 0x2223 }, tcp: { win: 16384, options: OPENBSD_OPTS } },
    label: 'OpenBSD',
  },
  {
    name: 'NetBSD 10',
    pkt: { ip: { ttl: 64, id: 0 }, tcp: { win: 32768, options: NETBSD_OPTS } },
    label: 'NetBSD (or a NetBSD-based appliance)',
  },
  {
    name: 'Solaris 11',
    pkt: { ip: { ttl: 64, id: 0x0101 }, tcp: { win: 49640, options: SOLARIS_OPTS } },
    label: 'Solaris 10 or newer (or illumos)',
  },
  {
    name: 'Cisco IOS management session',
    pkt: { ip: { ttl: 255, id: 0x0042, df: false }, tcp: { win: 4128, options: [{ mss: 536 }] } },
    label: 'Cisco IOS',
  },
  {
    name: 'Nmap SYN scan',
    pkt: { ip: { ttl: 49, id: 0x6d2f, df: false }, tcp: { win: 1024, options: [{ mss: 1460 }] } },
    label: 'Nmap SYN scan',
    userland: true,
  },
  {
    name: 'Nmap OS detection probe 1',
    pkt: { ip: { ttl: 52, id: 0x1111, df: false }, tcp: { win: 1, options: [{ ws: 10 }, 'nop', { mss: 1460 }, { ts: [0xffffffff, 0] }, 'sok'] } },
    label: 'Nmap OS detection',
    userland: true,
  },
  {
    name: 'ZMap',
    pkt: { ip: { ttl: 255, id: 54321, df: false }, tcp: { win: 65535, options: [{ mss: 1460 }] } },
    label: 'ZMap',
    userland: true,
  },
  {
    name: 'masscan',
    pkt: { ip: { ttl: 255, id: 0x5d1c, df: false }, tcp: { win: 1200 } },
    label: 'masscan',
    userland: true,
  },
  {
    name: 'Scapy TCP() defaults',
    pkt: { ip: { ttl: 64, id: 1, df: false }, tcp: { win: 8192, seq: 0 } },
    label: 'Scapy',
    userland: true,
  },
  {
    name: 'a bare SYN from a flooder',
    pkt: { ip: { ttl: 37, id: 0x5151, df: false }, tcp: { win: 512, seq: 0x01020304 } },
    label: 'packet crafter SYN without options',
    userland: true,
  },
];

describe('signatures/pof.fp', () => {
  test('parses with no errors and no warnings', () => {
    const text = fs.readFileSync(DB_PATH, 'utf8');
    const r = parseSignatures(text, DB_PATH);
    assert.ok(r.ok, r.ok ? '' : r.diagnostics.map((d) => `${d.line}: ${d.field}: ${d.message}`).join('\n'));
    assert.deepEqual(r.warnings, []);
    assert.ok(r.db.tcpRequest.length > 50 && r.db.tcpResponse.length > 30, 'TCP sections are populated');
    assert.ok(r.db.httpRequest.length > 10 && r.db.httpResponse.length > 5, 'HTTP sections are populated');
    assert.ok(r.db.mtu.length > 5, 'MTU section is populated');
  });

  test('ua_os lists Android and iOS before the names their agents also contain', () => {
    const names = getDb().uaOs.map((u) => u.name);
    const first = (n: string): number => names.indexOf(n);
    assert.ok(first('Android') >= 0 && first('Android') < first('Linux'));
    assert.ok(first('iOS') >= 0 && first('iOS') < first('macOS'));
    const cros = getDb().uaOs.find((u) => u.substr === 'CrOS');
    assert.equal(cros?.name, 'Linux', 'ChromeOS agents are compared as Linux');
    assert.ok(names.indexOf('Linux') < names.lastIndexOf('Linux'), 'CrOS comes before the plain Linux entry');
  });

  test('every application label has a sys line and every OS label a known class', () => {
    const d = getDb();
    for (const l of d.labels) {
      if (l.cls === null) assert.ok(l.sys.length > 0, `label at line ${l.line} needs sys`);
      else assert.ok(d.classes.includes(l.cls), `label at line ${l.line}: class ${l.cls}`);
    }
  });
});

describe('client SYNs get the intended label', () => {
  for (const c of synCases) {
    test(c.name, () => {
      const v = tcpVerdict(run([c.pkt]), 'syn');
      assert.equal(v.label, c.label);
      assert.equal(v.userland, c.userland ?? false);
    });
  }
});

/** A client SYN (Linux 6.x) followed by the server's SYN+ACK. */
function handshake(server: { ip: Ip4Spec; win: number; options: OptItem[] }): Pkt[] {
  const cli = { src: '192.0.2.10', dst: '198.51.100.20' };
  const srv = { src: '198.51.100.20', dst: '192.0.2.10' };
  return [
    { ip: { ...cli, ttl: 64, id: 0x1001 }, tcp: { sport: 40000, dport: 443, seq: 1000, flags: SYN, win: 64240, options: LINUX_OPTS(7) } },
    { ip: { ...srv, ...server.ip }, tcp: { sport: 443, dport: 40000, seq: 5000, ack: 1001, flags: SYN_ACK, win: server.win, options: server.options } },
  ];
}

describe('server SYN+ACKs get the intended label', () => {
  const cases: Array<{ name: string; ip: Ip4Spec; win: number; options: OptItem[]; label: string }> = [
    {
      name: 'Linux 6.x server (45 x (MSS - 12), IP ID 0)',
      ip: { ttl: 64, id: 0 },
      win: 65160,
      options: [{ mss: 1460 }, 'sok', { ts: [42, 123456] }, 'nop', { ws: 7 }],
      label: 'Linux 4.19 or newer',
    },
    {
      name: 'Windows Server 2022 (65535, scale 8)',
      ip: { ttl: 128, id: 0x2345 },
      win: 65535,
      options: WIN_OPTS(8),
      label: 'Windows 10 or 11 (or Server 2016+)',
    },
    {
      name: 'Windows Server 2012 R2 with timestamps (8192, scale 8)',
      ip: { ttl: 128, id: 0x2346 },
      win: 8192,
      options: [{ mss: 1460 }, 'nop', { ws: 8 }, 'sok', { ts: [1, 123456] }],
      label: 'Windows Vista to 8.1 (or Server 2008-2016)',
    },
    {
      name: 'FreeBSD server (zero IP ID)',
      ip: { ttl: 64, id: 0 },
      win: 65535,
      options: [{ mss: 1460 }, 'nop', { ws: 9 }, 'sok', { ts: [7, 123456] }],
      label: 'FreeBSD',
    },
    {
      name: 'Google front end (TTL 128, no DF)',
      ip: { ttl: 121, id: 0x5a5a, df: false },
      win: 65535,
      options: [{ mss: 1430 }, 'sok', { ts: [9, 123456] }, 'nop', { ws: 8 }],
      label: 'Google front end',
    },
    {
      name: 'F5 BIG-IP (TTL 255, 3 x MSS)',
      ip: { ttl: 250, id: 0x0777 },
      win: 4380,
      options: [{ mss: 1460 }, 'nop', 'nop', { ts: [3, 123456] }, 'sok', 'eol'],
      label: 'F5 BIG-IP',
    },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const v = tcpVerdict(run(handshake(c)), 'syn+ack');
      assert.equal(v.label, c.label);
    });
  }
});

/** A whole HTTP exchange on one connection: handshake, request, response. */
function exchange(request: string, response: string): Pkt[] {
  const cli = { src: '192.0.2.10', dst: '198.51.100.20', ttl: 64, id: 0x1001 };
  const srv = { src: '198.51.100.20', dst: '192.0.2.10', ttl: 64, id: 0 };
  return [
    { ip: cli, tcp: { sport: 40001, dport: 80, seq: 1000, flags: SYN, win: 64240, options: LINUX_OPTS(7) } },
    { ip: srv, tcp: { sport: 80, dport: 40001, seq: 5000, ack: 1001, flags: SYN_ACK, win: 65160, options: [{ mss: 1460 }, 'sok', { ts: [2, 1] }, 'nop', { ws: 7 }] } },
    { ip: cli, tcp: { sport: 40001, dport: 80, seq: 1001, ack: 5001, flags: ACK, win: 502 } },
    { ip: cli, tcp: { sport: 40001, dport: 80, seq: 1001, ack: 5001, flags: PSH_ACK, win: 502, payload: request } },
    { ip: srv, tcp: { sport: 80, dport: 40001, seq: 5001, ack: 1001 + request.length, flags: PSH_ACK, win: 509, payload: response } },
  ];
}

function httpApp(obs: Observation[], mod: 'http request' | 'http response'): string | null {
  const o = obs.find((x) => x.mod === mod);
  assert.ok(o, `no ${mod} observation`);
  const d = o.detail;
  assert.ok(d && d.kind === 'http');
  return d.app ? (d.app.flavor ? `${d.app.name} ${d.app.flavor}` : d.app.name) : null;
}

const crlf = (lines: string[]): string => lines.join('\r\n') + '\r\n\r\n';

const NGINX_RESPONSE = crlf([
  'HTTP/1.1 200 OK',
  'Server: nginx/1.26.2',
  'Date: Tue, 14 Nov 2023 22:13:21 GMT',
  'Content-Type: text/html',
  'Content-Length: 615',
  'Last-Modified: Tue, 14 Nov 2023 12:00:00 GMT',
  'Connection: keep-alive',
  'ETag: "6553d0c0-267"',
  'Accept-Ranges: bytes',
]);

describe('HTTP requests and responses get the intended label', () => {
  const requests: Array<{ name: string; text: string; app: string }> = [
    {
      name: 'Chrome 120 on Windows',
      text: crlf([
        'GET / HTTP/1.1',
        'Host: example.test',
        'Connection: keep-alive',
        'sec-ch-ua: "Not_A Brand";v="8", "Chromium";v="120", "Google Chrome";v="120"',
        'sec-ch-ua-mobile: ?0',
        'sec-ch-ua-platform: "Windows"',
        'Upgrade-Insecure-Requests: 1',
        'User-Agent: Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36',
        'Accept: text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8',
        'Sec-Fetch-Site: none',
        'Sec-Fetch-Mode: navigate',
        'Sec-Fetch-User: ?1',
        'Sec-Fetch-Dest: document',
        'Accept-Encoding: gzip, deflate',
        'Accept-Language: en-US,en;q=0.9',
      ]),
      app: 'Chrome 90 or newer (Chromium-based)',
    },
    {
      name: 'Firefox 128 on Linux',
      text: crlf([
        'GET / HTTP/1.1',
        'Host: example.test',
        'User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0',
        'Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8',
        'Accept-Language: en-US,en;q=0.5',
        'Accept-Encoding: gzip, deflate',
        'Connection: keep-alive',
        'Upgrade-Insecure-Requests: 1',
        'Priority: u=0, i',
      ]),
      app: 'Firefox 29 or newer',
    },
    {
      name: 'Safari 17 on macOS',
      text: crlf([
        'GET / HTTP/1.1',
        'Host: example.test',
        'Upgrade-Insecure-Requests: 1',
        'Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8',
        'User-Agent: Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15',
        'Accept-Language: en-GB,en;q=0.9',
        'Accept-Encoding: gzip, deflate',
        'Connection: keep-alive',
      ]),
      app: 'Safari',
    },
    {
      name: 'curl 8',
      text: crlf(['GET / HTTP/1.1', 'Host: example.test', 'User-Agent: curl/8.5.0', 'Accept: */*']),
      app: 'curl',
    },
  ];
  for (const c of requests) {
    test(c.name, () => {
      assert.equal(httpApp(run(exchange(c.text, NGINX_RESPONSE)), 'http request'), c.app);
    });
  }

  const responses: Array<{ name: string; text: string; app: string }> = [
    { name: 'nginx 1.26', text: NGINX_RESPONSE, app: 'nginx' },
    {
      name: 'Apache 2.4',
      text: crlf([
        'HTTP/1.1 200 OK',
        'Date: Tue, 14 Nov 2023 22:13:21 GMT',
        'Server: Apache/2.4.58 (Debian)',
        'Last-Modified: Tue, 14 Nov 2023 12:00:00 GMT',
        'ETag: "29cd-60a1b1c7e0d40"',
        'Accept-Ranges: bytes',
        'Content-Length: 10701',
        'Vary: Accept-Encoding',
        'Keep-Alive: timeout=5, max=100',
        'Connection: Keep-Alive',
        'Content-Type: text/html',
      ]),
      app: 'Apache 1.3 to 2.4',
    },
    {
      name: 'IIS 10',
      text: crlf([
        'HTTP/1.1 200 OK',
        'Content-Type: text/html',
        'Last-Modified: Tue, 14 Nov 2023 12:00:00 GMT',
        'Accept-Ranges: bytes',
        'ETag: "0b1d1c2ef17da1:0"',
        'Server: Microsoft-IIS/10.0',
        'Date: Tue, 14 Nov 2023 22:13:21 GMT',
        'Content-Length: 703',
      ]),
      app: 'IIS 6 to 10',
    },
  ];
  for (const c of responses) {
    test(c.name, () => {
      const req = crlf(['GET / HTTP/1.1', 'Host: example.test', 'User-Agent: curl/8.5.0', 'Accept: */*']);
      assert.equal(httpApp(run(exchange(req, c.text)), 'http response'), c.app);
    });
  }
});

describe("User-Agent OS against the SYN (p0f's bad_sw)", () => {
  const chrome = (platform: string, ua: string): string =>
    crlf([
      'GET / HTTP/1.1',
      'Host: example.test',
      'Connection: keep-alive',
      'sec-ch-ua: "Not_A Brand";v="8", "Chromium";v="120", "Google Chrome";v="120"',
      'sec-ch-ua-mobile: ?0',
      `sec-ch-ua-platform: "${platform}"`,
      'Upgrade-Insecure-Requests: 1',
      `User-Agent: ${ua}`,
      'Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8',
      'Accept-Encoding: gzip, deflate',
      'Accept-Language: en-US,en;q=0.9',
    ]);
  const badSw = (request: string): number => {
    const o = run(exchange(request, NGINX_RESPONSE)).find((x) => x.mod === 'http request');
    assert.ok(o && o.detail?.kind === 'http');
    return o.detail.badSw;
  };

  test('a Chromebook over a Linux SYN is no mismatch (CrOS reads as Linux)', () => {
    assert.equal(badSw(chrome('Chrome OS', 'Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36')), 0);
  });

  test('a Windows agent over a Linux SYN is', () => {
    assert.equal(badSw(chrome('Windows', 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36')), 1);
  });
});
