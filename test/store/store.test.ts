/**
 * The shared store against a real redis-server: the sensor's publisher
 * fed by an engine reading samples/demo.pcap (as the daemon feeds its
 * connection table), a web node's reader asking, redis-cli looking; a
 * password, and rediss:// with a self-signed CA.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

import { ConnVerdicts, type ConnVerdict } from '../../src/state/conn-verdicts.js';
import { connToJson, hostToJson } from '../../src/api/json.js';
import { connStoreKey, hostStoreKey } from '../../src/api/store/keys.js';
import { StorePublisher } from '../../src/api/store/publisher.js';
import { StoreReader } from '../../src/api/store/reader.js';
import { readCaptureFile } from '../../src/capture/file.js';
import { loadSignatures } from '../../src/db/load.js';
import { Engine } from '../../src/engine.js';
import { isPofError, PofError } from '../../src/errors.js';
import { HttpModule } from '../../src/state/http-module.js';
import { storeSource } from '../../src/web/store-source.js';
import { RedisServer, skipRedis, skipRedisTls } from './redis-server.js';

const DEMO = fileURLToPath(new URL('../../samples/demo.pcap', import.meta.url));

/** The demo capture through an engine, each update published as the daemon's wiring does. */
function runDemo(pub: StorePublisher): { conns: ConnVerdicts; engine: Engine } {
  const conns = new ConnVerdicts(10_000);
  const engine = new Engine({ db: loadSignatures() }, (o) => conns.observe(o));
  engine.addModule(new HttpModule());
  conns.onUpdate((v) => {
    pub.conn(v);
    const h = engine.hosts.get(v.cli);
    if (h) pub.host(h);
  });
  readCaptureFile(DEMO, (rec) => engine.handle(rec));
  return { conns, engine };
}

