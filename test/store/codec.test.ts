/**
 * The store's parts without Redis: the key schema and URLs, the binary
 * records between the threads (what comes out makes the same JSON as what
 * went in), and the shared ring (FIFO, bounded, wrapping).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';

import type { ConnVerdict, SideVerdict } from '../../src/state/conn-verdicts.js';
import { connToJson, hostToJson } from '../../src/api/json.js';
import { readRecord, RecordWriter, writeConn, writeHost } from '../../src/api/store/codec.js';
import { connStoreKey, connStoreKeyOf, hostStoreKey, parseStoreUrl } from '../../src/api/store/keys.js';
import { makeRing, RingReader, RingWriter } from '../../src/api/store/ring.js';
import type { HostView } from '../../src/api/types.js';
import { PofError } from '../../src/errors.js';

describe('store keys and URLs', () => {
  it('keys name connections and hosts in pof\'s address text', () => {
    assert.equal(connStoreKey('pof:', '198.51.100.7', 45012, '203.0.113.80', 443), 'pof:conn:198.51.100.7/45012>203.0.113.80/443');
    assert.equal(hostStoreKey('pof:', '2001:db8:0:0:0:0:0:7'), 'pof:host:2001:db8:0:0:0:0:0:7');
    assert.equal(connStoreKeyOf('site1:', '::ffff:10.0.0.1', 1, '10.0.0.2', 80), 'site1:conn:10.0.0.1/1>10.0.0.2/80');
    assert.equal(connStoreKeyOf('pof:', '2001:db8::7', 1, '2001:DB8::80', 443), 'pof:conn:2001:db8:0:0:0:0:0:7/1>2001:db8:0:0:0:0:0:80/443');
    assert.equal(connStoreKeyOf('pof:', '10.0.0.1', 1, '2001:db8::1', 2), null);
  });

  it('parses store URLs, and says what is wrong in one line without the password', () => {
    assert.deepEqual(parseStoreUrl('redis://10.0.0.5'), { tls: false, host: '10.0.0.5', port: 6379, database: 0, username: undefined, password: undefined, display: 'redis://10.0.0.5:6379' });
    const u = parseStoreUrl('rediss://pof:s%3Acret@cache.example:6380/3');
    assert.deepEqual(u, { tls: true, host: 'cache.example', port: 6380, database: 3, username: 'pof', password: 's:cret', display: 'rediss://pof:***@cache.example:6380/3' });
    assert.equal(parseStoreUrl('redis://:pw@[::1]:7000').display, 'redis://:***@[::1]:7000');
    assert.equal(parseStoreUrl('redis://[::1]:7000').host, '::1');
    const bad: Array<[unknown, RegExp]> = [
      ['', /give a URL/],
      [undefined, /give a URL/],
      ['localhost:6379', /is not redis:\/\/ or rediss:\/\//],
      ['http://x', /http:\/\/ is not redis/],
      ['redis://x/abc', /database "abc" is not a number/],
      ['redis://x:6379/1?timeout=3', /no \?query/],
      ['redis://:se%ZZcret@x', /badly %-encoded/],
      ['redis:///0', /names no host/],
      ['not a url', /not a URL/],
    ];
    for (const [t, re] of bad) {
      assert.throws(
        () => parseStoreUrl(t, '--store'),
        (e: unknown) => e instanceof PofError && e.code === 'E_CONFIG' && re.test(e.message) && e.message.startsWith('--store: ') && !e.message.includes('cret'),
        String(t),
      );
    }
  });
});

// ---------------------------------------------------------------- records

const str = fc.oneof(fc.constant(null), fc.string({ maxLength: 60 }), fc.string({ maxLength: 20, unit: 'grapheme' }));
const nstr = fc.string({ maxLength: 40 });
const num = fc.oneof(fc.integer({ min: -1, max: 2 ** 31 }), fc.double({ noNaN: true, noDefaultInfinity: true }));
const side: fc.Arbitrary<SideVerdict> = fc.record({
  tcp: fc.option(
    fc.record({
      match: fc.option(fc.record({ name: nstr, flavor: str, cls: str, userland: fc.boolean(), generic: fc.boolean(), fuzzy: fc.boolean() }), { nil: null }),
      label: str,
      dist: num,
      distUpperBound: fc.boolean(),
      quality: fc.integer({ min: 0, max: 3 }),
      params: str,
      rawSig: str,
    }),
    { nil: null },
  ),
  mtu: fc.option(fc.record({ mtu: fc.integer({ min: 0, max: 65535 }), link: str }), { nil: null }),
  uptime: fc.option(fc.record({ minutes: num, moduloDays: num, freqHz: num }), { nil: null }),
  http: fc.option(
    fc.record({ app: fc.option(fc.record({ name: nstr, flavor: str, generic: fc.boolean() }), { nil: null }), label: str, language: str, badSw: fc.integer({ min: 0, max: 2 }), params: str, rawSig: str }),
    { nil: null },
  ),
  nat: fc.option(fc.record({ kind: fc.constantFrom('ip sharing' as const, 'host change' as const), reasons: fc.array(nstr, { maxLength: 5 }), tsSec: num }), { nil: null }),
});
const ip = fc.oneof(
  fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((a) => a.join('.')),
  fc.array(fc.nat(0xffff), { minLength: 8, maxLength: 8 }).map((g) => g.map((x) => x.toString(16)).join(':')),
);
const conn: fc.Arbitrary<ConnVerdict> = fc.record({
  ipVer: fc.constantFrom(4 as const, 6 as const),
  cli: ip,
  cliPort: fc.nat(65535),
  srv: ip,
  srvPort: fc.nat(65535),
  firstSeen: num,
  lastSeen: num,
  encap: fc.boolean(),
  sendsyn: fc.boolean(),
  client: side,
  server: side,
});
const host: fc.Arbitrary<HostView> = fc.record({
  addr: ip,
  ipVer: fc.constantFrom(4 as const, 6 as const),
  firstSeen: num,
  lastSeen: num,
  totalConn: num,
  lastOs: fc.option(fc.record({ name: nstr, flavor: str, cls: str }), { nil: null }) as fc.Arbitrary<HostView['lastOs']>,
  lastQuality: fc.integer({ min: 0, max: 3 }),
  distance: num,
  lastUpMin: num,
  upModDays: num,
  mtu: num,
  linkType: str,
  lastNat: num,
  lastChg: num,
  httpName: str,
  httpFlavor: str,
  language: str,
  badSw: fc.integer({ min: 0, max: 2 }),
});

describe('store records', () => {
  it('a connection record makes the same JSON as the verdict it came from', () => {
    const w = new RecordWriter();
    fc.assert(
      fc.property(conn, (v) => {
        assert.ok(writeConn(w, v), 'writeConn(w, v)');
        const r = readRecord(w.buf, 0);
        assert.equal(r.kind, 'conn');
        if (r.kind === 'conn') assert.equal(JSON.stringify(connToJson(r.conn)), JSON.stringify(connToJson(v)));
      }),
      { numRuns: 500 },
    );
  });

  it('a host record makes the same JSON as the host it came from', () => {
    const w = new RecordWriter();
    fc.assert(
      fc.property(host, (h) => {
        assert.ok(writeHost(w, h), 'writeHost(w, h)');
        const r = readRecord(w.buf, 0);
        assert.equal(r.kind, 'host');
        if (r.kind === 'host') assert.equal(JSON.stringify(hostToJson(r.host)), JSON.stringify(hostToJson(h)));
      }),
      { numRuns: 500 },
    );
  });

  it('a record that does not fit is refused, not cut', () => {
    const w = new RecordWriter(128);
    const v: ConnVerdict = {
      ipVer: 4,
      cli: '10.0.0.1',
      cliPort: 1,
      srv: '10.0.0.2',
      srvPort: 2,
      firstSeen: 1,
      lastSeen: 2,
      encap: false,
      sendsyn: false,
      client: { tcp: null, mtu: null, uptime: null, http: { app: null, label: null, language: null, badSw: 0, params: null, rawSig: 'x'.repeat(500) }, nat: null },
      server: { tcp: null, mtu: null, uptime: null, http: null, nat: null },
    };
    assert.equal(writeConn(w, v), false);
    v.client.http!.rawSig = 'short';
    assert.equal(writeConn(w, v), true);
    // A string longer than a u16 length can say, in room enough for it.
    const big = new RecordWriter(1 << 20);
    big.str('é'.repeat(40000));
    assert.equal(big.overflow, true);
    big.reset();
    big.str('é'.repeat(30000));
    assert.equal(big.overflow, false);
    assert.equal(big.off, 2 + 60000);
  });
});

describe('store ring', () => {
  it('hands records over in order, refuses what does not fit, and wraps', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 1500 }), fc.boolean()), { maxLength: 400 }), (ops) => {
        const b = makeRing(4096);
        const w = new RingWriter(b);
        const r = new RingReader(b);
        const want: Buffer[] = [];
        let seq = 0;
        for (const [len, drain] of ops) {
          const rec = Buffer.alloc(len, seq++ & 0xff);
          let ok = w.push(rec, len);
          if (!ok) {
            // Refused: the ring is full enough; emptied, it takes the record.
            assert.ok(w.used + len + 8 > 4096 / 2, `refused with ${w.used} bytes used for ${len}`);
            r.drain((buf, off, n) => {
              const exp = want.shift()!;
              assert.ok(n === exp.length && buf.subarray(off, off + n).equals(exp), 'n === exp.length && buf.subarray(off, off + n).equals(exp)');
            });
            ok = w.push(rec, len);
            assert.ok(ok, 'an empty ring takes a record');
          }
          want.push(rec);
          assert.ok(w.used <= 4096, 'w.used <= 4096');
          if (drain) {
            r.drain((buf, off, n) => {
              const exp = want.shift()!;
              assert.equal(n, exp.length);
              assert.ok(buf.subarray(off, off + n).equals(exp), 'buf.subarray(off, off + n).equals(exp)');
            });
            assert.equal(want.length, 0);
            assert.equal(w.used, 0);
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  it('positions survive passing 2^32', () => {
    const b = makeRing(4096);
    const ctl = new Int32Array(b.ctl);
    ctl[0] = ctl[1] = -100; // 2^32 - 100 as unsigned
    const w = new RingWriter(b);
    const r = new RingReader(b);
    for (let i = 0; i < 50; i++) {
      assert.ok(w.push(Buffer.from([i, i, i]), 3), 'w.push(Buffer.from([i, i, i]), 3)');
      let got = -1;
      assert.equal(
        r.drain((buf, off) => (got = buf[off]!)),
        1,
      );
      assert.equal(got, i);
    }
    assert.equal(w.used, 0);
  });
});
