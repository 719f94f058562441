/**
 * Reading PROXY headers off real sockets on loopback: trusted and untrusted
 * peers (127.0.0.1 and 127.0.0.2), required and optional modes, timeouts,
 * bytes after the header reaching http, https and net servers whole
 * (arriving with the header or after it), and the bounds.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { after, before, describe, it } from 'node:test';

import { PofError } from '../../src/errors.js';
import { writeV2 } from '../../src/web/proxy-protocol-write.js';
import { ProxyProtocolReader, proxyHeaderOf, proxyTupleOf, withProxyProtocol, type ProxyAccept, type ProxyProtocolOptions } from '../../src/web/proxy-protocol-reader.js';

const V2 = writeV2({ addr: { family: 'inet', transport: 'stream', src: '198.51.100.7', srcPort: 45012, dst: '203.0.113.80', dstPort: 443 } });
const V1 = Buffer.from('PROXY TCP6 2001:db8::7 2001:db8::80 45012 443\r\n');
const REQ = (path: string, close = true): string => `GET ${path} HTTP/1.1\r\nHost: t\r\nConnection: ${close ? 'close' : 'keep-alive'}\r\n\r\n`;

interface Served {
  port: number;
  reader: ProxyProtocolReader;
  results: ProxyAccept[];
  close(): Promise<void>;
}

/** An http server answering with what the PROXY header said about each request's connection. */
async function httpServer(opts: Omit<ProxyProtocolOptions, 'onRefused'>): Promise<Served> {
  const results: ProxyAccept[] = [];
  const srv = http.createServer((req, res) => {
    const h = proxyHeaderOf(req.socket);
    res.end(JSON.stringify({ url: req.url, tuple: proxyTupleOf(req.socket) ?? null, version: h?.version ?? null, command: h?.command ?? null, peer: req.socket.remoteAddress }));
  });
  const reader = new ProxyProtocolReader({ ...opts, onRefused: (r) => results.push(r) });
  withProxyProtocol(srv, reader);
  // Every outcome, for the assertions (the reader's callback is internal to withProxyProtocol).
  const accept = reader.accept.bind(reader);
  reader.accept = (s, done) =>
    accept(s, (r) => {
      if (r.kind !== 'refused') results.push(r);
      done(r);
    });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return {
    port: (srv.address() as net.AddressInfo).port,
    reader,
    results,
    close: () => new Promise<void>((r) => srv.close(() => r())),
  };
}

/** Connects (from `from`), writes each part after the previous (with a pause between), reads until the server closes. */
function exchange(port: number, parts: Array<Buffer | string>, from = '127.0.0.1', gapMs = 30): Promise<{ data: string; ms: number }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const c = net.connect({ port, host: '127.0.0.1', localAddress: from });
    let data = '';
    c.on('data', (d) => (data += d));
    c.on('close', () => resolve({ data, ms: performance.now() - t0 }));
    c.on('error', (e: NodeJS.ErrnoException) => (e.code === 'ECONNRESET' ? undefined : reject(e)));
    c.on('connect', async () => {
      for (let i = 0; i < parts.length; i++) {
        if (i) await new Promise((r) => setTimeout(r, gapMs));
        if (!c.destroyed) c.write(parts[i]!);
      }
    });
  });
}

const bodies = (data: string): Array<Record<string, unknown>> =>
  data
    .split(/\r\n\r\n/)
    .map((s) => s.replace(/HTTP\/1\.1[\s\S]*$/, ''))
    .filter((s) => s.startsWith('{'))
    .map((s) => JSON.parse(s) as Record<string, unknown>);

