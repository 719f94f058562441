// HostCache: one question out per address, known hosts kept for ttlMs,
// unknown ones and errors asked again, and a bounded number of addresses.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { HostCache } from '../../src/web/host-cache.js';
import type { PofAnswer } from '../../src/web/result.js';

const answer = (addr: string): PofAnswer => ({ host: { addr } as PofAnswer['host'], conn: null });

function daemon(known: (addr: string) => boolean = () => true) {
  const asked: string[] = [];
  let fail: Error | null = null;
  const ask = async (addr: string): Promise<PofAnswer | null> => {
    asked.push(addr);
    await new Promise((r) => setTimeout(r, 5));
    if (fail) throw fail;
    return known(addr) ? answer(addr) : null;
  };
  return { asked, ask, failWith: (e: Error | null) => (fail = e) };
}

describe('HostCache', () => {
  it('requests that come while a question is out join it; the answer is used until ttlMs', async () => {
    const d = daemon();
    const c = new HostCache(d.ask, 40);
    const first = c.get('192.0.2.1', 100);
    assert.ok(c.pending('192.0.2.1'));
    const [a, b] = await Promise.all([first, c.get('192.0.2.1', 100)]);
    assert.ok(!c.pending('192.0.2.1'));
    assert.equal(a, b);
    assert.deepEqual(d.asked, ['192.0.2.1']);
    assert.equal(c.peek('192.0.2.1'), a);
    assert.equal(c.peek('192.0.2.2'), undefined);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(c.peek('192.0.2.1'), undefined, 'older than ttlMs');
    assert.equal(c.size, 0);
  });

  it('an address the daemon does not know, or a failed question, is asked again', async () => {
    const d = daemon((addr) => addr !== '192.0.2.9');
    const c = new HostCache(d.ask, 1000);
    assert.equal(await c.get('192.0.2.9', 100), null);
    assert.equal(c.peek('192.0.2.9'), undefined);
    d.failWith(new Error('down'));
    await assert.rejects(c.get('192.0.2.1', 100), /down/);
    assert.equal(c.peek('192.0.2.1'), undefined);
    d.failWith(null);
    assert.ok(await c.get('192.0.2.1', 100));
    assert.ok(c.peek('192.0.2.1'));
  });

  it('ttlMs 0 keeps nothing', async () => {
    const d = daemon();
    const c = new HostCache(d.ask, 0);
    await c.get('192.0.2.1', 100);
    assert.equal(c.peek('192.0.2.1'), undefined);
    assert.equal(c.size, 0);
  });

  it('holds at most maxSize addresses, dropping the oldest', async () => {
    const d = daemon();
    const c = new HostCache(d.ask, 60_000, 3);
    for (const last of [1, 2, 3, 4, 5]) await c.get(`192.0.2.${last}`, 100);
    assert.equal(c.size, 3);
    assert.equal(c.peek('192.0.2.1'), undefined);
    assert.equal(c.peek('192.0.2.2'), undefined);
    assert.ok(c.peek('192.0.2.5'));
  });
});
