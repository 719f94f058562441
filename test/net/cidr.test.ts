import assert from 'node:assert/strict';
import net from 'node:net';
import { describe, it } from 'node:test';
import fc from 'fast-check';

import { addressBytes, parseCidr, parseCidrList } from '../../src/net/cidr.js';

const list = (t: string) => {
  const r = parseCidrList(t);
  if (!r.ok) throw new Error(r.error);
  return r.list;
};

describe('CIDR lists (--trusted-proxy)', () => {
  it('matches IPv4 and IPv6 ranges, bare addresses and IPv4-mapped peers', () => {
    const l = list('127.0.0.1/32, 10.0.0.0/8,192.168.4.0/22,::1,fd00::/8,2001:db8:1::/48');
    const yes = ['127.0.0.1', '::ffff:127.0.0.1', '10.255.0.3', '::ffff:10.1.2.3', '192.168.7.255', '::1', 'fd12:3456::1', '2001:db8:1:ffff::9', 'fd00::1%lo'];
    const no = ['127.0.0.2', '11.0.0.0', '192.168.8.0', '::2', 'fe00::1', '2001:db8:2::1', '::ffff:11.0.0.1', '', 'localhost', '1.2.3'];
    for (const a of yes) assert.equal(l.match(a), true, a);
    for (const a of no) assert.equal(l.match(a), false, a);
    assert.equal(l.size, 6);
    assert.equal(l.toString(), '127.0.0.1/32,10.0.0.0/8,192.168.4.0/22,::1/128,fd00::/8,2001:db8:1::/48');
  });

  it('takes an IPv4-mapped range as the IPv4 range', () => {
    const l = list('::ffff:10.0.0.0/104');
    assert.equal(l.ranges[0]!.ver, 4);
    assert.equal(l.ranges[0]!.prefix, 8);
    assert.equal(l.match('10.9.9.9'), true);
    assert.equal(l.match('::ffff:10.9.9.9'), true);
    assert.equal(l.match('11.0.0.0'), false);
  });

  it('0.0.0.0/0 takes every IPv4 address, ::/0 every address', () => {
    const l = list('0.0.0.0/0');
    assert.equal(l.match('1.2.3.4'), true);
    assert.equal(l.match('::1'), false);
    assert.equal(list('::/0').match('2001:db8::1'), true);
    assert.equal(list('::/0').match('1.2.3.4'), true, '::/0 holds the IPv4-mapped addresses');
    assert.equal(list('2000::/3').match('1.2.3.4'), false);
  });

  it('refuses bad lists with one line naming the range', () => {
    const bad: Array<[string, RegExp]> = [
      ['', /no address range given/],
      ['10.0.0.0/8,', /empty range/],
      ['10.0.0.1/8', /^10\.0\.0\.1\/8: bits are set below the prefix \(the range would be 10\.0\.0\.0\/8\)$/],
      ['10.0.0.0/33', /prefix length must be 0\.\.32/],
      ['::1/129', /prefix length must be 0\.\.128/],
      ['10.0.0.0/x', /prefix length/],
      ['10.0.0.0/-1', /prefix length/],
      ['300.0.0.0/8', /not an IP address/],
      ['fe80::1%eth0', /no zone/],
      ['::ffff:10.0.0.0/90', /96 or more/],
      ['2001:db8::1/32', /bits are set below the prefix \(the range would be 2001:db8::\/32\)/],
      ['example.com', /not an IP address/],
    ];
    for (const [t, re] of bad) {
      const r = parseCidrList(t);
      assert.equal(r.ok, false, t);
      if (!r.ok) {
        assert.match(r.error, re, t);
        assert.ok(!r.error.includes('\n'), '!r.error.includes(\'\n\')');
      }
    }
    assert.equal(parseCidrList('1.1.1.1,'.repeat(1025)).ok, false);
    assert.equal(parseCidrList(undefined as unknown as string).ok, false);
  });

  it('reads address bytes as net.isIP does (zones dropped, mapped to IPv4)', () => {
    assert.deepEqual(addressBytes('::ffff:1.2.3.4'), { ver: 4, bytes: Uint8Array.from([1, 2, 3, 4]) });
    assert.deepEqual(addressBytes('::ffff:102:304'), { ver: 4, bytes: Uint8Array.from([1, 2, 3, 4]) });
    assert.equal(addressBytes('fe80::1%eth0')?.ver, 6);
    assert.equal(addressBytes('1.2.3.04'), null);
    const r = parseCidr('2001:db8::/32');
    assert.ok(typeof r !== 'string', 'typeof r !== \'string\'');
  });

  it('agrees with node:net BlockList on random ranges and addresses', () => {
    const v4 = fc.tuple(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 32 }));
    const v6 = fc.tuple(fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 8, maxLength: 8 }), fc.integer({ min: 0, max: 128 }));
    const ip4 = (n: number): string => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
    const ip6 = (g: number[]): string => g.map((x) => x.toString(16)).join(':');
    const mask4 = (n: number, p: number): number => (p === 0 ? 0 : (n & ((0xffffffff << (32 - p)) >>> 0)) >>> 0);
    const mask6 = (g: number[], p: number): number[] => g.map((x, i) => {
      const keep = Math.max(0, Math.min(16, p - i * 16));
      return keep === 0 ? 0 : x & ((0xffff << (16 - keep)) & 0xffff);
    });
    fc.assert(
      fc.property(fc.array(v4, { maxLength: 5 }), fc.array(v6, { maxLength: 5 }), fc.array(fc.integer({ min: 0, max: 0xffffffff }), { maxLength: 10 }), fc.array(fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 8, maxLength: 8 }), { maxLength: 10 }), (r4, r6, a4, a6) => {
        if (!r4.length && !r6.length) return;
        const bl = new net.BlockList();
        const texts: string[] = [];
        for (const [n, p] of r4) {
          bl.addSubnet(ip4(mask4(n, p)), p, 'ipv4');
          texts.push(`${ip4(mask4(n, p))}/${p}`);
        }
        for (const [g, p] of r6) {
          const m = mask6(g, p);
          // Mapped ranges are IPv4 ranges here; BlockList keeps them apart: leave them out.
          if (m.slice(0, 5).every((x) => x === 0) && m[5] === 0xffff) continue;
          bl.addSubnet(ip6(m), p, 'ipv6');
          texts.push(`${ip6(m)}/${p}`);
        }
        if (!texts.length) return;
        const l = list(texts.join(','));
        for (const a of a4) assert.equal(l.match(ip4(a)), bl.check(ip4(a), 'ipv4'), `${ip4(a)} in ${texts}`);
        // Bits of random ranges as addresses too, so that some match.
        for (const [n] of r4) assert.equal(l.match(ip4(n)), bl.check(ip4(n), 'ipv4'));
        for (const g of [...a6, ...r6.map((x) => x[0])]) {
          if (g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff) continue;
          assert.equal(l.match(ip6(g)), bl.check(ip6(g), 'ipv6'), `${ip6(g)} in ${texts}`);
        }
      }),
      { numRuns: 300 },
    );
  });
});
