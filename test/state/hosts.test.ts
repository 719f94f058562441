import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { HostTable, hostKeyOf } from '../../src/state/hosts.js';

test('keys: IPv4 as a number, IPv6 as hex; lookup by text accepts IPv4-mapped IPv6', () => {
  assert.equal(hostKeyOf(Buffer.from([10, 0, 0, 1]), 0, 4), 0x0a000001);
  const t = new HostTable({ maxHosts: 10, idleLimitS: 60 });
  const h = t.create(0x0a000001, '10.0.0.1', 4, 100);
  assert.equal(t.get('10.0.0.1'), h);
  assert.equal(t.get('::ffff:10.0.0.1'), h);
  assert.equal(t.get('10.0.0.2'), undefined);
  assert.equal(t.get('garbage'), undefined);
});

test('a full table drops the least recently active unused tenth; the table never exceeds its limit', () => {
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 0, max: 300 }), { minLength: 1, maxLength: 2000 }), fc.integer({ min: 1, max: 50 }), (ops, max) => {
      const t = new HostTable({ maxHosts: max, idleLimitS: 1e9 });
      let now = 0;
      for (const k of ops) {
        now++;
        const h = t.getByKey(k);
        if (h) t.touch(h, now);
        else t.create(k, String(k), 4, now);
        if (t.size > max) return false;
      }
      // order is by last activity
      let prev = -1;
      for (const h of t.values()) {
        if (h.lastSeen < prev) return false;
        prev = h.lastSeen;
      }
      return true;
    }),
  );
});

test('hosts that keep talking survive a flood of one-off sources; hosts in use are never dropped', () => {
  const t = new HostTable({ maxHosts: 100, idleLimitS: 1e9 });
  const busy = t.create(1, 'busy', 4, 0);
  const held = t.create(2, 'held', 4, 0);
  held.useCnt = 1;
  for (let i = 0; i < 100_000; i++) {
    t.create(1000 + i, 'x', 4, i);
    if (i % 20 === 0) t.touch(busy, i);
  }
  assert.equal(t.getByKey(1), busy);
  assert.equal(t.getByKey(2), held);
  assert.ok(t.size <= 100);
  assert.ok(t.evicted > 99_000);
});

test('idle hosts expire oldest first; a clock that jumps back expires everything older (as p0f)', () => {
  const t = new HostTable({ maxHosts: 100, idleLimitS: 60 });
  t.create(1, 'a', 4, 0);
  t.create(2, 'b', 4, 50);
  t.expire(100);
  assert.equal(t.getByKey(1), undefined);
  assert.ok(t.getByKey(2));
  t.expire(40); // went back in time: unsigned difference is huge
  assert.equal(t.size, 0);
});
