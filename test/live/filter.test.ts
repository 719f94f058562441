// Offline BPF filtering of hand-built frames (needs the addon, not root).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { compileOfflineFilter } from '../../src/capture/filter.js';
import { addonAvailable } from '../../src/capture/live.js';
import type { PacketRecord } from '../../src/capture/types.js';
import { PofError } from '../../src/errors.js';

const skip = addonAvailable() ? false : 'native addon not built (npm run build:native)';

const LINKTYPE_ETHERNET = 1;
const LINKTYPE_RAW = 101;

/** IPv4 + TCP header (no options), src 192.0.2.1 -> 192.0.2.2. */
function ipv4Tcp(sport: number, dport: number, flags: number): Buffer {
  const ip = Buffer.from('450000280001000040060000c0000201c0000202', 'hex');
  const tcp = Buffer.alloc(20);
  tcp.writeUInt16BE(sport, 0);
  tcp.writeUInt16BE(dport, 2);
  tcp.writeUInt32BE(1000, 4); // seq
  tcp[12] = 5 << 4; // data offset
  tcp[13] = flags;
  tcp.writeUInt16BE(65535, 14); // window
  return Buffer.concat([ip, tcp]);
}

function ethernet(payload: Buffer, ethertype = 0x0800): Buffer {
  const eth = Buffer.from('0200000000020200000000010000', 'hex');
  eth.writeUInt16BE(ethertype, 12);
  return Buffer.concat([eth, payload]);
}

function rec(frame: Buffer, linkType = LINKTYPE_ETHERNET, prefix = 0): PacketRecord {
  const data = Buffer.concat([Buffer.alloc(prefix, 0xee), frame, Buffer.alloc(7, 0xee)]);
  return { linkType, tsSec: 0, tsUsec: 0, data, offset: prefix, caplen: frame.length, wirelen: frame.length };
}

describe('compileOfflineFilter', { skip }, () => {
  const syn80 = ethernet(ipv4Tcp(40000, 80, 0x02));
  const ack81 = ethernet(ipv4Tcp(40000, 81, 0x10));
  const arp = ethernet(Buffer.alloc(28), 0x0806);

  const cases: Array<[string, Buffer, boolean]> = [
    ['tcp port 80', syn80, true],
    ['tcp port 80', ack81, false],
    ['tcp port 80', arp, false],
    ['tcp or (vlan and tcp)', syn80, true],
    ['tcp or (vlan and tcp)', arp, false],
    ['tcp[tcpflags] & tcp-syn != 0', syn80, true],
    ['tcp[tcpflags] & tcp-syn != 0', ack81, false],
    ['src host 192.0.2.1 and dst port 81', ack81, true],
    ['udp', syn80, false],
    ['', arp, true],
  ];
  for (const [expr, frame, want] of cases) {
    it(`'${expr}' ${want ? 'accepts' : 'rejects'} a ${frame.length}-byte frame`, () => {
      const f = compileOfflineFilter(expr, LINKTYPE_ETHERNET, 65535);
      assert.equal(f(rec(frame)), want);
      assert.equal(f(rec(frame, LINKTYPE_ETHERNET, 13)), want, 'honours offset within a shared buffer');
    });
  }

  it('compiles for raw IP captures (LINKTYPE_RAW)', () => {
    const f = compileOfflineFilter('tcp dst port 80', LINKTYPE_RAW, 65535);
    assert.equal(f(rec(ipv4Tcp(1, 80, 2), LINKTYPE_RAW)), true);
    assert.equal(f(rec(ipv4Tcp(1, 81, 2), LINKTYPE_RAW)), false);
  });

  it('does not read past caplen', () => {
    const f = compileOfflineFilter('tcp port 80', LINKTYPE_ETHERNET, 65535);
    const r = rec(syn80);
    r.caplen = 30; // cut inside the IP header
    assert.equal(f(r), false);
  });

  it('throws PofError with libpcap\'s reason for a bad expression', () => {
    assert.throws(
      () => compileOfflineFilter('tcp port', LINKTYPE_ETHERNET, 65535),
      (e: unknown) => e instanceof PofError && e.code === 'E_USAGE' && /^bad filter expression 'tcp port': .*syntax/.test(e.message),
    );
    assert.throws(
      () => compileOfflineFilter('ether host 1:2:3:4:5:6', LINKTYPE_RAW, 65535),
      (e: unknown) => e instanceof PofError && /bad filter expression/.test(e.message),
    );
  });
});
