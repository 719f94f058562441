// pof proxy: a PHP backend sees pof's X-Pof-* headers (never the
// client's), bodies stream both ways, upgrades pass (and are logged once
// each: 101, refused, 502, client gone), TLS terminates, and the CLI
// (runProxy) runs with saved SYNs, an access log and a live sensor.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';

import { addonAvailable } from '../../src/capture/live.js';
import { PofApiServer } from '../../src/api/server.js';
import { startProxy } from '../../src/cli/proxy.js';
import { AccessLog } from '../../src/web/access-log.js';
import type { PofOptions } from '../../src/web/core.js';
import { createPofProxy, pofHeaderName, type PofProxy } from '../../src/web/proxy.js';
import { savedSynAvailable } from '../../src/web/saved-syn.js';
import { cannedLookup, makeEngine, request, tempDir, until } from './helpers.js';
import { havePhp, proxyUrl, spawnFixture, startNodeBackend, startPhp, stopChild } from './net-helpers.js';

interface PhpSaw {
  genre: string | null;
  details: string | null;
  distance: string | null;
  type: string | null;
  err: string | null;
  os: string | null;
  via: string | null;
  nat: string | null;
  xff: string | null;
  proto: string | null;
  host: string | null;
  method: string;
  uri: string;
  len: number;
  md5: string;
}

const tupleOf = (s: net.Socket) => ({ ipVer: 4 as const, cli: '127.0.0.1', cliPort: s.remotePort!, srv: '127.0.0.1', srvPort: s.localPort! });

it('header names: pof_genre -> X-Pof-Genre (PHP: HTTP_X_POF_GENRE)', () => {
  assert.equal(pofHeaderName('pof_genre'), 'X-Pof-Genre');
  assert.equal(pofHeaderName('pof_ua_mismatch'), 'X-Pof-Ua-Mismatch');
  assert.equal(pofHeaderName('pof_raw_sig'), 'X-Pof-Raw-Sig');
});

