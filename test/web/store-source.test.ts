/**
 * The store option's source against a real redis-server: a question asked
 * while the first connection is being made waits for it (a web node's
 * first requests are not refused for it); with nobody listening, the
 * first attempt's failure is told at once, not after the timeout; the
 * middleware's result says via 'store'.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { connStoreKey, hostStoreKey } from '../../src/api/store/keys.js';
import { isPofError } from '../../src/errors.js';
import { storeSource } from '../../src/web/store-source.js';
import { freePort, RedisServer, skipRedis } from '../store/redis-server.js';

const T = { ipVer: 4 as const, cli: '198.51.100.7', cliPort: 45012, srv: '203.0.113.80', srvPort: 443 };

describe('storeSource', { skip: skipRedis }, () => {
  const redis = new RedisServer();
  before(async () => {
    await redis.start();
    const side = { tcp: null, mtu: null, uptime: null, http: null, nat: null };
    const conn = { ip_version: 4, cli: { addr: T.cli, port: T.cliPort }, srv: { addr: T.srv, port: T.srvPort }, first_seen: 1, last_seen: 2, encap: false, sendsyn: false, client: side, server: side };
    redis.cli('SET', connStoreKey('pof:', T.cli, T.cliPort, T.srv, T.srvPort), JSON.stringify(conn));
    redis.cli('SET', hostStoreKey('pof:', T.cli), JSON.stringify({ addr: T.cli }));
  });
  after(() => redis.stop());

  it('asked before its first connection is made: waits for it, and answers', async () => {
    const src = storeSource(redis.url);
    try {
      // Not "not connected yet": the connection is being made.
      assert.equal(src.unavailable(), null);
      const a = await src.ask(T, 2000);
      assert.equal(a?.conn?.cli.port, T.cliPort);
      assert.equal(a?.host?.addr, T.cli);
      const h = await src.askHost(T.cli, 2000);
      assert.equal(h?.host?.addr, T.cli);
    } finally {
      await src.close();
    }
  });

  it('nobody listening: the first attempt fails at once, and says why', async () => {
    const src = storeSource(`redis://127.0.0.1:${await freePort()}`);
    try {
      const t0 = performance.now();
      await assert.rejects(Promise.resolve(src.ask(T, 5000)), (e: unknown) => isPofError(e) && /redis unavailable \(ECONNREFUSED/.test(e.message));
      assert.ok(performance.now() - t0 < 2500, `${performance.now() - t0} ms`);
      assert.match(src.unavailable() ?? '', /ECONNREFUSED/);
    } finally {
      await src.close();
    }
  });
});
