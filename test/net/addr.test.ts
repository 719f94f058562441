import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { addrToString, canonicalAddress, parseAddress } from '../../src/net/addr.js';

test('IPv6 is printed as p0f does: eight groups, no compression', () => {
  const b = Buffer.from('20010db8000000000000000000000001', 'hex');
  assert.equal(addrToString(b, 0, 6), '2001:db8:0:0:0:0:0:1');
  assert.equal(addrToString(Buffer.from([10, 0, 0, 255]), 0, 4), '10.0.0.255');
});

test('parseAddress handles v4, v6, compressed and IPv4-mapped forms', () => {
  assert.deepEqual(parseAddress('1.2.3.4'), { ver: 4, bytes: Uint8Array.from([1, 2, 3, 4]) });
  assert.deepEqual(parseAddress('::ffff:1.2.3.4'), { ver: 4, bytes: Uint8Array.from([1, 2, 3, 4]) });
  assert.deepEqual(parseAddress('::ffff:102:304'), { ver: 4, bytes: Uint8Array.from([1, 2, 3, 4]) });
  const v6 = parseAddress('2001:db8::1');
  assert.equal(v6?.ver, 6);
  assert.equal(addrToString(Buffer.from(v6!.bytes), 0, 6), '2001:db8:0:0:0:0:0:1');
  for (const bad of ['', '1.2.3', '256.1.1.1', '1::2::3', 'hello', '12345::', ':::']) assert.equal(parseAddress(bad), null, bad);
});

test('parseAddress inverts addrToString for any IPv6 address that is not IPv4-mapped', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), (bytes) => {
      const text = addrToString(Buffer.from(bytes), 0, 6);
      const p = parseAddress(text);
      const mapped = bytes.subarray(0, 10).every((x) => x === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
      if (mapped) return p?.ver === 4;
      return p !== null && p.ver === 6 && Buffer.from(p.bytes).equals(Buffer.from(bytes));
    }),
  );
});

test('canonicalAddress: p0f forms, mapped IPv4 as IPv4, non-addresses refused', () => {
  const table: Array<[string, { addr: string; ver: 4 | 6 } | null]> = [
    ['192.0.2.1', { addr: '192.0.2.1', ver: 4 }],
    ['0.0.0.0', { addr: '0.0.0.0', ver: 4 }],
    ['::ffff:192.0.2.1', { addr: '192.0.2.1', ver: 4 }],
    ['010.1.2.3', { addr: '10.1.2.3', ver: 4 }],
    ['2001:db8::1', { addr: '2001:db8:0:0:0:0:0:1', ver: 6 }],
    ['256.1.1.1', null],
    ['1.2.3', null],
    ['host.example', null],
    ['', null],
  ];
  for (const [text, want] of table) assert.deepEqual(canonicalAddress(text), want, text);
});
