/**
 * The live capture's filter with TLS on: p0f's TCP filter plus UDP that may
 * carry a QUIC Initial, over IPv4 and IPv6, plain and VLAN-tagged; the
 * user's expression still applies to both; without QUIC, p0f's own forms.
 * Compiled by libpcap (the addon, as live capture compiles it) and run on
 * built frames.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileOfflineFilter } from '../../src/capture/filter.js';
import { addonAvailable, liveFilterForms } from '../../src/capture/live.js';
import { ethernet, ipv4, ipv6, record, tcp4, udp, LinkType } from '../helpers/packet-build.js';

const skip = addonAvailable() ? false : 'native addon not built (npm run build:native)';

/** The first form libpcap takes for the link type, as live-run's openFiltered does. */
function compile(expr: string, quic: boolean, linkType: number = LinkType.ETHERNET) {
  for (const f of liveFilterForms(expr, quic)) {
    try {
      return compileOfflineFilter(f, linkType);
    } catch {
      // the next form
    }
  }
  throw new Error('no form compiles');
}

const initial = Buffer.concat([Buffer.from([0xc3, 0, 0, 0, 1, 8]), Buffer.alloc(1200, 7)]);
const dns = Buffer.from('abcd01000001000000000000', 'hex');
const v4 = (payload: Buffer, dport = 443) => ethernet(ipv4(udp(payload, { sport: 50000, dport }), { proto: 17 }));
const v6 = (payload: Buffer, dport = 443) => ethernet(ipv6(udp(payload, { sport: 50000, dport }), { next: 17 }));
const tagged = (payload: Buffer) => ethernet(ipv4(udp(payload, { sport: 50000, dport: 443 }), { proto: 17 }), { tags: [100] });
const syn = ethernet(tcp4({}, { dport: 443, flags: 0x02 }));
const vxlan = ethernet(ipv4(udp(Buffer.from('0800000000006400', 'hex'), { sport: 50000, dport: 4789 }), { proto: 17 }));

describe('the live filter with QUIC', { skip }, () => {
  it('lets QUIC long headers through over IPv4, IPv6 and VLANs, with TCP; not DNS or VXLAN', () => {
    const f = compile('', true);
    const m = (frame: Buffer): boolean => f(record(frame, LinkType.ETHERNET));
    assert.ok(m(syn));
    assert.ok(m(v4(initial)));
    assert.ok(m(v6(initial)));
    assert.ok(m(tagged(initial)));
    assert.ok(!m(v4(dns)));
    assert.ok(!m(v6(dns)));
    assert.ok(!m(vxlan), 'UDP tunnels stay out, as with p0f: their TCP would pace p0f\'s expiry');
  });

  it("applies the user's expression to QUIC too", () => {
    const f = compile('port 443', true);
    const m = (frame: Buffer): boolean => f(record(frame, LinkType.ETHERNET));
    assert.ok(m(v4(initial)));
    assert.ok(!m(v4(initial, 8443)));
    assert.ok(m(syn));
    assert.ok(!compile('tcp port 443', true)(record(v4(initial), LinkType.ETHERNET)), 'an expression that says tcp means tcp');
  });

  it("without QUIC (--no-tls), p0f's filter: TCP only", () => {
    assert.deepEqual(liveFilterForms('', false), ['tcp or (vlan and tcp)', 'tcp']);
    const f = compile('', false);
    assert.ok(f(record(syn, LinkType.ETHERNET)));
    assert.ok(!f(record(v4(initial), LinkType.ETHERNET)));
  });

  it('link types without VLANs take the plain form (raw IP)', () => {
    const raw = ipv4(udp(initial, { sport: 50000, dport: 443 }), { proto: 17 });
    assert.ok(compile('', true, LinkType.RAW)(record(raw, LinkType.RAW)));
  });
});