async function until(cond: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('shared store on Redis', { skip: skipRedis }, () => {
  let redis: RedisServer;
  let pub: StorePublisher;
  let reader: StoreReader;
  let demo: { conns: ConnVerdicts; engine: Engine };

  before(async () => {
    redis = await new RedisServer().start();
    pub = new StorePublisher({ url: redis.url });
    reader = new StoreReader({ url: redis.url, timeoutMs: 1000 });
    await until(() => pub.unavailable() === null, 5000, 'the publisher to connect');
    await reader.ready();
    demo = runDemo(pub);
    await pub.flush();
  });

  after(async () => {
    await pub?.close();
    await reader?.close();
    await redis?.stop();
  });

  it('publishes every connection and host of the capture, as the daemon answers them', async () => {
    const all = [...demo.conns.values()];
    assert.ok(all.length >= 10, `${all.length} connections`);
    const st = pub.stats;
    assert.equal(st.dropped.full + st.dropped.down + st.dropped.tooLarge, 0, JSON.stringify(st));
    assert.equal(st.errors, 0);
    assert.equal(st.published, st.encoded);
    for (const v of all) {
      const a = await reader.connection({ cli: v.cli, cliPort: v.cliPort, srv: v.srv, srvPort: v.srvPort });
      assert.ok(a, `${v.cli}/${v.cliPort}`);
      assert.deepEqual(a.conn, connToJson(v));
      const h = demo.engine.hosts.get(v.cli);
      assert.deepEqual(a.host, h ? hostToJson(h) : null);
    }
    // What redis-cli sees: the daemon's JSON text, with the TTLs.
    const v = all.find((x) => x.client.tcp?.match) as ConnVerdict;
    const key = connStoreKey('pof:', v.cli, v.cliPort, v.srv, v.srvPort);
    assert.equal(redis.cli('GET', key), JSON.stringify(connToJson(v)));
    const ttl = Number(redis.cli('TTL', key));
    assert.ok(ttl > 290 && ttl <= 300, `conn TTL ${ttl}`);
    const hostTtl = Number(redis.cli('TTL', hostStoreKey('pof:', v.cli)));
    assert.ok(hostTtl > 3590 && hostTtl <= 3600, `host TTL ${hostTtl}`);
    assert.equal(Number(redis.cli('DBSIZE')), all.length + new Set(all.map((x) => x.cli)).size);
  });

  it('answers by client address, in any address text', async () => {
    const v6 = [...demo.conns.values()].find((x) => x.ipVer === 6);
    assert.ok(v6, 'the demo capture has IPv6');
    const compressed = v6.cli.replace(/(^|:)0(:0)+(:|$)/, '::');
    const h = await reader.host(compressed);
    assert.deepEqual(h, hostToJson(demo.engine.hosts.get(v6.cli)!));
    assert.equal(await reader.host('192.0.2.250'), null);
    assert.equal(await reader.connection({ cli: '192.0.2.250', cliPort: 1, srv: '192.0.2.1', srvPort: 80 }), null);
    await assert.rejects(reader.connection({ cli: '10.0.0.1', cliPort: 1, srv: '::1', srvPort: 80 }), (e: unknown) => isPofError(e) && e.code === 'E_STORE');
  });

  it('keeps answers that know the SYN for a while, asks again for the others, and asks once for identical questions', async () => {
    const r = new StoreReader({ url: redis.url, cacheTtlMs: 60_000 });
    try {
      await r.ready();
      const v = [...demo.conns.values()].find((x) => x.client.tcp)!;
      const q = { cli: v.cli, cliPort: v.cliPort, srv: v.srv, srvPort: v.srvPort };
      const same = await Promise.all([r.connection(q), r.connection(q), r.connection(q)]);
      assert.equal(r.stats.redis, 1);
      assert.equal(r.stats.joined, 2);
      assert.deepEqual(same[0], same[2]);
      await r.connection(q);
      assert.equal(r.stats.redis, 1);
      assert.equal(r.stats.cached, 1);
      const unknown = { cli: '192.0.2.99', cliPort: 5, srv: '192.0.2.1', srvPort: 80 };
      await r.connection(unknown);
      await r.connection(unknown);
      assert.equal(r.stats.redis, 3, 'unknown connections are asked each time');
      // A verdict published later is found by the next question.
      const later: ConnVerdict = { ...connToJsonInput(v), cli: '192.0.2.99', cliPort: 5, srv: '192.0.2.1', srvPort: 80 };
      pub.conn(later);
      await pub.flush();
      assert.deepEqual((await r.connection(unknown))?.conn, connToJson(later));
    } finally {
      await r.close();
    }
  });

  it('refuses questions beyond maxInFlight at once', async () => {
    const r = new StoreReader({ url: redis.url, maxInFlight: 3, cacheTtlMs: 0 });
    try {
      await r.ready();
      const qs = Array.from({ length: 10 }, (_, i) => r.connection({ cli: '192.0.2.1', cliPort: 1000 + i, srv: '192.0.2.2', srvPort: 80 }).then(
        () => 'ok',
        (e: PofError) => e.message,
      ));
      const out = await Promise.all(qs);
      assert.equal(out.filter((x) => x === 'ok').length, 3);
      assert.equal(out.filter((x) => x === 'store busy: 3 questions already waiting for redis').length, 7);
      assert.equal(r.stats.busy, 7);
      assert.equal(r.pending, 0);
    } finally {
      await r.close();
    }
  });

  it('spreads records over several threads, each key in order; hosts a few times a second', async () => {
    const p3 = new StorePublisher({ url: redis.url, keyPrefix: 'three:', threads: 3, hostIntervalMs: 100 });
    const r3 = new StoreReader({ url: redis.url, keyPrefix: 'three:', cacheTtlMs: 0 });
    try {
      await r3.ready();
      await until(() => p3.unavailable() === null, 5000, 'three threads to connect');
      const all = [...demo.conns.values()];
      for (const v of all) p3.conn(v);
      // One connection updated 50 times, each update encoded on its own turn.
      const v = { ...all[0]!, cliPort: 60001 };
      const h = demo.engine.hosts.get(v.cli)!;
      for (let i = 1; i <= 50; i++) {
        v.lastSeen = 1700000000 + i;
        p3.conn(v);
        p3.host(h);
        await new Promise((r) => setImmediate(r));
      }
      await p3.flush();
      for (const x of all) assert.deepEqual((await r3.connection(x))?.conn, connToJson(x), `${x.cli}/${x.cliPort}`);
      assert.equal((await r3.connection(v))?.conn?.last_seen, 1700000050, 'the last update won');
      const st = p3.stats;
      assert.equal(st.encodedConns, all.length + 50);
      assert.ok(st.encodedHosts <= 3, `the host was published ${st.encodedHosts} times in 50 turns`);
      assert.deepEqual(await r3.host(v.cli), hostToJson(h));
    } finally {
      await p3.close();
      await r3.close();
    }
  });

  it('is a source of the web side: asked by 4-tuple and by address, saying when Redis is down', async () => {
    const src = storeSource(redis.url);
    try {
      await src.reader.ready();
      assert.equal(src.kind, 'remote');
      assert.equal(src.via, 'store');
      const v = [...demo.conns.values()].find((x) => x.client.tcp)!;
      const a = await src.ask({ ipVer: v.ipVer, cli: v.cli, cliPort: v.cliPort, srv: v.srv, srvPort: v.srvPort }, 100);
      assert.deepEqual(a?.conn, connToJson(v));
      assert.deepEqual((await src.askHost(v.cli, 100))?.host, hostToJson(demo.engine.hosts.get(v.cli)!));
      assert.equal(src.unavailable(), null);
    } finally {
      await src.close();
    }
    assert.equal(src.unavailable(), 'store closed');
    assert.throws(() => storeSource(42 as unknown as string), /store must be a redis:\/\/ URL/);
  });

  it('checks its options once, with one line', () => {
    assert.throws(() => new StoreReader({ url: 'redis://x', timeoutMs: 0 }), /store: timeoutMs must be an integer in 1\.\.60000/);
    assert.throws(() => new StoreReader({ url: 'http://x' }), /store: http:\/\/ is not redis/);
    assert.throws(() => new StorePublisher({ url: redis.url, connTtlS: 0 }), /store: connTtlS/);
    assert.throws(() => new StorePublisher({ url: redis.url, keyPrefix: 'a b' }), /keyPrefix/);
    assert.throws(() => new StorePublisher({ url: redis.url, reconnectMinMs: 0 }), /reconnectMinMs/);
    assert.throws(() => new StorePublisher({ url: redis.url, threads: 17 }), /store: threads must be an integer in 1\.\.16/);
  });
});

/** A verdict copy to publish under another 4-tuple. */
function connToJsonInput(v: ConnVerdict): ConnVerdict {
  return { ...v, client: { ...v.client }, server: { ...v.server } };
}

describe('shared store: a password', { skip: skipRedis }, () => {
  let redis: RedisServer;
  before(async () => (redis = await new RedisServer({ password: 'pof s3cret' }).start()));
  after(() => redis?.stop());

  it('works with the right password, and says why not with a wrong one (without it)', async () => {
    const good = new StoreReader({ url: redis.url });
    const pub = new StorePublisher({ url: `redis://127.0.0.1:${redis.port}`, password: 'pof s3cret' });
    const wrong = new StoreReader({ url: `redis://:nope@127.0.0.1:${redis.port}`, reconnectMaxMs: 100 });
    try {
      await good.ready();
      await until(() => pub.unavailable() === null, 5000, 'the publisher with a password option');
      const v: ConnVerdict = {
        ipVer: 4,
        cli: '198.51.100.7',
        cliPort: 45012,
        srv: '203.0.113.80',
        srvPort: 443,
        firstSeen: 1700000000,
        lastSeen: 1700000001,
        encap: false,
        sendsyn: false,
        client: { tcp: { match: { name: 'Linux', flavor: '3.11 and newer', cls: 'unix', userland: false, generic: false, fuzzy: false }, label: 'Linux 3.11 and newer', dist: 0, distUpperBound: false, quality: 0, params: 'none', rawSig: '4:64+0:0:1460:mss*20,7:mss,sok,ts,nop,ws:df,id+:0' }, mtu: null, uptime: null, http: null, nat: null },
        server: { tcp: null, mtu: null, uptime: null, http: null, nat: null },
      };
      pub.conn(v);
      await pub.flush();
      assert.deepEqual((await good.connection(v))?.conn, connToJson(v));
      await until(() => /WRONGPASS|invalid username-password/i.test(wrong.unavailable() ?? ''), 5000, 'the wrong password to be refused');
      assert.ok(!wrong.unavailable()!.includes('nope'), '!wrong.unavailable()!.includes(\'nope\')');
      await assert.rejects(wrong.connection(v), (e: unknown) => isPofError(e) && e.code === 'E_STORE' && /WRONGPASS|invalid/i.test(e.message));
    } finally {
      await good.close();
      await wrong.close();
      await pub.close();
    }
  });
});

describe('shared store: rediss://', { skip: skipRedisTls }, () => {
  let redis: RedisServer;
  before(async () => (redis = await new RedisServer({ tls: true, password: 'tls-pass' }).start()));
  after(() => redis?.stop());

  it('publishes and reads over TLS with the server\'s CA, and will not talk to an unknown certificate', async () => {
    const ca = redis.ca!;
    const pub = new StorePublisher({ url: redis.url, tls: { ca } });
    const reader = new StoreReader({ url: redis.url, tls: { ca } });
    const untrusting = new StoreReader({ url: redis.url, reconnectMaxMs: 100 });
    try {
      await reader.ready();
      await until(() => pub.unavailable() === null, 5000, 'the publisher over TLS');
      const v: ConnVerdict = {
        ipVer: 6,
        cli: '2001:db8:0:0:0:0:0:7',
        cliPort: 50000,
        srv: '2001:db8:0:0:0:0:0:80',
        srvPort: 443,
        firstSeen: 1700000000,
        lastSeen: 1700000000,
        encap: false,
        sendsyn: false,
        client: { tcp: null, mtu: { mtu: 1500, link: 'Ethernet or modem' }, uptime: null, http: null, nat: null },
        server: { tcp: null, mtu: null, uptime: null, http: null, nat: null },
      };
      pub.conn(v);
      await pub.flush();
      assert.deepEqual((await reader.connection({ cli: '2001:db8::7', cliPort: 50000, srv: '2001:db8::80', srvPort: 443 }))?.conn, connToJson(v));
      await until(() => /certificate/i.test(untrusting.unavailable() ?? ''), 5000, 'the self-signed certificate to be refused');
    } finally {
      await pub.close();
      await reader.close();
      await untrusting.close();
    }
  });
});