describe('PROXY protocol reader', () => {
  it('checks its options once, with one line', () => {
    const bad: Array<[unknown, RegExp]> = [
      [{}, /give the trusted proxies/],
      [{ trusted: '10.0.0.1/8' }, /trusted proxies: 10\.0\.0\.1\/8: bits are set/],
      [{ trusted: '127.0.0.1', mode: 'sometimes' }, /mode must be 'required' or 'optional'/],
      [{ trusted: '127.0.0.1', headerTimeoutMs: 0 }, /headerTimeoutMs must be an integer/],
      [{ trusted: '127.0.0.1', v2MaxLength: 10 }, /v2MaxLength/],
      [{ trusted: '127.0.0.1', maxPending: 0 }, /maxPending/],
      [null, /options must be an object/],
    ];
    for (const [o, re] of bad) {
      assert.throws(
        () => new ProxyProtocolReader(o as ProxyProtocolOptions),
        (e: unknown) => e instanceof PofError && e.code === 'E_CONFIG' && re.test(e.message) && !e.message.includes('\n'),
      );
    }
    const srv = http.createServer();
    withProxyProtocol(srv, { trusted: '127.0.0.1' });
    assert.throws(() => withProxyProtocol(srv, { trusted: '127.0.0.1' }), /reads PROXY headers already/);
  });

  describe('required mode', () => {
    let s: Served;
    before(async () => (s = await httpServer({ trusted: '127.0.0.1/32', headerTimeoutMs: 300 })));
    after(() => s.close());

    it('hands the connection on with the header, v2 and v1, keep-alive requests included', async () => {
      const r = await exchange(s.port, [Buffer.concat([V2, Buffer.from(REQ('/a', false) + REQ('/b'))])]);
      const b = bodies(r.data);
      assert.deepEqual(b.map((x) => x.url), ['/a', '/b']);
      assert.deepEqual(b[0]!.tuple, { ipVer: 4, cli: '198.51.100.7', cliPort: 45012, srv: '203.0.113.80', srvPort: 443 });
      assert.equal(b[0]!.version, 2);
      const r1 = await exchange(s.port, [V1, REQ('/v1')]);
      assert.deepEqual(bodies(r1.data)[0]!.tuple, { ipVer: 6, cli: '2001:db8:0:0:0:0:0:7', cliPort: 45012, srv: '2001:db8:0:0:0:0:0:80', srvPort: 443 });
    });

    it('takes a header cut into pieces, the request cut too', async () => {
      const all = Buffer.concat([V2, Buffer.from(REQ('/cut'))]);
      const r = await exchange(s.port, [all.subarray(0, 3), all.subarray(3, 14), all.subarray(14, 30), all.subarray(30)]);
      assert.deepEqual(bodies(r.data).map((x) => x.url), ['/cut']);
    });

    it('a LOCAL header (a health check) is served with the real endpoints', async () => {
      const r = await exchange(s.port, [Buffer.concat([writeV2({ command: 'local' }), Buffer.from(REQ('/health'))])]);
      const b = bodies(r.data)[0]!;
      assert.equal(b.command, 'local');
      assert.equal(b.tuple, null);
      assert.equal(b.peer, '127.0.0.1');
    });

    it('refuses a trusted peer without a header, an untrusted one at once, and broken headers', async () => {
      const before = { ...s.reader.stats.refused };
      const none = await exchange(s.port, [REQ('/no-header')]);
      assert.equal(none.data, '');
      const untrusted = await exchange(s.port, [Buffer.concat([V2, Buffer.from(REQ('/spoof'))])], '127.0.0.2');
      assert.equal(untrusted.data, '');
      const broken = await exchange(s.port, ['PROXY TCP4 1.2.3.4 5.6.7.8 1 99999\r\n' + REQ('/x')]);
      assert.equal(broken.data, '');
      const st = s.reader.stats.refused;
      assert.equal(st.missing - before.missing, 1);
      assert.equal(st.untrusted - before.untrusted, 1);
      assert.equal(st.invalid - before.invalid, 1);
      const details = s.results.filter((x) => x.kind === 'refused').map((x) => (x.kind === 'refused' ? x.detail : ''));
      assert.ok(details.includes('connection from 127.0.0.1 sent no PROXY header'), details.join('\n'));
      assert.ok(details.includes('connection from 127.0.0.2, not a trusted proxy'), 'details.includes(\'connection from 127.0.0.2, not a trusted p');
      assert.ok(details.some((d) => /^bad PROXY v1 header from 127\.0\.0\.1: port "99999"/.test(d)), 'details.some((d) => /^bad PROXY v1 header from 127\.0\.0\.1:');
    });

    it('refuses a header not complete within the timeout, and a peer that sends nothing', async () => {
      const partial = await exchange(s.port, [V2.subarray(0, 10)]);
      assert.equal(partial.data, '');
      assert.ok(partial.ms >= 250 && partial.ms < 3000, `closed after ${partial.ms} ms`);
      const silent = await exchange(s.port, []);
      assert.ok(silent.ms >= 250 && silent.ms < 3000, `closed after ${silent.ms} ms`);
      assert.ok(s.results.some((x) => x.kind === 'refused' && x.reason === 'timeout' && /within 300 ms/.test(x.detail)), 's.results.some((x) => x.kind === \'refused\' && x.reason === \'');
      assert.equal(s.reader.stats.pending, 0);
    });
  });

  describe('optional mode', () => {
    let s: Served;
    before(async () => (s = await httpServer({ trusted: '127.0.0.1/32', mode: 'optional', headerTimeoutMs: 200 })));
    after(() => s.close());

    it('a trusted peer may send a header or not', async () => {
      const withH = bodies((await exchange(s.port, [Buffer.concat([V2, Buffer.from(REQ('/h'))])])).data)[0]!;
      assert.equal((withH.tuple as { cli: string }).cli, '198.51.100.7');
      const without = bodies((await exchange(s.port, [REQ('/plain')])).data)[0]!;
      assert.equal(without.tuple, null);
      assert.equal(without.url, '/plain');
    });

    it('an untrusted peer is served as it is, but its header is refused', async () => {
      const plain = bodies((await exchange(s.port, [REQ('/direct')], '127.0.0.2')).data)[0]!;
      assert.equal(plain.peer, '127.0.0.2');
      assert.equal(plain.tuple, null);
      const spoof = await exchange(s.port, [Buffer.concat([V1, Buffer.from(REQ('/spoof'))])], '127.0.0.2');
      assert.equal(spoof.data, '');
      const spoof2 = await exchange(s.port, [V2.subarray(0, 12), Buffer.concat([V2.subarray(12), Buffer.from(REQ('/spoof2'))])], '127.0.0.2');
      assert.equal(spoof2.data, '');
      assert.ok(s.results.some((x) => x.kind === 'refused' && x.detail === 'PROXY header from 127.0.0.2, not a trusted proxy'), 's.results.some((x) => x.kind === \'refused\' && x.detail === \'');
    });

    it('a peer that sends nothing within the timeout is handed on (a preconnect), and served when it speaks', async () => {
      const r = await exchange(s.port, ['', REQ('/late')], '127.0.0.1', 400);
      assert.deepEqual(bodies(r.data).map((x) => x.url), ['/late']);
      assert.ok(s.results.some((x) => x.kind === 'direct'), 's.results.some((x) => x.kind === \'direct\')');
    });

    it('a request that starts "PROXY " is refused: no application data may look like a header', async () => {
      const r = await exchange(s.port, ['PROXY / HTTP/1.1\r\nHost: t\r\n\r\n'], '127.0.0.1');
      assert.equal(r.data, '');
    });
  });

  it('refuses connections beyond maxPending at once', async () => {
    const s = await httpServer({ trusted: '127.0.0.1/32', headerTimeoutMs: 2000, maxPending: 2 });
    try {
      const waiting = [net.connect(s.port, '127.0.0.1'), net.connect(s.port, '127.0.0.1')];
      for (const w of waiting) w.on('error', () => {});
      await new Promise((r) => setTimeout(r, 150));
      assert.equal(s.reader.stats.pending, 2);
      const third = await exchange(s.port, [Buffer.concat([V2, Buffer.from(REQ('/third'))])]);
      assert.equal(third.data, '');
      assert.equal(s.reader.stats.refused.busy, 1);
      for (const w of waiting) w.destroy();
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(s.reader.stats.pending, 0);
      assert.equal(s.reader.stats.refused.closed, 2);
    } finally {
      await s.close();
    }
  });

  describe('TLS and plain TCP servers', () => {
    let dir: string;
    let key: Buffer;
    let cert: Buffer;
    before(() => {
      dir = mkdtempSync(join(tmpdir(), 'pof-pp-'));
      execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=localhost'], { stdio: 'ignore' });
      key = readFileSync(join(dir, 'key.pem'));
      cert = readFileSync(join(dir, 'cert.pem'));
    });
    after(() => rmSync(dir, { recursive: true, force: true }));

    /**
     * A relay that holds the client's first bytes for `holdMs` and sends them
     * on in one write: the header and the ClientHello arrive together.
     */
    async function coalescingRelay(to: number, holdMs: number): Promise<{ port: number; close(): void }> {
      const srv = net.createServer((c) => {
        const up = net.connect(to, '127.0.0.1');
        const held: Buffer[] = [];
        let holding = true;
        c.on('data', (d) => (holding ? held.push(d) : up.write(d)));
        setTimeout(() => {
          holding = false;
          up.write(Buffer.concat(held));
        }, holdMs);
        up.on('data', (d) => c.write(d));
        up.on('end', () => c.end());
        c.on('end', () => up.end());
        c.on('error', () => up.destroy());
        up.on('error', () => c.destroy());
      });
      await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
      return { port: (srv.address() as net.AddressInfo).port, close: () => srv.close() };
    }

    function tlsGet(port: number): Promise<string> {
      return new Promise((resolve, reject) => {
        const raw = net.connect(port, '127.0.0.1', () => {
          raw.write(V2);
          const t = tls.connect({ socket: raw, rejectUnauthorized: false, servername: 'localhost' }, () => t.write(REQ('/tls')));
          let s = '';
          t.on('data', (d) => (s += d));
          t.on('end', () => resolve(s));
          t.on('error', reject);
        });
        raw.on('error', reject);
      });
    }

    it('https: the TLS handshake after the header, whether it comes with it or later', async () => {
      const srv = https.createServer({ key, cert }, (req, res) => {
        const raw = (req.socket as tls.TLSSocket & { _parent?: net.Socket })._parent;
        res.end(JSON.stringify({ url: req.url, cli: raw ? proxyTupleOf(raw)?.cli : null }));
      });
      withProxyProtocol(srv, { trusted: '127.0.0.1/32' });
      await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
      const port = (srv.address() as net.AddressInfo).port;
      const relay = await coalescingRelay(port, 100);
      try {
        for (const p of [port, relay.port]) {
          const out = await tlsGet(p);
          assert.deepEqual(bodies(out)[0], { url: '/tls', cli: '198.51.100.7' }, `via ${p === port ? 'direct' : 'the coalescing relay'}`);
        }
      } finally {
        relay.close();
        await new Promise<void>((r) => srv.close(() => r()));
      }
    });

    it('net: a plain TCP server gets the bytes after the header, exactly', async () => {
      const srv = net.createServer((c) => {
        let got = Buffer.alloc(0);
        c.on('data', (d) => {
          got = Buffer.concat([got, d]);
          if (got.length >= 5000) c.end(`${proxyTupleOf(c)?.cli} ${got.length} ${got.subarray(0, 4).toString('hex')}`);
        });
      });
      withProxyProtocol(srv, { trusted: '127.0.0.1/32' });
      await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
      const port = (srv.address() as net.AddressInfo).port;
      try {
        // Application bytes that begin like the v2 signature's own.
        const app = Buffer.alloc(5000, 0x0d);
        const r = await exchange(port, [Buffer.concat([V2, app.subarray(0, 100)]), app.subarray(100)]);
        assert.equal(r.data, '198.51.100.7 5000 0d0d0d0d');
      } finally {
        await new Promise<void>((r) => srv.close(() => r()));
      }
    });
  });
});