describe('proxy in front of php -S', { skip: !havePhp && 'php-cli not installed' }, () => {
  const dir = tempDir();
  let php: Awaited<ReturnType<typeof startPhp>>;
  before(async () => {
    php = await startPhp(dir.dir);
  });
  after(async () => {
    await php.stop();
    dir.cleanup();
  });

  async function withProxy(make: () => PofProxy, fn: (url: string) => Promise<void>): Promise<void> {
    const p = make();
    const a = await p.listen(0, '127.0.0.1');
    try {
      await fn(`http://127.0.0.1:${a.port}`);
    } finally {
      await p.close();
    }
  }

  it("the backend sees pof's genre, not the one the client sent", async () => {
    const sys = makeEngine();
    await withProxy(
      () => {
        const p = createPofProxy({ upstream: php.url, pof: { engine: sys.engine, conns: sys.conns, timeoutMs: 500 } });
        p.server.prependListener('connection', (s: net.Socket) => sys.feedSyn(tupleOf(s)));
        return p;
      },
      async (url) => {
        const r = await request(`${url}/index.php?q=1`, { agent: false, headers: { 'X-Pof-Genre': 'Windows', 'x-pof-err': 'fake', 'X-Forwarded-For': '203.0.113.9' } });
        assert.equal(r.status, 200);
        const saw = JSON.parse(r.body) as PhpSaw;
        assert.equal(saw.genre, 'Linux');
        assert.equal(saw.details, '3.10 to 4.18');
        assert.equal(saw.distance, '7');
        assert.equal(saw.type, '0');
        assert.equal(saw.err, '');
        assert.equal(saw.os, 'Linux 3.10 to 4.18');
        assert.equal(saw.via, 'engine');
        assert.equal(saw.xff, '203.0.113.9, 127.0.0.1');
        assert.equal(saw.proto, 'http');
        assert.equal(saw.uri, '/index.php?q=1');
      },
    );
  });

  it('daemon down: the request still goes through, X-Pof-Err says why, the spoofed genre is gone', async () => {
    const d = tempDir();
    await withProxy(
      () => createPofProxy({ upstream: php.url, pof: { socket: d.path('none.sock'), timeoutMs: 20 } }),
      async (url) => {
        const r = await request(`${url}/`, { agent: false, headers: { 'X-Pof-Genre': 'Windows' } });
        const saw = JSON.parse(r.body) as PhpSaw;
        assert.equal(saw.genre, '', 'every field is sent, empty when unknown');
        assert.equal(saw.type, '');
        assert.match(saw.err ?? '', /ENOENT/);
        assert.equal(saw.os, '');
      },
    );
    d.cleanup();
  });

  it('POST bodies reach PHP whole', async () => {
    const body = Buffer.alloc(300_000, 0x42);
    await withProxy(
      () => createPofProxy({ upstream: php.url, pof: { lookup: cannedLookup() } }),
      async (url) => {
        const r = await request(`${url}/`, { method: 'POST', agent: false, body, headers: { 'content-type': 'application/octet-stream' } });
        const saw = JSON.parse(r.body) as PhpSaw;
        assert.equal(saw.method, 'POST');
        assert.equal(saw.len, body.length);
        assert.equal(saw.md5, createHash('md5').update(body).digest('hex'));
        assert.equal(saw.genre, 'Windows');
      },
    );
  });

  const cliSkip = !savedSynAvailable() ? 'saved-SYN addon not built' : false;
  it('`pof proxy --saved-syn --access-log`: PHP sees the SYN verdict, the log has it', { skip: cliSkip }, async () => {
    const d = tempDir();
    const log = d.path('access.log');
    const child = spawnFixture('run-proxy.ts', ['--listen', '127.0.0.1:0', '--upstream', php.url, '--saved-syn', '--access-log', log, '--log-format', '%h "%r" %>s "%{pof_genre}e" "%{pof_details}e" %{pof_distance}e']);
    try {
      const url = await proxyUrl(child);
      const r = await request(`${url}/`, { agent: false, headers: { 'X-Pof-Genre': 'Windows' } });
      const saw = JSON.parse(r.body) as PhpSaw;
      assert.equal(saw.genre, 'Linux');
      assert.equal(saw.details, '(loopback)');
      assert.equal(saw.distance, '0');
      assert.equal(saw.via, 'saved-syn');
      assert.ok(await until(() => existsSync(log) && readFileSync(log, 'utf8').includes('\n'), 5000));
      assert.equal(readFileSync(log, 'utf8'), '127.0.0.1 "GET / HTTP/1.1" 200 "Linux" "(loopback)" 0\n');
    } finally {
      await stopChild(child);
      d.cleanup();
    }
    assert.equal(child.exitCode, 0);
  });

  it('`pof proxy -s PATH`: saved SYNs by default, the daemon asked about the client address only; --no-saved-syn: told per connection', { skip: cliSkip }, async () => {
    const d = tempDir();
    const lookup = cannedLookup();
    const api = await PofApiServer.listen({ path: d.path('pof.sock'), lookup });
    try {
      const p = await startProxy(['--listen', '127.0.0.1:0', '--upstream', php.url, '-s', d.path('pof.sock'), '--timeout', '2000'], process.stderr);
      try {
        assert.equal(p.route, `saved SYNs + daemon ${d.path('pof.sock')}`);
        for (let i = 0; i < 3; i++) {
          const saw = JSON.parse((await request(`${p.url}/`, { agent: false })).body) as PhpSaw;
          assert.equal(saw.genre, 'Linux', 'the connection’s own SYN');
          assert.equal(saw.details, '(loopback)');
          assert.equal(saw.via, 'saved-syn+daemon');
          assert.equal(saw.nat, '1', 'the client address’s facts from the daemon');
        }
        assert.equal(lookup.hostAsked, 1);
        assert.equal(lookup.asked, 0);
      } finally {
        await p.close();
      }
      const told = await startProxy(['--listen', '127.0.0.1:0', '--upstream', php.url, '-s', d.path('pof.sock'), '--timeout', '50', '--no-saved-syn'], process.stderr);
      try {
        assert.equal(told.route, `daemon ${d.path('pof.sock')}`);
        const saw = JSON.parse((await request(`${told.url}/`, { agent: false })).body) as PhpSaw;
        assert.equal(saw.genre, 'Windows', 'the daemon’s (canned) verdict of the connection');
        assert.equal(saw.via, 'daemon');
      } finally {
        await told.close();
      }
    } finally {
      await api.close();
      d.cleanup();
    }
  });

  const isRoot = process.getuid?.() === 0;
  const liveSkip = !addonAvailable() ? 'native addon not built' : !isRoot ? 'needs root for live capture' : false;
  for (const listen of ['127.0.0.1:0', '[::1]:0']) {
    it(`\`pof proxy -i lo\` on ${listen}: its own sensor fingerprints the client, HTTP request included`, { skip: liveSkip }, async () => {
      const p = await startProxy(['--listen', listen, '--upstream', php.url, '-i', 'lo', '--timeout', '2000', '--wait', 'http'], process.stderr);
      try {
        await new Promise((r) => setTimeout(r, 100));
        const r = await request(`${p.url}/`, { agent: false, headers: { 'X-Pof-Genre': 'Windows' } });
        const saw = JSON.parse(r.body) as PhpSaw;
        assert.equal(saw.genre, 'Linux');
        assert.equal(saw.details, '(loopback)');
        assert.equal(saw.via, 'engine');
        assert.equal(saw.err, '');
        // --wait http: answered once the request's HTTP verdict came, not at the 2 s timeout.
        assert.ok(r.ms < 1500, `answered after ${r.ms} ms`);
      } finally {
        await p.close();
      }
    });
  }
});

