/**
 * Builds samples/demo.pcap: a small, deterministic capture made by this
 * project (no third-party traffic) that shows what pof reports: client and
 * server handshakes of common systems, an HTTP exchange, uptime from TCP
 * timestamps, a scanner, IPv6, and SYNs inside a VLAN tag and a GRE tunnel
 * (which p0f 3.09b does not see). Run: node --import tsx scripts/make-sample.ts
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { writePcap, type PcapPacket } from '../test/helpers/capture-write.js';
import { ethernet, gre, ipv4, tcp4, tcp6, type OptItem, type TcpSpec } from '../test/helpers/packet-build.js';

export const DEMO_PATH = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../samples/demo.pcap');
const T0 = 1_767_225_600; // 2026-01-01 00:00:00 UTC
/** The demo capture's bytes (deterministic). */
export function buildDemoCapture(): Buffer {
  const packets: PcapPacket[] = [];
  let clock = 0; // microseconds since T0

  function at(data: Buffer, advanceUs = 1000): void {
    clock += advanceUs;
    packets.push({ data, tsSec: T0 + Math.floor(clock / 1e6), tsUsec: clock % 1e6 });
  }

  const SYN = 0x02;
  const ACK = 0x10;
  const PSH_ACK = 0x18;
  const SYN_ACK = 0x12;
  const FIN_ACK = 0x11;

  interface Side {
    addr: string;
    ttl: number;
    df?: boolean;
    id?: number;
  }

  /** One TCP conversation: handshake, optional request/response, close. */
  function conversation(o: {
    cli: Side;
    srv: Side;
    sport: number;
    dport: number;
    synWin: number;
    synOpts: readonly OptItem[];
    ackWin: number;
    ackOpts?: readonly OptItem[];
    request?: string;
    response?: string;
    synackWin?: number;
    synackOpts?: readonly OptItem[];
    v6?: boolean;
    wrap?: (ip: Buffer) => Buffer;
    gapUs?: number;
  }): void {
    const wrap = o.wrap ?? ((ip: Buffer) => ethernet(ip));
    const mk = (from: Side, to: Side, tcp: TcpSpec): Buffer =>
      wrap(o.v6 ? tcp6({ src: from.addr, dst: to.addr, ttl: from.ttl }, tcp) : tcp4({ src: from.addr, dst: to.addr, ttl: from.ttl, df: from.df ?? true, id: from.id ?? 0x4d2 }, tcp));
    let cseq = 1_000_000 + o.sport;
    let sseq = 7_000_000 + o.sport;
    at(mk(o.cli, o.srv, { sport: o.sport, dport: o.dport, seq: cseq, flags: SYN, win: o.synWin, options: o.synOpts }), o.gapUs ?? 50_000);
    cseq++;
    if (!o.synackOpts) return;
    at(mk(o.srv, o.cli, { sport: o.dport, dport: o.sport, seq: sseq, ack: cseq, flags: SYN_ACK, win: o.synackWin ?? 65160, options: o.synackOpts }), 20_000);
    sseq++;
    const ackOpts = o.ackOpts ?? [];
    at(mk(o.cli, o.srv, { sport: o.sport, dport: o.dport, seq: cseq, ack: sseq, flags: ACK, win: o.ackWin, options: ackOpts }), 300);
    if (o.request) {
      at(mk(o.cli, o.srv, { sport: o.sport, dport: o.dport, seq: cseq, ack: sseq, flags: PSH_ACK, win: o.ackWin, options: ackOpts, payload: o.request }), 200);
      cseq += o.request.length;
    }
    if (o.response) {
      at(mk(o.srv, o.cli, { sport: o.dport, dport: o.sport, seq: sseq, ack: cseq, flags: PSH_ACK, win: 509, payload: o.response }), 20_000);
      sseq += o.response.length;
    }
    at(mk(o.cli, o.srv, { sport: o.sport, dport: o.dport, seq: cseq, ack: sseq, flags: FIN_ACK, win: o.ackWin, options: ackOpts }), 1000);
  }

  const linux: Side = { addr: '192.168.1.10', ttl: 64, id: 0x9a3f };
  const web: Side = { addr: '203.0.113.80', ttl: 52, id: 0 };
  const linuxSyn = (ts: number): OptItem[] => [{ mss: 1460 }, 'sok', { ts: [ts, 0] }, 'nop', { ws: 7 }];
  const serverSynack = (ts: number, peer: number): OptItem[] => [{ mss: 1460 }, 'sok', { ts: [ts, peer] }, 'nop', { ws: 7 }];

  // 1. Linux + curl to an nginx server, with HTTP.
  conversation({
    cli: linux,
    srv: web,
    sport: 45012,
    dport: 80,
    synWin: 64240,
    synOpts: linuxSyn(3_000_000),
    ackWin: 502,
    ackOpts: ['nop', 'nop', { ts: [3_000_020, 900_000] }],
    synackWin: 65160,
    synackOpts: serverSynack(900_000, 3_000_000),
    request: 'GET / HTTP/1.1\r\nHost: example.test\r\nUser-Agent: curl/8.5.0\r\nAccept: */*\r\n\r\n',
    response:
      'HTTP/1.1 200 OK\r\nServer: nginx/1.24.0\r\nDate: Thu, 01 Jan 2026 00:00:00 GMT\r\nContent-Type: text/html\r\nContent-Length: 2\r\nLast-Modified: Wed, 31 Dec 2025 00:00:00 GMT\r\nConnection: keep-alive\r\nETag: "1"\r\nAccept-Ranges: bytes\r\n\r\nok',
  });
  // 2. The same Linux host again two seconds later: its TCP timestamps give uptime.
  conversation({
    cli: linux,
    srv: web,
    sport: 45020,
    dport: 443,
    synWin: 64240,
    synOpts: linuxSyn(3_002_050),
    ackWin: 502,
    synackOpts: serverSynack(902_000, 3_002_050),
    gapUs: 2_000_000,
  });
  // 3. Windows 10/11 client (Chrome) to the same server.
  conversation({
    cli: { addr: '192.168.1.20', ttl: 128, id: 0x6b21 },
    srv: web,
    sport: 50511,
    dport: 80,
    synWin: 64240,
    synOpts: [{ mss: 1460 }, 'nop', { ws: 8 }, 'nop', 'nop', 'sok'],
    ackWin: 1026,
    synackOpts: [{ mss: 1460 }, 'nop', 'nop', 'sok', 'nop', { ws: 7 }],
    request:
      'GET /index.html HTTP/1.1\r\nHost: example.test\r\nConnection: keep-alive\r\nUser-Agent: Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36\r\nAccept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\nAccept-Encoding: gzip, deflate\r\nAccept-Language: de-DE,de;q=0.9,en;q=0.8\r\n\r\n',
  });
  // 4. macOS client.
  conversation({
    cli: { addr: '192.168.1.30', ttl: 64, id: 0 },
    srv: web,
    sport: 61001,
    dport: 443,
    synWin: 65535,
    synOpts: [{ mss: 1460 }, 'nop', { ws: 6 }, 'nop', 'nop', { ts: [1_234_567, 0] }, 'sok', 'eol'],
    ackWin: 2058,
    synackOpts: serverSynack(903_000, 1_234_567),
  });
  // 5. An nmap SYN scan of a few ports (no handshake completes).
  for (const [i, port] of [22, 80, 443].entries()) {
    at(ethernet(tcp4({ src: '198.51.100.66', dst: '192.168.1.10', ttl: 41 + i, df: false, id: 0x3c11 + i }, { sport: 61234, dport: port, seq: 0x7f1e5a00, flags: SYN, win: 1024, options: [{ mss: 1460 }] })), 10_000);
  }
  // 6. Linux over IPv6.
  conversation({
    cli: { addr: '2001:db8:1::10', ttl: 64 },
    srv: { addr: '2001:db8:2::80', ttl: 58 },
    sport: 40404,
    dport: 80,
    synWin: 64800,
    synOpts: [{ mss: 1440 }, 'sok', { ts: [77_000, 0] }, 'nop', { ws: 7 }],
    ackWin: 507,
    synackWin: 64260,
    synackOpts: [{ mss: 1440 }, 'sok', { ts: [88_000, 77_000] }, 'nop', { ws: 7 }],
    v6: true,
  });
  // 7. A SYN inside an 802.1Q VLAN tag, and 8. one inside a GRE tunnel: p0f 3.09b drops both.
  conversation({
    cli: { addr: '10.20.0.5', ttl: 64, id: 0x1111 },
    srv: { addr: '10.20.0.1', ttl: 64, id: 0 },
    sport: 38000,
    dport: 8080,
    synWin: 64240,
    synOpts: linuxSyn(5_000_000),
    ackWin: 502,
    wrap: (ip) => ethernet(ip, { tags: [100] }),
  });
  conversation({
    cli: { addr: '172.16.5.5', ttl: 128, id: 0x2222 },
    srv: { addr: '172.16.5.1', ttl: 64, id: 0 },
    sport: 51000,
    dport: 445,
    synWin: 64240,
    synOpts: [{ mss: 1460 }, 'nop', { ws: 8 }, 'nop', 'nop', 'sok'],
    ackWin: 1026,
    wrap: (ip) => ethernet(ipv4(gre(ip), { src: '192.0.2.1', dst: '192.0.2.2', proto: 47, ttl: 60 })),
  });

  return writePcap(packets);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const data = buildDemoCapture();
  fs.mkdirSync(path.dirname(DEMO_PATH), { recursive: true });
  fs.writeFileSync(DEMO_PATH, data);
  console.log(`wrote ${DEMO_PATH}: ${data.length} bytes`);
}
