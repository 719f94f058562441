/**
 * Redis failing under the store: killed and restarted on the same port,
 * hung (SIGSTOP), and full (maxmemory, noeviction). Questions are answered
 * within their timeout with a PofError saying why; the sensor's side drops
 * and counts, bounded; both come back by themselves.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import type { ConnVerdict } from '../../src/state/conn-verdicts.js';
import { connToJson } from '../../src/api/json.js';
import { StorePublisher } from '../../src/api/store/publisher.js';
import { StoreReader } from '../../src/api/store/reader.js';
import { isPofError } from '../../src/errors.js';
import { RedisServer, skipRedis } from './redis-server.js';

function verdict(cliPort: number, rawSig = '4:64+0:0:1460:mss*20,7:mss,sok,ts,nop,ws:df,id+:0'): ConnVerdict {
  return {
    ipVer: 4,
    cli: '198.51.100.7',
    cliPort,
    srv: '203.0.113.80',
    srvPort: 443,
    firstSeen: 1700000000,
    lastSeen: 1700000000,
    encap: false,
    sendsyn: false,
    client: { tcp: { match: { name: 'Linux', flavor: '3.11 and newer', cls: 'unix', userland: false, generic: false, fuzzy: false }, label: 'Linux 3.11 and newer', dist: 0, distUpperBound: false, quality: 0, params: 'none', rawSig }, mtu: null, uptime: null, http: null, nat: null },
    server: { tcp: null, mtu: null, uptime: null, http: null, nat: null },
  };
}

const q = (v: ConnVerdict) => ({ cli: v.cli, cliPort: v.cliPort, srv: v.srv, srvPort: v.srvPort });

async function until(cond: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** One question: how long it took and how it ended. */
async function timed<T>(p: Promise<T>): Promise<{ ms: number; ok: boolean; code: string | null; message: string }> {
  const t0 = performance.now();
  try {
    await p;
    return { ms: performance.now() - t0, ok: true, code: null, message: '' };
  } catch (e) {
    return { ms: performance.now() - t0, ok: false, code: isPofError(e) ? e.code : null, message: (e as Error).message };
  }
}

/** Slack for timers on a busy machine: a question must settle by its timeout plus this. */
const SLACK_MS = 300;