describe('proxy mechanics (Node backend)', () => {
  let backend: Awaited<ReturnType<typeof startNodeBackend>>;
  let proxy: PofProxy;
  let url: string;
  const lines: string[] = [];
  before(async () => {
    backend = await startNodeBackend();
    proxy = createPofProxy({
      upstream: backend.url,
      pof: { lookup: cannedLookup() },
      accessLog: new AccessLog({ stream: { write: (s: string) => lines.push(s) }, format: '%m %U %>s %B "%{pof_genre}e"' }),
    });
    const a = await proxy.listen(0, '127.0.0.1');
    url = `http://127.0.0.1:${a.port}`;
  });
  after(async () => {
    await proxy.close();
    await backend.stop();
  });

  it('streams both ways: the first echoed chunk arrives before the upload ends', async () => {
    const got: Buffer[] = [];
    await new Promise<void>((resolve, reject) => {
      const req = http.request(`${url}/echo`, { method: 'POST', agent: false, headers: { 'transfer-encoding': 'chunked' } }, (res) => {
        res.on('data', (d: Buffer) => {
          got.push(d);
          const text = Buffer.concat(got).toString();
          if (text === 'first-chunk;') req.end('second-chunk');
        });
        res.on('end', () => resolve());
      });
      req.on('error', reject);
      req.write('first-chunk;');
    });
    assert.equal(Buffer.concat(got).toString(), 'first-chunk;second-chunk');
  });

  it('large responses come through intact', async () => {
    const n = 8 * 1024 * 1024 + 17;
    const r = await new Promise<number>((resolve, reject) => {
      http.get(`${url}/big?n=${n}`, { agent: false }, (res) => {
        let len = 0;
        res.on('data', (d: Buffer) => (len += d.length));
        res.on('end', () => resolve(len));
      }).on('error', reject);
    });
    assert.equal(r, n);
  });

  it('upstream headers: several Set-Cookie kept, hop-by-hop dropped; request hop-by-hop dropped', async () => {
    const r = await request(`${url}/cookies`, { agent: false, headers: { connection: 'keep-alive, x-secret', 'x-secret': '1', te: 'trailers', 'x-keep': 'yes' } });
    assert.deepEqual(r.headers['set-cookie'], ['a=1; Path=/', 'b=2; Path=/']);
    assert.notEqual(r.headers['keep-alive'], 'timeout=77');
    assert.equal(r.headers['x-hop'], undefined, 'a response header named in Connection stays behind');
    const seen = JSON.parse(r.body) as Record<string, string>;
    assert.equal(seen['x-secret'], undefined);
    assert.equal(seen.te, undefined);
    assert.equal(seen['x-keep'], 'yes');
    assert.equal(seen['x-pof-genre'], 'Windows');
    assert.equal(seen['x-pof-app'], 'Firefox 10.x or newer');
    assert.equal(seen['x-pof-ua-mismatch'], '1');
    assert.equal(seen['x-forwarded-host'], new URL(url).host);
    assert.equal(seen.host, new URL(url).host, 'Host is kept');
  });

  it('request hop-by-hop headers are dropped whatever their case; others pass as they came', async () => {
    const r = await request(`${url}/cookies`, {
      agent: false,
      headers: { Connection: 'keep-alive', 'Proxy-Connection': 'keep-alive', TE: 'trailers', 'KEEP-ALIVE': 'timeout=5', 'Accept-Language': 'de', Zebra: 'z' },
    });
    const seen = JSON.parse(r.body) as Record<string, string>;
    for (const h of ['proxy-connection', 'te', 'keep-alive']) assert.equal(seen[h], undefined, h);
    assert.equal(seen['accept-language'], 'de');
    assert.equal(seen.zebra, 'z');
  });

  it('repeated request headers: kept in order, except a second Host; X-Forwarded-For chains them all; X-Forwarded-Proto is the proxy\'s', async () => {
    const port = Number(new URL(url).port);
    const raw = await new Promise<string>((resolve, reject) => {
      const s = net.connect(port, '127.0.0.1', () => {
        s.write(
          'GET /headers HTTP/1.1\r\nHost: first.example\r\nHost: second.example\r\nX-Dup: 1\r\nX-Dup: 2\r\n' +
            'X-Forwarded-For: 192.0.2.1\r\nX-Forwarded-For: 192.0.2.2\r\nX-Forwarded-Proto: https\r\nConnection: close\r\n\r\n',
        );
      });
      let text = '';
      s.on('data', (d: Buffer) => (text += d.toString()));
      s.on('end', () => resolve(text));
      s.on('error', reject);
    });
    assert.match(raw, /^HTTP\/1\.1 200 /);
    const seen = JSON.parse(raw.slice(raw.indexOf('\r\n\r\n') + 4)) as Record<string, string>;
    assert.equal(seen.host, 'first.example');
    assert.equal(seen['x-dup'], '1, 2');
    assert.equal(seen['x-forwarded-for'], '192.0.2.1, 192.0.2.2, 127.0.0.1');
    assert.equal(seen['x-forwarded-host'], 'first.example');
    assert.equal(seen['x-forwarded-proto'], 'http', 'the client cannot claim https');
  });

  it('preserveHost false: the backend is sent its own Host', async () => {
    const p = createPofProxy({ upstream: backend.url, pof: { lookup: cannedLookup() }, preserveHost: false });
    const a = await p.listen(0, '127.0.0.1');
    try {
      const r = await request(`http://127.0.0.1:${a.port}/headers`, { agent: false, headers: { host: 'client.example' } });
      const seen = JSON.parse(r.body) as Record<string, string>;
      assert.equal(seen.host, new URL(backend.url).host);
      assert.equal(seen['x-forwarded-host'], 'client.example');
      assert.equal(seen['x-pof-genre'], 'Windows');
    } finally {
      await p.close();
    }
  });

  it('WebSocket upgrade: 101 passes, bytes flow both ways, the backend saw X-Pof-Genre', async () => {
    const res = await new Promise<{ status: number; headers: http.IncomingHttpHeaders; socket: net.Socket; head: Buffer }>((resolve, reject) => {
      const req = http.request(`${url}/ws`, { agent: false, headers: { connection: 'Upgrade', upgrade: 'websocket', 'x-pof-genre': 'Windows 95' } });
      req.on('upgrade', (r, socket, head) => resolve({ status: r.statusCode!, headers: r.headers, socket, head }));
      req.on('response', (r) => reject(new Error(`no upgrade: ${r.statusCode}`)));
      req.on('error', reject);
      req.end();
    });
    assert.equal(res.status, 101);
    assert.equal(res.headers['x-seen-genre'], 'Windows');
    const echoed = await new Promise<string>((resolve) => {
      let s = res.head.toString();
      res.socket.on('data', (d: Buffer) => {
        s += d.toString();
        if (s.length >= 9) resolve(s);
      });
      res.socket.write('ping-pong');
    });
    assert.equal(echoed, 'ping-pong');
    res.socket.destroy();
  });

  it('a declined upgrade relays the backend answer', async () => {
    const r = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = http.request(`${url}/no-upgrade`, { agent: false, headers: { connection: 'Upgrade', upgrade: 'websocket' } });
      req.on('response', (res) => {
        let b = '';
        res.on('data', (d) => (b += d));
        res.on('end', () => resolve({ status: res.statusCode!, body: b }));
      });
      req.on('upgrade', () => reject(new Error('upgraded')));
      req.on('error', reject);
      req.end();
    });
    assert.deepEqual(r, { status: 403, body: 'nope' });
  });

  it('writes the access log with pof variables', async () => {
    // Upgrade lines of the tests above may still come in (they are written when their tunnels close).
    const cookieLines = (): string[] => lines.filter((l) => l.startsWith('GET /cookies '));
    lines.length = 0;
    await request(`${url}/cookies`, { agent: false });
    assert.ok(await until(() => cookieLines().length === 1));
    assert.match(cookieLines()[0]!, /^GET \/cookies 200 \d+ "Windows"\n$/);
  });

  it('upstream down: 502', async () => {
    const p = createPofProxy({ upstream: 'http://127.0.0.1:1', pof: { lookup: cannedLookup() } });
    const a = await p.listen(0, '127.0.0.1');
    try {
      const r = await request(`http://127.0.0.1:${a.port}/`, { agent: false });
      assert.equal(r.status, 502);
    } finally {
      await p.close();
    }
  });

  it('a backend that never answers: 504 after upstreamTimeoutMs, for requests and upgrades alike', async () => {
    const silent = net.createServer(() => {});
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const errors: string[] = [];
    const p = createPofProxy({ upstream: `http://127.0.0.1:${(silent.address() as net.AddressInfo).port}`, pof: { lookup: cannedLookup() }, upstreamTimeoutMs: 200, onError: (e) => errors.push(e.message) });
    const a = await p.listen(0, '127.0.0.1');
    try {
      const r = await request(`http://127.0.0.1:${a.port}/`, { agent: false });
      assert.equal(r.status, 504);
      assert.equal(r.body, 'Gateway Timeout\n');
      assert.ok(r.ms >= 190, `answered after ${r.ms} ms`);
      const u = await openUpgrade(`http://127.0.0.1:${a.port}/ws`);
      assert.equal(u.status, 504);
      assert.deepEqual(errors, [`upstream 127.0.0.1:${(silent.address() as net.AddressInfo).port} silent for 200 ms`, `upstream 127.0.0.1:${(silent.address() as net.AddressInfo).port} silent for 200 ms`]);
    } finally {
      await p.close();
      silent.close();
    }
  });

  it("a client that leaves before the backend answers: the backend request is dropped, and onError (for upstream failures) is not told", async () => {
    const held: http.IncomingMessage[] = [];
    let backendSawClose = false;
    const slow = http.createServer((req) => {
      held.push(req);
      req.socket.on('close', () => (backendSawClose = true));
    });
    await new Promise<void>((r) => slow.listen(0, '127.0.0.1', r));
    const errors: Error[] = [];
    const p = createPofProxy({ upstream: `http://127.0.0.1:${(slow.address() as net.AddressInfo).port}`, pof: { lookup: cannedLookup() }, onError: (e) => errors.push(e) });
    const a = await p.listen(0, '127.0.0.1');
    try {
      const req = http.request(`http://127.0.0.1:${a.port}/slow`, { agent: false });
      req.on('error', () => {});
      req.end();
      assert.ok(await until(() => held.length === 1), 'the backend got the request');
      req.destroy();
      assert.ok(await until(() => backendSawClose), 'the proxy dropped its backend request');
      // Give a misplaced 'error' time to arrive.
      await new Promise((r) => setTimeout(r, 50));
      assert.deepEqual(errors.map((e) => e.message), []);
    } finally {
      await p.close();
      slow.close();
      slow.closeAllConnections();
    }
  });

  it('refuses bad options', () => {
    assert.throws(() => createPofProxy({ upstream: 'ftp://x', pof: { lookup: cannedLookup() } }), /http:\/\/ or https:\/\//);
    assert.throws(() => createPofProxy({ upstream: 'not a url', pof: { lookup: cannedLookup() } }), /not a URL/);
    assert.throws(() => createPofProxy({ upstream: 'http://x/?a=1', pof: { lookup: cannedLookup() } }), /no query/);
  });
});

