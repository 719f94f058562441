/**
 * The UDP view against tshark's reading of the same frames: ports, UDP
 * length, TTL and source address of the datagram pof hands on. First over
 * datagrams built here (plain, tagged and tunnelled: tshark's innermost UDP
 * is pof's), then, when ../shared is present, over every datagram of the
 * development corpus that pof finds outside any tunnel (tshark's first UDP
 * and IP headers are pof's). In CI a missing tshark fails the run.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { readCaptureFile } from '../../src/capture/file.js';
import { decodeFrame, newDecodeState, type DecodeState } from '../../src/decode/index.js';
import { writePcap, type PcapPacket } from '../helpers/capture-write.js';
import * as B from '../helpers/packet-build.js';
import { LinkType } from '../helpers/packet-build.js';

const haveTshark = spawnSync('tshark', ['-v'], { stdio: 'ignore' }).status === 0;
const skip = haveTshark || process.env.CI === 'true' ? false : 'tshark not installed';
const CORPUS = fileURLToPath(new URL('../../../shared/corpus/dev', import.meta.url));

/** One frame as tshark reads it: [udp.srcport, udp.dstport, udp.length, ip.src, ipv6.src, ip.ttl, ipv6.hlim]. */
type Fields = string[];

function tsharkFields(pcap: Buffer, occurrence: 'f' | 'l'): Fields[] {
  const dir = mkdtempSync(join(tmpdir(), 'pof-udp-tshark-'));
  try {
    const file = join(dir, 'u.pcap');
    writeFileSync(file, pcap);
    const fields = ['udp.srcport', 'udp.dstport', 'udp.length', 'ip.src', 'ipv6.src', 'ip.ttl', 'ipv6.hlim'];
    const r = spawnSync('tshark', ['-n', '-r', file, '-T', 'fields', '-E', `occurrence=${occurrence}`, ...fields.flatMap((f) => ['-e', f])], {
      encoding: 'utf8',
      maxBuffer: 1 << 28,
    });
    assert.equal(r.status, 0, r.stderr);
    return r.stdout.split('\n').slice(0, -1).map((l) => l.split('\t'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * pof's UDP view in tshark's terms: the ports, the length field of the UDP
 * header the view was read from, the source and the TTL.
 */
function pofFields(st: DecodeState): Fields {
  const u = st.udp;
  const ulen = u.addr.readUInt16BE(u.payOff - 4);
  // The payload ends where the UDP length says, unless that is past the IP payload.
  const ipEnd = st.end;
  assert.equal(u.payLen, ulen >= 8 && u.payOff - 8 + ulen < ipEnd ? ulen - 8 : ipEnd - u.payOff);
  const src =
    u.ipVer === 4
      ? Array.from(u.addr.subarray(u.srcOff, u.srcOff + 4)).join('.')
      : Array.from({ length: 8 }, (_, i) => u.addr.readUInt16BE(u.srcOff + 2 * i).toString(16)).join(':');
  return [String(u.sport), String(u.dport), String(ulen), src, String(u.ttl)];
}

/** tshark's fields cut to the same shape (IPv6 addresses expanded, as pofFields writes them). */
function theirs(f: Fields, ipVer: 4 | 6): Fields {
  const [sport, dport, len, ip4, ip6, ttl, hlim] = f;
  const expand = (a: string) => {
    const [head, tail] = a.includes('::') ? a.split('::') : [a, undefined];
    const h = head ? head.split(':') : [];
    const t = tail ? tail.split(':') : [];
    const groups = tail === undefined ? h : [...h, ...new Array(8 - h.length - t.length).fill('0'), ...t];
    return groups.map((g) => parseInt(g, 16).toString(16)).join(':');
  };
  return [sport!, dport!, len!, ipVer === 4 ? ip4! : expand(ip6!), ipVer === 4 ? ttl! : hlim!];
}

describe('UDP view against tshark', { skip }, () => {
  it('built datagrams, plain, tagged and tunnelled: tshark\'s innermost UDP is the view', () => {
    const arb = fc.record({
      v6: fc.boolean(),
      ttl: fc.integer({ min: 1, max: 255 }),
      sport: fc.integer({ min: 49152, max: 65535 }),
      dport: fc.constantFrom(443, 53, 123),
      payload: fc.uint8Array({ minLength: 0, maxLength: 80 }),
      wrap: fc.integer({ min: 0, max: 6 }),
    });
    const specs = fc.sample(arb, { numRuns: 300, seed: 21 });
    const eth = (p: Uint8Array, tags: number[] = []) => B.ethernet(p, { tags });
    const frames = specs.map((s) => {
      const d = B.udp(s.payload, { sport: s.sport, dport: s.dport });
      const ip = s.v6 ? B.ipv6(d, { next: 17, ttl: s.ttl }) : B.ipv4(d, { proto: 17, ttl: s.ttl });
      switch (s.wrap) {
        case 0:
          return eth(ip);
        case 1:
          return eth(ip, [5, 6]);
        case 2:
          return eth(B.overIpv4(47, B.gre(ip)));
        case 3:
          return eth(B.overIpv4(17, B.vxlan(eth(ip))));
        case 4:
          return eth(B.overIpv4(17, B.gtpu(ip, { seq: 3 })));
        case 5:
          return eth(s.v6 ? B.sixIn4(ip) : B.ipip(ip));
        default:
          return eth(s.v6 ? B.sixIn6(ip) : B.fourIn6(ip));
      }
    });
    const packets: PcapPacket[] = frames.map((data) => ({ data: Buffer.from(data) }));
    const ts = tsharkFields(writePcap(packets), 'l');
    assert.equal(ts.length, frames.length);
    const st = newDecodeState();
    frames.forEach((f, i) => {
      assert.equal(decodeFrame(B.record(f, LinkType.ETHERNET), st), 'udp', `frame ${i + 1}`);
      assert.deepEqual(pofFields(st), theirs(ts[i]!, st.udp.ipVer), `frame ${i + 1} (wrap ${specs[i]!.wrap})`);
    });
  });

  const files = existsSync(CORPUS) ? readdirSync(CORPUS).filter((f) => /\.(pcap|pcapng)$/.test(f)) : [];
  it('every corpus datagram outside a tunnel: tshark\'s first UDP is the view', { skip: files.length === 0 && `no corpus at ${CORPUS}` }, (t) => {
    // Datagrams gathered per link type into one file each, so that tshark runs a few times, not once a capture.
    const byLink = new Map<number, { packets: PcapPacket[]; want: Array<[string, Fields, 4 | 6]> }>();
    const st = newDecodeState();
    for (const f of files) {
      let n = 0;
      readCaptureFile(join(CORPUS, f), (rec) => {
        n++;
        if (decodeFrame(rec, st) !== 'udp' || st.depth !== 0) return;
        let g = byLink.get(rec.linkType);
        if (!g) byLink.set(rec.linkType, (g = { packets: [], want: [] }));
        g.packets.push({ data: Buffer.from(rec.data.subarray(rec.offset, rec.offset + rec.caplen)), wirelen: rec.wirelen });
        g.want.push([`${f} #${n}`, pofFields(st), st.udp.ipVer]);
      });
    }
    let compared = 0;
    for (const [linkType, g] of byLink) {
      const ts = tsharkFields(writePcap(g.packets, { linkType }), 'f');
      assert.equal(ts.length, g.packets.length);
      g.want.forEach(([where, mine, ver], i) => assert.deepEqual(mine, theirs(ts[i]!, ver), where));
      compared += g.packets.length;
    }
    t.diagnostic(`${compared} datagrams in ${byLink.size} link types`);
    assert.ok(compared > 1000);
  });
});