describe('store outages', { skip: skipRedis }, () => {
  let redis: RedisServer;
  before(async () => (redis = await new RedisServer().start()));
  after(() => redis?.stop());

  it('killed: questions end within their timeout with pof_err-style errors; after a restart verdicts flow again, nothing restarted', async () => {
    const timeoutMs = 200;
    const reader = new StoreReader({ url: redis.url, timeoutMs, cacheTtlMs: 0, reconnectMinMs: 20, reconnectMaxMs: 200 });
    const pub = new StorePublisher({ url: redis.url, reconnectMinMs: 20, reconnectMaxMs: 200 });
    try {
      await reader.ready();
      await until(() => pub.unavailable() === null, 5000, 'the publisher');
      const a = verdict(1001);
      pub.conn(a);
      await pub.flush();
      assert.deepEqual((await reader.connection(q(a)))?.conn, connToJson(a));

      await redis.kill();
      const results = [];
      for (let i = 0; i < 15; i++) {
        results.push(await timed(reader.connection(q(a))));
        await new Promise((r) => setTimeout(r, 20));
      }
      for (const r of results) {
        assert.equal(r.ok, false);
        assert.ok(r.code === 'E_STORE' || r.code === 'E_STORE_TIMEOUT', r.message);
        assert.ok(r.ms <= timeoutMs + SLACK_MS, `settled after ${r.ms.toFixed(0)} ms`);
      }
      assert.ok(results.some((r) => /^redis unavailable \(ECONNREFUSED redis:\/\/127\.0\.0\.1:\d+\)$/.test(r.message)), results.map((r) => r.message).join('\n'));
      // Once known down, at once.
      assert.ok(results.slice(-5).every((r) => r.code === 'E_STORE' && r.ms < 50), results.slice(-5).map((r) => `${r.code} ${r.ms}`).join(', '));
      assert.match(reader.unavailable() ?? '', /ECONNREFUSED/);

      // The sensor's side: dropped and counted, nothing kept.
      await until(() => pub.unavailable() !== null, 5000, 'the publisher to see the outage');
      const before = pub.stats.dropped.down;
      for (let i = 0; i < 100; i++) pub.conn(verdict(2000 + i));
      assert.equal(pub.stats.dropped.down - before, 100);
      assert.equal(pub.stats.queued, 0);

      await redis.start();
      await until(() => reader.unavailable() === null && pub.unavailable() === null, 10_000, 'both to reconnect by themselves');
      assert.ok(reader.conn.reconnects >= 1, 'reader.conn.reconnects >= 1');
      const c = verdict(3001);
      pub.conn(c);
      await pub.flush();
      assert.deepEqual((await reader.connection(q(c)))?.conn, connToJson(c));
      // What was dropped during the outage is not published late.
      assert.equal(await reader.connection(q(verdict(2000))), null);
    } finally {
      await reader.close();
      await pub.close();
    }
  });

  it('hung: questions time out, those beyond maxInFlight are refused at once, and all is well after SIGCONT', async () => {
    const timeoutMs = 150;
    const reader = new StoreReader({ url: redis.url, timeoutMs, maxInFlight: 4, cacheTtlMs: 0 });
    const pub = new StorePublisher({ url: redis.url, ringBytes: 4096, maxQueue: 50, maxInFlight: 10, batch: 5 });
    try {
      await reader.ready();
      await until(() => pub.unavailable() === null, 5000, 'the publisher');
      redis.pause();
      const results = await Promise.all(Array.from({ length: 10 }, (_, i) => timed(reader.connection(q(verdict(4000 + i))))));
      const timeouts = results.filter((r) => r.code === 'E_STORE_TIMEOUT');
      const busy = results.filter((r) => r.code === 'E_STORE' && /^store busy: 4 questions/.test(r.message));
      assert.equal(timeouts.length, 4, results.map((r) => r.message).join('\n'));
      assert.equal(busy.length, 6);
      for (const r of timeouts) assert.ok(r.ms >= timeoutMs - 5 && r.ms <= timeoutMs + SLACK_MS, `${r.ms}`);
      assert.ok(timeouts.every((r) => r.message === `redis did not answer within ${timeoutMs} ms`), 'timeouts.every((r) => r.message === `redis did not answer wi');

      // The publisher keeps within its bounds and counts what it drops.
      for (let i = 0; i < 2000; i++) pub.conn(verdict(5000 + i));
      await new Promise((r) => setTimeout(r, 300));
      for (let i = 0; i < 2000; i++) pub.conn(verdict(7000 + i));
      const st = pub.stats;
      assert.ok(st.queued <= 50, `queued ${st.queued}`);
      assert.ok(st.ringBytes <= 4096, 'st.ringBytes <= 4096');
      assert.ok(st.inFlight <= 10, 'st.inFlight <= 10');
      assert.ok(st.dropped.full > 3000, JSON.stringify(st));
      assert.equal(st.updates, 4000);

      redis.resume();
      await until(() => reader.pending === 0, 5000, 'the stuck questions to be answered');
      const fresh = verdict(9001);
      pub.conn(fresh);
      await pub.flush(5000);
      assert.deepEqual((await reader.connection(q(fresh)))?.conn, connToJson(fresh));
    } finally {
      redis.resume();
      await reader.close();
      await pub.close();
    }
  });
});

describe('store: Redis full', { skip: skipRedis }, () => {
  let redis: RedisServer;
  before(async () => (redis = await new RedisServer({ args: ['--maxmemory', '2mb', '--maxmemory-policy', 'noeviction'] }).start()));
  after(() => redis?.stop());

  it('counts the SETs Redis refuses, and reads still work', async () => {
    const pub = new StorePublisher({ url: redis.url });
    const reader = new StoreReader({ url: redis.url, timeoutMs: 1000 });
    try {
      await reader.ready();
      await until(() => pub.unavailable() === null, 5000, 'the publisher');
      const first = verdict(1);
      pub.conn(first);
      await pub.flush();
      const big = 'x'.repeat(2000);
      for (let round = 0; round < 10 && pub.stats.errors === 0; round++) {
        for (let i = 0; i < 500; i++) pub.conn(verdict(10 + round * 500 + i, big));
        await pub.flush();
      }
      const st = pub.stats;
      assert.ok(st.errors > 0, JSON.stringify(st));
      assert.match(st.lastError ?? '', /OOM/);
      assert.deepEqual((await reader.connection(q(first)))?.conn, connToJson(first));
      assert.equal(pub.unavailable(), null, 'full is not down');
    } finally {
      await pub.close();
      await reader.close();
    }
  });
});
