/**
 * The PROXY protocol parser: v1 lines and v2 headers from the spec's
 * layouts, a v2 header as HAProxy writes it (hex), TLVs, the CRC-32C check,
 * bounds, and fast-check fuzzing (never a throw; byte-by-byte arrival never
 * changes the verdict; written headers read back).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';

import { crc32c } from '../../src/net/crc32c.js';
import { canonicalAddress } from '../../src/net/addr.js';
import {
  headerTuple,
  mayStartProxyHeader,
  parseProxyHeader,
  PP2_CLIENT_CERT_CONN,
  PP2_CLIENT_SSL,
  PP2_TYPE,
  V1_MAX_LENGTH,
  V2_SIGNATURE,
  type ProxyAddress,
  type ProxyParseResult,
} from '../../src/web/proxy-protocol.js';
import { writeV2 } from '../../src/web/proxy-protocol-write.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const ascii = (s: string): Buffer => Buffer.from(s, 'latin1');

function header(r: ProxyParseResult) {
  assert.equal(r.kind, 'header', JSON.stringify(r));
  if (r.kind !== 'header') throw new Error('no header');
  return r.header;
}

function invalid(r: ProxyParseResult, re: RegExp): void {
  assert.equal(r.kind, 'invalid', JSON.stringify(r));
  if (r.kind === 'invalid') assert.match(r.reason, re);
}

const tlv = (type: number, value: Uint8Array | string): { type: number; value: Uint8Array } => ({ type, value: typeof value === 'string' ? Buffer.from(value) : value });

describe('CRC-32C', () => {
  it('gives the check value of "123456789" and continues across calls', () => {
    const b = ascii('123456789');
    assert.equal(crc32c(b), 0xe3069283);
    assert.equal(crc32c(b, 4, 9, crc32c(b, 0, 4)), 0xe3069283);
    assert.equal(crc32c(new Uint8Array(0)), 0);
    // 32 bytes of zeros (RFC 3720 B.4)
    assert.equal(crc32c(new Uint8Array(32)), 0x8a9136aa);
    assert.equal(crc32c(new Uint8Array(32).fill(0xff)), 0x62a8ab43);
  });
});

describe('PROXY protocol v1', () => {
  it('reads TCP4 and TCP6 lines, and the bytes after them are not its own', () => {
    const line = 'PROXY TCP4 198.51.100.7 203.0.113.80 45012 443\r\n';
    const h = header(parseProxyHeader(ascii(line + 'GET / HTTP/1.1\r\n')));
    assert.equal(h.version, 1);
    assert.equal(h.command, 'proxy');
    assert.equal(h.length, line.length);
    assert.deepEqual(h.addr, { family: 'inet', transport: 'stream', src: '198.51.100.7', srcPort: 45012, dst: '203.0.113.80', dstPort: 443 });
    assert.deepEqual(headerTuple(h), { ipVer: 4, cli: '198.51.100.7', cliPort: 45012, srv: '203.0.113.80', srvPort: 443 });

    const h6 = header(parseProxyHeader(ascii('PROXY TCP6 2001:db8::7 2001:db8:0:0::80 1 65535\r\n')));
    assert.deepEqual(h6.addr, { family: 'inet6', transport: 'stream', src: '2001:db8:0:0:0:0:0:7', srcPort: 1, dst: '2001:db8:0:0:0:0:0:80', dstPort: 65535 });
    assert.equal(headerTuple(h6)?.ipVer, 6);
    // IPv4-mapped in TCP6: pof's text for it is the IPv4 one.
    assert.equal(header(parseProxyHeader(ascii('PROXY TCP6 ::ffff:10.1.2.3 ::ffff:10.0.0.1 0 80\r\n'))).addr?.src, '10.1.2.3');
  });

  it('takes the longest lines the spec allows: 104 bytes for TCP6, 107 for UNKNOWN', () => {
    const f = 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff';
    const tcp6 = `PROXY TCP6 ${f} ${f} 65535 65535\r\n`;
    assert.equal(tcp6.length, 104);
    assert.equal(header(parseProxyHeader(ascii(tcp6))).length, 104);
    const unknown = `PROXY UNKNOWN ${f} ${f} 65535 65535\r\n`;
    assert.equal(unknown.length, V1_MAX_LENGTH);
    const hu = header(parseProxyHeader(ascii(unknown)));
    assert.equal(hu.addr, null);
    assert.equal(headerTuple(hu), null);
    assert.equal(header(parseProxyHeader(ascii('PROXY UNKNOWN\r\n'))).length, 15);
    // One byte more and it is no PROXY line.
    invalid(parseProxyHeader(ascii(`PROXY UNKNOWN ${f} ${f} 65535 655351\r\n`)), /no CRLF within 107 bytes/);
    invalid(parseProxyHeader(ascii('PROXY UNKNOWN ' + 'x'.repeat(200))), /no CRLF within 107 bytes/);
  });

  it('refuses what the grammar does not allow, with the reason', () => {
    const cases: Array<[string, RegExp]> = [
      ['PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n', /byte 0x0a/],
      ['PROXY TCP4 1.2.3.4 5.6.7.8 1 2\rX', /CR not followed by LF/],
      ['PROXY UDP4 1.2.3.4 5.6.7.8 1 2\r\n', /protocol "UDP4"/],
      ['PROXY TCP4 1.2.3.4  5.6.7.8 1 2\r\n', /fields after TCP4/],
      ['PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n', /fields after TCP4/],
      ['PROXY TCP4 1.2.3.4 5.6.7.8 1 2 \r\n', /fields after TCP4/],
      ['PROXY TCP4 2001:db8::1 5.6.7.8 1 2\r\n', /source "2001:db8::1" is not an IPv4 address/],
      ['PROXY TCP6 1.2.3.4 ::1 1 2\r\n', /source "1\.2\.3\.4" is not an IPv6 address/],
      ['PROXY TCP4 1.2.3.4 5.6.7.256 1 2\r\n', /destination "5\.6\.7\.256"/],
      ['PROXY TCP4 01.2.3.4 5.6.7.8 1 2\r\n', /source/],
      ['PROXY TCP6 fe80::1%eth0 ::1 1 2\r\n', /source/],
      ['PROXY TCP4 1.2.3.4 5.6.7.8 01 2\r\n', /port "01"/],
      ['PROXY TCP4 1.2.3.4 5.6.7.8 1 65536\r\n', /port "65536"/],
      ['PROXY TCP4 1.2.3.4 5.6.7.8 -1 2\r\n', /port "-1"/],
      ['PROXY \r\n', /protocol ""/],
      ['PROXY TCP4 1.2.3.4 5.6.7.8 1 2\u00e9\r\n', /byte 0xe9/],
    ];
    for (const [line, re] of cases) invalid(parseProxyHeader(ascii(line)), re);
  });

  it('waits for the rest of a line, and knows application bytes at once', () => {
    const line = ascii('PROXY TCP4 198.51.100.7 203.0.113.80 45012 443\r\n');
    for (let n = 0; n < line.length; n++) assert.equal(parseProxyHeader(line.subarray(0, n)).kind, 'incomplete', `${n} bytes`);
    for (const s of ['GET / HTTP/1.1\r\n', 'PRI * HTTP/2.0\r\n', 'POST', 'proxy TCP4', 'PROXYX', 'P ']) assert.deepEqual(parseProxyHeader(ascii(s)), { kind: 'none' }, s);
    // A TLS ClientHello's record header
    assert.deepEqual(parseProxyHeader(hex('16030100f8010000f4')), { kind: 'none' });
    assert.equal(mayStartProxyHeader(ascii('PRO')), true);
    assert.equal(mayStartProxyHeader(ascii('GET')), false);
    assert.equal(mayStartProxyHeader(hex('0d0a0d')), true);
  });
});

describe('PROXY protocol v2', () => {
  it('reads a header as HAProxy sends it (TCP over IPv4), the request after it left alone', () => {
    // HAProxy's send-proxy-v2 for 172.19.0.1:42578 -> 172.19.0.3:80, then "GET /".
    const b = hex('0d0a0d0a000d0a515549540a 21 11 000c ac130001 ac130003 a652 0050 474554202f');
    const h = header(parseProxyHeader(b));
    assert.equal(h.version, 2);
    assert.equal(h.command, 'proxy');
    assert.equal(h.length, 28);
    assert.deepEqual(h.addr, { family: 'inet', transport: 'stream', src: '172.19.0.1', srcPort: 42578, dst: '172.19.0.3', dstPort: 80 });
    assert.equal(b.subarray(h.length).toString(), 'GET /');
  });

  it('reads IPv6, UNIX and LOCAL headers', () => {
    const six = hex(
      '0d0a0d0a000d0a515549540a 21 21 0024' +
        '20010db8000000000000000000000007 20010db8000000000000000000000080 afd4 01bb',
    );
    assert.deepEqual(header(parseProxyHeader(six)).addr, { family: 'inet6', transport: 'stream', src: '2001:db8:0:0:0:0:0:7', srcPort: 45012, dst: '2001:db8:0:0:0:0:0:80', dstPort: 443 });
    const unix = writeV2({ addr: { family: 'unix', transport: 'stream', src: '/run/client.sock', dst: '/run/haproxy.sock' } });
    assert.equal(unix.length, 16 + 216);
    const hu = header(parseProxyHeader(unix));
    assert.deepEqual(hu.addr, { family: 'unix', transport: 'stream', src: '/run/client.sock', dst: '/run/haproxy.sock' });
    assert.equal(headerTuple(hu), null);
    // LOCAL (a health check): its address block is not read.
    const local = hex('0d0a0d0a000d0a515549540a 20 00 0000');
    const hl = header(parseProxyHeader(local));
    assert.equal(hl.command, 'local');
    assert.equal(hl.addr, null);
    const localWithJunk = hex('0d0a0d0a000d0a515549540a 20 11 0003 ffffff');
    assert.equal(header(parseProxyHeader(localWithJunk)).length, 19);
    // PROXY with an unspecified family: the real endpoints.
    assert.equal(header(parseProxyHeader(hex('0d0a0d0a000d0a515549540a 21 00 0000'))).addr, null);
    // UDP is read and said so.
    const udp = writeV2({ addr: { family: 'inet', transport: 'dgram', src: '1.2.3.4', srcPort: 53, dst: '5.6.7.8', dstPort: 53 } });
    assert.equal(header(parseProxyHeader(udp)).addr?.transport, 'dgram');
  });

  it('reads the TLVs: ALPN, authority, SSL with its sub-TLVs, unique ID, NOOP, netns, others', () => {
    const ssl = Buffer.concat([
      Buffer.from([PP2_CLIENT_SSL | PP2_CLIENT_CERT_CONN, 0, 0, 0, 0]),
      ...[
        [PP2_TYPE.SSL_VERSION, 'TLSv1.3'],
        [PP2_TYPE.SSL_CN, 'Jürgen client'],
        [PP2_TYPE.SSL_CIPHER, 'TLS_AES_256_GCM_SHA384'],
        [PP2_TYPE.SSL_SIG_ALG, 'SHA256'],
        [PP2_TYPE.SSL_KEY_ALG, 'RSA2048'],
        [0x2f, 'unknown sub'],
      ].map(([t, v]) => {
        const val = Buffer.from(v as string);
        return Buffer.concat([Buffer.from([t as number, 0, val.length]), val]);
      }),
    ]);
    const b = writeV2({
      addr: { family: 'inet', transport: 'stream', src: '198.51.100.7', srcPort: 45012, dst: '203.0.113.80', dstPort: 443 },
      tlvs: [tlv(PP2_TYPE.ALPN, 'h2'), tlv(PP2_TYPE.AUTHORITY, 'www.example.com'), tlv(PP2_TYPE.NOOP, new Uint8Array(5)), tlv(PP2_TYPE.UNIQUE_ID, 'abc-123'), tlv(PP2_TYPE.SSL, ssl), tlv(PP2_TYPE.NETNS, 'blue'), tlv(0xe0, 'custom')],
      crc32c: true,
    });
    const t = header(parseProxyHeader(b)).tlvs;
    assert.equal(t.alpn, 'h2');
    assert.equal(t.authority, 'www.example.com');
    assert.equal(t.crc32c, true);
    assert.equal(t.uniqueId?.toString(), 'abc-123');
    assert.equal(t.netns, 'blue');
    assert.deepEqual(t.ssl, { client: 3, tls: true, certConn: true, certSess: false, verified: true, version: 'TLSv1.3', cn: 'Jürgen client', cipher: 'TLS_AES_256_GCM_SHA384', sigAlg: 'SHA256', keyAlg: 'RSA2048' });
    assert.deepEqual(t.other, [{ type: 0xe0, value: Buffer.from('custom') }]);
    // An unverified client certificate
    const nv = writeV2({ addr: { family: 'inet', transport: 'stream', src: '1.1.1.1', srcPort: 1, dst: '2.2.2.2', dstPort: 2 }, tlvs: [tlv(PP2_TYPE.SSL, Buffer.from([1, 0, 0, 0, 9]))] });
    assert.equal(header(parseProxyHeader(nv)).tlvs.ssl?.verified, false);
  });

  it('checks a CRC-32C TLV: any changed byte is refused', () => {
    const good = writeV2({ addr: { family: 'inet', transport: 'stream', src: '10.0.0.1', srcPort: 1000, dst: '10.0.0.2', dstPort: 80 }, tlvs: [tlv(PP2_TYPE.ALPN, 'http/1.1')], crc32c: true });
    assert.equal(header(parseProxyHeader(good)).tlvs.crc32c, true);
    // The checksum TLV's own type byte is left out: changed, it is another TLV and no checksum.
    const crcType = good.length - 7;
    assert.equal(good[crcType], PP2_TYPE.CRC32C);
    for (let i = 16; i < good.length; i++) {
      if (i === crcType) continue;
      const bad = Buffer.from(good);
      bad[i]! ^= 0x01;
      const r = parseProxyHeader(bad);
      // Flipping a length byte may make the header longer (incomplete) or break a TLV; otherwise the checksum says no.
      assert.ok(r.kind === 'invalid' || r.kind === 'incomplete', `byte ${i}: ${JSON.stringify(r)}`);
    }
    const flipped = Buffer.from(good);
    flipped[19]! ^= 0x80; // an address byte
    invalid(parseProxyHeader(flipped), /CRC-32C mismatch/);
    const short = writeV2({ addr: { family: 'inet', transport: 'stream', src: '10.0.0.1', srcPort: 1, dst: '10.0.0.2', dstPort: 2 }, tlvs: [tlv(PP2_TYPE.CRC32C, new Uint8Array(3))] });
    invalid(parseProxyHeader(short), /CRC-32C TLV of 3 bytes/);
  });

  it('refuses broken headers and stays within its bounds', () => {
    const sig = V2_SIGNATURE.toString('hex');
    invalid(parseProxyHeader(hex(sig + '11 11 000c' + '00'.repeat(12))), /version 1/);
    invalid(parseProxyHeader(hex(sig + '22 11 000c' + '00'.repeat(12))), /command 2/);
    invalid(parseProxyHeader(hex(sig + '21 41 000c' + '00'.repeat(12))), /address family 4/);
    invalid(parseProxyHeader(hex(sig + '21 13 000c' + '00'.repeat(12))), /transport 3/);
    invalid(parseProxyHeader(hex(sig + '21 11 000b' + '00'.repeat(11))), /IPv4 addresses need 12 bytes/);
    invalid(parseProxyHeader(hex(sig + '21 21 0020' + '00'.repeat(32))), /IPv6 addresses need 36 bytes/);
    invalid(parseProxyHeader(hex(sig + '21 31 0010' + '00'.repeat(16))), /UNIX addresses need 216 bytes/);
    invalid(parseProxyHeader(hex(sig + '21 11 000e' + '00'.repeat(12) + '0100')), /2 stray byte/);
    invalid(parseProxyHeader(hex(sig + '21 11 0010' + '00'.repeat(12) + '010005ff')), /TLV 0x01 of 5 bytes overruns the header/);
    const sslShort = writeV2({ addr: { family: 'inet', transport: 'stream', src: '1.1.1.1', srcPort: 1, dst: '2.2.2.2', dstPort: 2 }, tlvs: [tlv(PP2_TYPE.SSL, Buffer.from([1, 0, 0, 0]))] });
    invalid(parseProxyHeader(sslShort), /SSL TLV of 4 bytes/);
    const subOverrun = writeV2({ addr: { family: 'inet', transport: 'stream', src: '1.1.1.1', srcPort: 1, dst: '2.2.2.2', dstPort: 2 }, tlvs: [tlv(PP2_TYPE.SSL, Buffer.from([1, 0, 0, 0, 0, 0x21, 0, 9, 0x41]))] });
    invalid(parseProxyHeader(subOverrun), /overruns the SSL TLV/);
    const longId = writeV2({ addr: { family: 'inet', transport: 'stream', src: '1.1.1.1', srcPort: 1, dst: '2.2.2.2', dstPort: 2 }, tlvs: [tlv(PP2_TYPE.UNIQUE_ID, new Uint8Array(129))] });
    invalid(parseProxyHeader(longId), /unique ID of 129 bytes/);
    // The length cap: refused from the fixed part alone, before the bytes arrive.
    invalid(parseProxyHeader(hex(sig + '21 11 ffff')), /header of 65551 bytes \(at most 4096\)/);
    invalid(parseProxyHeader(hex(sig + '21 11 0100'), { v2MaxLength: 200 }), /at most 200/);
    assert.equal(parseProxyHeader(hex(sig + '21 11 ffff'), { v2MaxLength: 65551 }).kind, 'incomplete');
  });

  it('is incomplete on every proper prefix of a header', () => {
    const b = writeV2({ addr: { family: 'inet6', transport: 'stream', src: '2001:db8::1', srcPort: 1, dst: '2001:db8::2', dstPort: 2 }, tlvs: [tlv(PP2_TYPE.AUTHORITY, 'a.example')], crc32c: true });
    for (let n = 0; n < b.length; n++) assert.equal(parseProxyHeader(b.subarray(0, n)).kind, 'incomplete', `${n} bytes`);
    assert.equal(parseProxyHeader(b).kind, 'header');
  });
});

describe('PROXY protocol: fuzzing', () => {
  const ip4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((a) => a.join('.'));
  const ip6 = fc.array(fc.nat(0xffff), { minLength: 8, maxLength: 8 }).map((g) => g.map((x) => x.toString(16)).join(':'));
  const port = fc.nat(65535);

  it('never throws on any bytes, and a header never claims more bytes than given', () => {
    const sigs = fc.constantFrom(V2_SIGNATURE, ascii('PROXY '), Buffer.alloc(0));
    fc.assert(
      fc.property(sigs, fc.uint8Array({ maxLength: 600 }), (sig, tail) => {
        const b = Buffer.concat([sig, tail]);
        const r = parseProxyHeader(b);
        assert.ok(['header', 'incomplete', 'none', 'invalid'].includes(r.kind), '[\'header\', \'incomplete\', \'none\', \'invalid\'].includes(r.kind)');
        if (r.kind === 'header') assert.ok(r.header.length <= b.length && r.header.length >= 15, 'r.header.length <= b.length && r.header.length >= 15');
        if (r.kind === 'invalid') assert.ok(r.reason.length > 0 && !r.reason.includes('\n'), 'r.reason.length > 0 && !r.reason.includes(\'\n\')');
      }),
      { numRuns: 3000 },
    );
  });

  it('gives the same verdict however the bytes are cut (as they arrive from a socket)', () => {
    const anyHeader = fc.oneof(
      fc.tuple(ip4, ip4, port, port).map(([s, d, sp, dp]) => ascii(`PROXY TCP4 ${s} ${d} ${sp} ${dp}\r\n`)),
      fc.tuple(ip6, ip6, port, port).map(([s, d, sp, dp]) => ascii(`PROXY TCP6 ${s} ${d} ${sp} ${dp}\r\n`)),
      fc.tuple(ip4, ip4, port, port, fc.boolean()).map(([s, d, sp, dp, crc]) => writeV2({ addr: { family: 'inet', transport: 'stream', src: s, srcPort: sp, dst: d, dstPort: dp }, tlvs: [tlv(PP2_TYPE.ALPN, 'h2')], crc32c: crc })),
    );
    fc.assert(
      fc.property(anyHeader, fc.uint8Array({ maxLength: 64 }), fc.nat(), (h, app, cut) => {
        const b = Buffer.concat([h, app]);
        const whole = parseProxyHeader(b);
        assert.equal(whole.kind, 'header');
        // Before the cut: incomplete (a prefix); at the cut and after: the same header.
        const at = cut % (h.length + 1);
        if (at < h.length) assert.equal(parseProxyHeader(b.subarray(0, at)).kind, 'incomplete');
        const later = parseProxyHeader(b.subarray(0, h.length + (cut % (app.length + 1))));
        assert.deepEqual(later, whole);
      }),
      { numRuns: 1000 },
    );
  });

  it('reads back what writeV2 wrote, addresses and TLVs', () => {
    const addr: fc.Arbitrary<Extract<ProxyAddress, { family: 'inet' | 'inet6' }>> = fc.oneof(
      fc.tuple(ip4, ip4, port, port).map(([s, d, sp, dp]) => ({ family: 'inet' as const, transport: 'stream' as const, src: s, srcPort: sp, dst: d, dstPort: dp })),
      fc.tuple(ip6, ip6, port, port).map(([s, d, sp, dp]) => ({ family: 'inet6' as const, transport: 'stream' as const, src: s, srcPort: sp, dst: d, dstPort: dp })),
    );
    const text = fc.string({ minLength: 1, maxLength: 40, unit: 'grapheme-ascii' });
    fc.assert(
      fc.property(addr, fc.option(text, { nil: null }), fc.option(text, { nil: null }), fc.boolean(), (a, alpn, authority, crc) => {
        const tlvs = [...(alpn !== null ? [tlv(PP2_TYPE.ALPN, alpn)] : []), ...(authority !== null ? [tlv(PP2_TYPE.AUTHORITY, authority)] : [])];
        const h = header(parseProxyHeader(writeV2({ addr: a, tlvs, crc32c: crc })));
        assert.ok(h.addr && h.addr.family !== 'unix', 'h.addr && h.addr.family !== \'unix\'');
        assert.equal(h.addr.srcPort, a.srcPort);
        assert.equal(h.addr.dstPort, a.dstPort);
        // pof's text: IPv4 dotted, IPv6 uncompressed, IPv4-mapped as IPv4.
        assert.equal(h.addr.src, canonicalAddress(a.src)?.addr);
        assert.equal(h.addr.dst, canonicalAddress(a.dst)?.addr);
        assert.equal(h.tlvs.alpn, alpn);
        assert.equal(h.tlvs.authority, authority);
        assert.equal(h.tlvs.crc32c, crc);
      }),
      { numRuns: 500 },
    );
  });
});
