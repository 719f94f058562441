/**
 * `pof query --store`: the shared store asked from the command line, with
 * the daemon's blocks and JSON, through the real bin; Redis down is one
 * line and exit status 1.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

import { connToJson, hostToJson } from '../../src/api/json.js';
import { StorePublisher } from '../../src/api/store/publisher.js';
import { runQuery } from '../../src/cli/query.js';
import type { ConnVerdict } from '../../src/state/conn-verdicts.js';
import type { HostView } from '../../src/api/types.js';
import { freePort, RedisServer, skipRedis } from './redis-server.js';

const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

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
  client: {
    tcp: { match: { name: 'Windows', flavor: '10 or 11', cls: 'win', userland: false, generic: false, fuzzy: false }, label: 'Windows 10 or 11', dist: 7, distUpperBound: false, quality: 0, params: 'none', rawSig: '4:121+7:0:1460:65535,8:mss,nop,ws,nop,nop,sok:df,id+:0' },
    mtu: { mtu: 1500, link: 'Ethernet or modem' },
    uptime: null,
    http: null,
    nat: null,
  },
  server: { tcp: null, mtu: null, uptime: null, http: null, nat: null },
};
const h: HostView = {
  addr: '198.51.100.7',
  ipVer: 4,
  firstSeen: 1700000000,
  lastSeen: 1700000001,
  totalConn: 2,
  lastOs: { id: 3, line: 30, generic: false, cls: 'win', name: 'Windows', flavor: '10 or 11', sys: [] },
  lastQuality: 0,
  distance: 7,
  lastUpMin: -1,
  upModDays: 0,
  mtu: 1500,
  linkType: 'Ethernet or modem',
  lastNat: 0,
  lastChg: 0,
  httpName: null,
  httpFlavor: null,
  language: null,
  badSw: 0,
};

function capture(): { w: { write(s: string): boolean }; text(): string } {
  let t = '';
  return { w: { write: (s: string) => ((t += s), true) }, text: () => t };
}

describe('pof query --store', { skip: skipRedis }, () => {
  let redis: RedisServer;
  before(async () => {
    redis = await new RedisServer({ password: 'q-pass' }).start();
    const pub = new StorePublisher({ url: redis.url });
    for (const t = Date.now(); pub.unavailable() !== null; await new Promise((r) => setTimeout(r, 10))) if (Date.now() - t > 5000) throw new Error(pub.unavailable()!);
    pub.conn(v);
    pub.host(h);
    await pub.flush();
    await pub.close();
  });
  after(() => redis?.stop());

  it('prints the host block, and the connection, as for a daemon', async () => {
    const out = capture();
    const err = capture();
    assert.equal(await runQuery(['198.51.100.7', '--store', redis.url], out.w, err.w), 0, err.text());
    assert.match(out.text(), /^Detected OS   = Windows 10 or 11$/m);
    assert.match(out.text(), /^Distance      = 7$/m);
    const c = capture();
    assert.equal(await runQuery(['198.51.100.7', '--port', '45012', '--srv', '203.0.113.80', '--srv-port', '443', '--store', redis.url], c.w, err.w), 0);
    assert.match(c.text(), /^Connection    = 198\.51\.100\.7\/45012 -> 203\.0\.113\.80\/443$/m);
    assert.match(c.text(), /^Client TCP    = Windows 10 or 11 \(distance 7\)$/m);
  });

  it('--json gives the daemon\'s answers; no match is exit status 1', async () => {
    const out = capture();
    const err = capture();
    assert.equal(await runQuery(['198.51.100.7', '--port', '45012', '--srv', '203.0.113.80', '--srv-port', '443', '--store', redis.url, '--json'], out.w, err.w), 0);
    assert.deepEqual(JSON.parse(out.text()), { status: 'ok', host: hostToJson(h), conn: connToJson(v) });
    const none = capture();
    assert.equal(await runQuery(['192.0.2.1', '--store', redis.url, '--json'], none.w, err.w), 1);
    assert.deepEqual(JSON.parse(none.text()), { status: 'no match' });
    const plain = capture();
    assert.equal(await runQuery(['192.0.2.1', '--store', redis.url], plain.w, err.w), 1);
    assert.equal(plain.text(), 'No matching host in the pof store.\n');
  });

  it('through the bin: a password from $POF_STORE_PASSWORD; Redis down and bad flags are one line', async () => {
    const url = `redis://127.0.0.1:${redis.port}`;
    const run = (args: string[], env: Record<string, string> = {}) =>
      spawnSync(process.execPath, ['--import', 'tsx', MAIN, 'query', ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, ...env }, timeout: 30_000 });
    const ok = run(['198.51.100.7', '--store', url, '--json'], { POF_STORE_PASSWORD: 'q-pass' });
    assert.equal(ok.status, 0, ok.stderr);
    assert.equal(JSON.parse(ok.stdout).host.os.label, 'Windows 10 or 11');
    const port = await freePort();
    const down = run(['198.51.100.7', '--store', `redis://127.0.0.1:${port}`, '--timeout', '500']);
    assert.equal(down.status, 1);
    assert.equal(down.stderr, `pof: redis unavailable (ECONNREFUSED redis://127.0.0.1:${port})\n`);
    const both = run(['198.51.100.7', '--store', url, '-s', '/run/pof.sock']);
    assert.equal(both.status, 2);
    assert.match(both.stderr, /^pof: give -s or --store, not both\n/);
    const bad = run(['198.51.100.7', '--store', 'http://x']);
    assert.equal(bad.status, 1);
    assert.equal(bad.stderr, 'pof: store: http:// is not redis:// or rediss://\n');
  });
});