/** An upgrade request: the tunnel's socket on a 101, else the status and body. */
type UpgradeReply = { status: 101; socket: net.Socket; head: Buffer } | { status: number; body: string };

function openUpgrade(url: string): Promise<UpgradeReply> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { agent: false, headers: { connection: 'Upgrade', upgrade: 'websocket' } });
    req.on('upgrade', (_r, socket, head) => resolve({ status: 101, socket, head }));
    req.on('response', (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode!, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('access log: upgrades, one line each, written when the client connection closes', () => {
  // %b / %B: bytes to the client after the answer's head; %X: '-' unless cut short.
  const FORMAT = '"%r" %>s %b %B %X %D "%{pof_genre}e"';
  const TUNNEL_OPEN_MS = 100;
  const SETTLE_MS = 50;
  let backend: Awaited<ReturnType<typeof startNodeBackend>>;
  before(async () => {
    backend = await startNodeBackend();
  });
  after(async () => {
    await backend.stop();
  });

  async function withLoggedProxy(upstream: string, fn: (url: string, lines: string[]) => Promise<void>, pof: PofOptions = {}): Promise<void> {
    const lines: string[] = [];
    const p = createPofProxy({ upstream, pof: { lookup: cannedLookup(), ...pof }, accessLog: new AccessLog({ stream: { write: (s: string) => lines.push(s) }, format: FORMAT }) });
    const a = await p.listen(0, '127.0.0.1');
    try {
      await fn(`http://127.0.0.1:${a.port}`, lines);
    } finally {
      await p.close();
    }
  }

  /** Waits for the first line, then a little longer to see that no second one follows. */
  async function onlyLine(lines: string[]): Promise<string> {
    assert.ok(await until(() => lines.length > 0), 'no access-log line');
    await new Promise((r) => setTimeout(r, SETTLE_MS));
    assert.equal(lines.length, 1, `one line, got ${JSON.stringify(lines)}`);
    return lines[0]!;
  }

  it('101: logged when the tunnel closes, with the bytes echoed to the client and the whole time', async () => {
    await withLoggedProxy(backend.url, async (url, lines) => {
      const r = await openUpgrade(`${url}/ws?x=1`);
      assert.equal(r.status, 101);
      if (!('socket' in r)) return;
      let echoed = r.head.toString();
      r.socket.on('data', (d: Buffer) => (echoed += d.toString()));
      r.socket.write('ping-pong');
      assert.ok(await until(() => echoed === 'ping-pong'));
      await new Promise((res) => setTimeout(res, TUNNEL_OPEN_MS));
      assert.deepEqual(lines, [], 'nothing logged while the tunnel is open');
      r.socket.destroy();
      const m = /^"GET \/ws\?x=1 HTTP\/1\.1" 101 9 9 - (\d+) "Windows"\n$/.exec(await onlyLine(lines));
      assert.ok(m, lines[0]);
      assert.ok(Number(m[1]) >= TUNNEL_OPEN_MS * 1000, `%D ${m[1]} us covers the open tunnel`);
    });
  });

  it("declined: the backend's status and body size", async () => {
    await withLoggedProxy(backend.url, async (url, lines) => {
      assert.deepEqual(await openUpgrade(`${url}/no-upgrade`), { status: 403, body: 'nope' });
      assert.match(await onlyLine(lines), /^"GET \/no-upgrade HTTP\/1\.1" 403 4 4 - \d+ "Windows"\n$/);
    });
  });

  it('backend down: 502, no body', async () => {
    await withLoggedProxy('http://127.0.0.1:1', async (url, lines) => {
      const r = await openUpgrade(`${url}/ws`);
      assert.equal(r.status, 502);
      assert.match(await onlyLine(lines), /^"GET \/ws HTTP\/1\.1" 502 - 0 - \d+ "Windows"\n$/);
    });
  });

  it('the client leaves before the backend answers: one aborted line, the backend request is dropped', async () => {
    const held: net.Socket[] = [];
    let backendEnded = false;
    const silent = http.createServer();
    silent.on('upgrade', (_req, socket: net.Socket) => {
      held.push(socket);
      // An upgraded socket is half-open: the proxy's FIN shows as 'end'.
      socket.on('end', () => (backendEnded = true)).resume();
    });
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    try {
      await withLoggedProxy(`http://127.0.0.1:${(silent.address() as net.AddressInfo).port}`, async (url, lines) => {
        const req = http.request(`${url}/ws`, { agent: false, headers: { connection: 'Upgrade', upgrade: 'websocket' } });
        req.on('error', () => {});
        req.end();
        assert.ok(await until(() => held.length === 1), 'the backend got the upgrade');
        req.destroy();
        assert.match(await onlyLine(lines), /^"GET \/ws HTTP\/1\.1" 200 - 0 X \d+ "Windows"\n$/);
        assert.ok(await until(() => backendEnded), 'the proxy dropped its backend request');
      });
    } finally {
      silent.close();
      silent.closeAllConnections();
    }
  });

  it('a client reset while pof is asked: no crash, one aborted line, nothing sent to the backend', async () => {
    // The canned lookup has no HTTP verdict: waiting for one holds the upgrade for the timeout.
    const POF_WAIT_MS = 300;
    const seenBefore = backend.seen.length;
    await withLoggedProxy(
      backend.url,
      async (url, lines) => {
        const { port } = new URL(url);
        const c = net.connect(Number(port), '127.0.0.1');
        c.on('error', () => {});
        await new Promise((r) => c.once('connect', r));
        c.write('GET /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n');
        await new Promise((r) => setTimeout(r, SETTLE_MS));
        c.resetAndDestroy();
        assert.match(await onlyLine(lines), /^"GET \/ws HTTP\/1\.1" 200 - 0 X \d+ "-"\n$/);
        await new Promise((r) => setTimeout(r, POF_WAIT_MS));
        assert.equal(backend.seen.length, seenBefore);
      },
      { waitFor: 'http', timeoutMs: POF_WAIT_MS },
    );
  });

  it('close() ends open tunnels, and their lines are written first', async () => {
    let lines: string[] = [];
    await withLoggedProxy(backend.url, async (url, l) => {
      lines = l;
      assert.equal((await openUpgrade(`${url}/ws`)).status, 101);
    });
    assert.match(lines.join(''), /^"GET \/ws HTTP\/1\.1" 101 - 0 - \d+ "Windows"\n$/);
  });
});

describe('which X-Pof-* headers go (headers, --headers)', () => {
  /** What the backend saw of one request (which sends X-Pof-Os itself), through a proxy with `headers`; and the access log line. */
  async function seenWith(headers: Parameters<typeof createPofProxy>[0]['headers']): Promise<{ seen: http.IncomingHttpHeaders; line: string }> {
    const backend = await startNodeBackend();
    const lines: string[] = [];
    const p = createPofProxy({
      upstream: backend.url,
      pof: { lookup: cannedLookup() },
      headers,
      accessLog: new AccessLog({ stream: { write: (s: string) => lines.push(s) }, format: '"%{pof_genre}e" "%{pof_app}e"' }),
    });
    try {
      const a = await p.listen(0, '127.0.0.1');
      await request(`http://127.0.0.1:${a.port}/`, { agent: false, headers: { 'X-Pof-Os': 'Windows 95' } });
      await until(() => lines.length === 1);
      return { seen: backend.seen[0]!, line: lines[0]! };
    } finally {
      await p.close();
      await backend.stop();
    }
  }
  const pofNames = (h: http.IncomingHttpHeaders): string[] => Object.keys(h).filter((k) => k.startsWith('x-pof-')).sort();

  it('a chosen few, in any order; the access log still has every field', async () => {
    const { seen, line } = await seenWith(['pof_app', 'pof_genre', 'pof_app']);
    assert.deepEqual(pofNames(seen), ['x-pof-app', 'x-pof-genre']);
    assert.equal(seen['x-pof-genre'], 'Windows');
    assert.equal(line, '"Windows" "Firefox 10.x or newer"\n');
  });
  it("none: the client's X-Pof-* are still removed", async () => {
    assert.deepEqual(pofNames((await seenWith([])).seen), []);
  });
  it("mod_pof's variables only (X-Pof-Type and X-Pof-Err always among them)", async () => {
    const { parseHeaders } = await import('../../src/cli/proxy.js');
    const names = pofNames((await seenWith(parseHeaders('mod_pof'))).seen);
    assert.ok(names.includes('x-pof-type') && names.includes('x-pof-err') && names.includes('x-pof-genre'), names.join());
    assert.ok(!names.includes('x-pof-os') && !names.includes('x-pof-via'), names.join());
  });
  it('--headers takes names with or without pof_, X-Pof- spelling too; all = the default', async () => {
    const { parseHeaders } = await import('../../src/cli/proxy.js');
    assert.deepEqual(parseHeaders('genre, pof_app,UA-Mismatch,X-Pof-Raw-Sig'), ['pof_genre', 'pof_app', 'pof_ua_mismatch', 'pof_raw_sig']);
    assert.deepEqual(parseHeaders('none'), []);
    assert.equal(parseHeaders('all'), undefined);
  });
  it('an unknown field is a configuration error naming it', () => {
    assert.throws(() => createPofProxy({ upstream: 'http://127.0.0.1:1', pof: { lookup: cannedLookup() }, headers: ['pof_genre', 'pof_shoe_size' as never] }), /headers: unknown field 'pof_shoe_size'/);
  });
});

const haveOpenssl = spawnSync('openssl', ['version']).status === 0;
describe('TLS termination', { skip: !haveOpenssl && 'openssl not installed' }, () => {
  /** A proxy with a fresh self-signed certificate; what the backend saw of one https request. */
  async function viaTls(extra: string[]): Promise<Record<string, string>> {
    const d = tempDir();
    const key = d.path('key.pem');
    const cert = d.path('cert.pem');
    const g = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=localhost'], { stdio: 'ignore' });
    assert.equal(g.status, 0);
    const backend = await startNodeBackend();
    const p = await startProxy(['--listen', '127.0.0.1:0', '--upstream', backend.url, '--tls-cert', cert, '--tls-key', key, '--timeout', '5', ...extra.map((a) => a.replace('DIR', d.dir))], process.stderr);
    try {
      assert.match(p.url, /^https:/);
      const body = await new Promise<string>((resolve, reject) => {
        https.get(`${p.url}/`, { rejectUnauthorized: false, agent: false }, (res) => {
          let b = '';
          res.on('data', (c) => (b += c));
          res.on('end', () => resolve(b));
        }).on('error', reject);
      });
      return JSON.parse(body) as Record<string, string>;
    } finally {
      await p.close();
      await backend.stop();
      d.cleanup();
    }
  }

  it('https in, http to the backend, X-Forwarded-Proto https', async () => {
    const seen = await viaTls(['-s', 'DIR/none.sock']);
    assert.equal(seen['x-forwarded-proto'], 'https');
    assert.match(seen['x-pof-err']!, /ENOENT/);
  });

  it('saved SYNs under TLS: the TLS socket still gives the connection its verdict', { skip: !savedSynAvailable() && 'saved-SYN addon not built' }, async () => {
    const seen = await viaTls(['--saved-syn']);
    assert.equal(seen['x-pof-genre'], 'Linux');
    assert.equal(seen['x-pof-err'], '');
  });
});

describe('pof proxy arguments', () => {
  const bad: Array<[string[], RegExp]> = [
    [[], /--listen ADDR:PORT is required/],
    [['--listen', '127.0.0.1:0'], /--upstream URL is required/],
    [['--listen', 'nope', '--upstream', 'http://x'], /--listen wants ADDR:PORT/],
    [['--listen', ':99999', '--upstream', 'http://x'], /port out of range/],
    [['--listen', ':0', '--upstream', 'http://x', '-s', '/a', '-i', 'lo'], /cannot be used together/],
    [['--listen', ':0', '--upstream', 'http://x', '--tls-cert', 'a'], /go together/],
    [['--listen', ':0', '--upstream', 'http://x', '--wait', 'ack'], /--wait wants/],
    [['--listen', ':0', '--upstream', 'nope'], /--upstream wants an http:\/\/ or https:\/\/ URL \(got 'nope'\)/],
    [['--listen', ':0', '--upstream', 'ftp://x'], /--upstream wants an http/],
    [['--listen', ':0', '--upstream', 'http://x', '--bogus'], /unknown option --bogus \(see pof proxy --help\)/],
    [['--listen', ':0', '--upstream', 'http://x', '--timeout', '0'], /--timeout wants milliseconds in 1\.\.60000/],
    [['--listen', ':0', '--upstream', 'http://x', '--timeout', '99999999'], /--timeout wants milliseconds/],
    [['--listen', ':0', '--upstream', 'http://x', '-f', 'my.fp', '--no-saved-syn'], /-f is for -i or saved SYNs/],
    [['--listen', ':0', '--upstream', 'http://x', '--saved-syn', '--no-saved-syn'], /cannot be used together/],
    [['--listen', ':0', '--upstream', 'http://x', '--batch-ms', '2'], /--batch-ms is for -i/],
    [['--listen', ':0', '--upstream', 'http://x', '-i', 'lo', '--batch-ms', '0'], /--batch-ms wants milliseconds in 1\.\.10000 /],
    [['--listen', ':0', '--upstream', 'http://x', '--headers', 'genre,os-name'], /--headers: unknown field 'os_name' \(known: all, mod_pof, none, type, genre, /],
    [['--listen', ':0', '--upstream', 'http://x', '--headers', ''], /--headers: unknown field ''/],
  ];
  for (const [args, re] of bad) {
    it(args.join(' ') || '(none)', async () => {
      await assert.rejects(startProxy(args, process.stderr), (e: Error & { code?: string }) => e.code === 'E_USAGE' && re.test(e.message));
    });
  }
  it('-h as the value of an option is not a request for help', async () => {
    const { runProxy } = await import('../../src/cli/proxy.js');
    let out = '';
    let err = '';
    const code = await runProxy(['--listen', 'x', '--upstream', 'http://x', '--log-format', '-h'], { write: (s: string) => (out += s) }, { write: (s: string) => (err += s) });
    assert.equal(code, 2);
    assert.equal(out, '');
    assert.match(err, /--listen wants ADDR:PORT/);
  });

  it('runProxy prints usage errors and returns 2', async () => {
    const { runProxy } = await import('../../src/cli/proxy.js');
    let err = '';
    const code = await runProxy(['--listen', 'x', '--upstream', 'http://x'], { write: () => true }, { write: (s: string) => (err += s) });
    assert.equal(code, 2);
    assert.match(err, /^pof proxy: --listen wants ADDR:PORT/);
  });
});
