/**
 * pofTls on real servers with real clients on loopback: an https server
 * and an http2 secure server (HTTP/1.1 allowed), curl (HTTP/1.1 and
 * HTTP/2), Node's https and http2 clients, openssl s_client. What each
 * connection's request sees (secureResult) is compared with tshark's
 * reading of a capture of the same connections: JA3 from tshark, JA4 from
 * tshark's dissection (tls-helpers.ts), the HTTP/2 fingerprint from
 * tshark's decryption with the server's key log.
 *
 * Needs curl, openssl, tshark/dumpcap and root (to capture); skipped
 * without them, except in CI, where a missing tool fails.
 */
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import https from 'node:https';
import type net from 'node:net';
import { after, before, describe, it } from 'node:test';

import { errorResult, type PofResult } from '../../src/web/result.js';
import { secureResult } from '../../src/web/secure-result.js';
import { pofTls, type PofTlsServer } from '../../src/web/tls-server.js';
import { certificate, curl, haveCurl, haveOpenssl, haveTshark, isRoot, keylogTo, needs, run, startCapture, tmpDir, tsharkH2, tsharkHellos } from './tls-helpers.js';

const skip = needs({ curl: haveCurl, openssl: haveOpenssl, tshark: haveTshark, root: isRoot });

interface Seen {
  port: number;
  version: string;
  r: PofResult;
}

function handler(seen: Seen[]) {
  return (req: { socket: net.Socket; method?: string; url?: string; httpVersion: string; rawHeaders: string[] }, res: { end(s: string): void }): void => {
    const r = secureResult(req, errorResult(null, 'no source'));
    seen.push({ port: req.socket.remotePort ?? -1, version: req.httpVersion, r });
    res.end(JSON.stringify({ ja4: r.tls?.ja4 ?? null, h2: r.h2?.fingerprint ?? null }) + '\n');
  };
}

function nodeHttpsGet(port: number, host = '127.0.0.1'): Promise<{ port: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = https.get({ host, port, path: '/node', rejectUnauthorized: false, agent: false, servername: host === '127.0.0.1' ? undefined : host }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d));
      res.on('end', () => resolve({ port: req.socket!.localPort ?? -1, body }));
    });
    req.on('error', reject);
  });
}

function nodeH2Get(port: number): Promise<{ port: number; body: string }> {
  return new Promise((resolve, reject) => {
    const c = http2.connect(`https://localhost:${port}`, { rejectUnauthorized: false });
    c.on('error', reject);
    const r = c.request({ ':path': '/h2node' });
    let body = '';
    r.on('data', (d: Buffer) => (body += d));
    r.on('end', () => {
      const p = c.socket.localPort ?? -1;
      c.close();
      resolve({ port: p, body });
    });
    r.on('error', reject);
    r.end();
  });
}

function listen(server: net.Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port)));
}

describe('pofTls on an https server', { skip }, () => {
  const d = tmpDir('pof-tls-https-');
  const seen: Seen[] = [];
  let server: https.Server;
  let handle: PofTlsServer;
  let port = 0;
  let cap: Awaited<ReturnType<typeof startCapture>>;
  const clients: Array<{ what: string; port: number }> = [];

  before(async () => {
    const { key, cert } = certificate(d.dir);
    server = https.createServer({ key, cert }, handler(seen));
    handle = pofTls(server);
    port = await listen(server);
    cap = await startCapture(d.path('https.pcapng'), port);
    // curl: -w prints the connection's local port.
    for (const [what, url, args] of [
      ['curl by IP', `https://127.0.0.1:${port}/a`, ['--http1.1']],
      ['curl with SNI', `https://localhost:${port}/b`, ['--http1.1']],
      ['curl TLS 1.2 only', `https://localhost:${port}/c`, ['--http1.1', '--tls-max', '1.2']],
    ] as const) {
      const r = await curl(url, ...args, '-o', '/dev/null', '-w', '%{local_port}');
      assert.equal(r.code, 0, `${what}: ${r.err}`);
      clients.push({ what, port: Number(r.out) });
    }
    const n = await nodeHttpsGet(port, 'localhost');
    clients.push({ what: 'node https', port: n.port });
    await cap.stop();
  });
  after(async () => {
    await new Promise<void>((r) => server.close(() => r()));
    d.remove();
  });

  it("gives each connection's JA4 and JA3 as tshark reads the same hello", () => {
    const ref = tsharkHellos(cap.file);
    assert.equal(ref.length, clients.length, 'one hello per client in the capture');
    for (const c of clients) {
      const s = seen.find((x) => x.port === c.port);
      const h = ref.find((x) => x.srcPort === c.port);
      assert.ok(s && h, `${c.what}: a request and a captured hello`);
      assert.ok(s.r.tls, `${c.what}: TLS facts`);
      assert.equal(s.r.tls.ja4, h.ja4, `${c.what}: JA4`);
      assert.equal(s.r.tls.ja3, h.ja3, `${c.what}: JA3`);
      assert.match(s.r.tls.ja3, /^[0-9a-f]{32}$/);
      assert.equal(s.r.tls.sni, h.sni, `${c.what}: SNI`);
      assert.deepEqual(s.r.tls.alpn ?? [], h.alpn, `${c.what}: ALPN`);
      assert.ok(s.r.tls.ja4_r.startsWith(h.ja4.slice(0, 10) + '_'), `${c.what}: JA4_r`);
    }
    assert.equal(handle.hello.stats.read, clients.length);
  });

  it("names curl's TLS client and its HTTP signature from the decrypted request", () => {
    const s = seen.find((x) => x.port === clients[1]!.port)!;
    assert.equal(s.r.tls?.family, 'openssl');
    assert.match(s.r.tls?.client ?? '', /^curl /);
    assert.equal(s.r.http?.name, 'curl');
    assert.equal(s.r.badSw, 0);
    assert.match(s.r.httpSig ?? '', /^1:Host,User-Agent,Accept=\[\*\/\*\]:.*:curl\//);
    assert.equal(s.r.h2, null, 'no HTTP/2 on an https server');
    const node = seen.find((x) => x.port === clients[3]!.port)!;
    assert.equal(node.r.tls?.family, 'node');
  });
});

describe('pofTls on an http2 secure server', { skip }, () => {
  const d = tmpDir('pof-tls-h2-');
  const seen: Seen[] = [];
  let server: http2.Http2SecureServer;
  let handle: PofTlsServer;
  let port = 0;
  let cap: Awaited<ReturnType<typeof startCapture>>;
  const clients: Array<{ what: string; port: number; h2: boolean }> = [];
  const keylog = d.path('keys.log');

  before(async () => {
    const { key, cert } = certificate(d.dir);
    server = http2.createSecureServer({ key, cert, allowHTTP1: true }, handler(seen));
    keylogTo(server, keylog);
    handle = pofTls(server);
    port = await listen(server);
    cap = await startCapture(d.path('h2.pcapng'), port);
    for (const [what, args, h2] of [
      ['curl --http2', ['--http2'], true],
      ['curl --http2, two requests on one connection', ['--http2', `https://localhost:${'PORT'}/again`], true],
      ['curl --http1.1', ['--http1.1'], false],
    ] as const) {
      const r = await curl(`https://localhost:${port}/x`, ...args.map((a) => a.replace('PORT', String(port))), '-o', '/dev/null', '-w', '%{local_port}\\n');
      assert.equal(r.code, 0, `${what}: ${r.err}`);
      clients.push({ what, port: Number(r.out.split('\n')[0]), h2 });
    }
    const n = await nodeH2Get(port);
    clients.push({ what: 'node http2', port: n.port, h2: true });
    await cap.stop();
  });
  after(async () => {
    await new Promise<void>((r) => server.close(() => r()));
    d.remove();
  });

  it('gives HTTP/2 connections the fingerprint tshark reads from the decrypted capture', () => {
    for (const c of clients.filter((x) => x.h2)) {
      const mine = seen.filter((x) => x.port === c.port);
      assert.ok(mine.length > 0, `${c.what}: requests seen`);
      const ref = tsharkH2(cap.file, keylog, c.port);
      for (const s of mine) {
        assert.equal(s.version, '2.0');
        assert.equal(s.r.h2?.fingerprint, ref, `${c.what}: the HTTP/2 fingerprint`);
      }
    }
    const curlH2 = seen.find((x) => x.port === clients[0]!.port)!;
    assert.match(curlH2.r.h2!.fingerprint, /^[\d:;]+\|\d+\|0\|m,p,s,a$/);
    assert.equal(seen.filter((x) => x.port === clients[1]!.port).length, 2, 'both requests of the reused connection');
    const node = seen.find((x) => x.port === clients[3]!.port)!;
    assert.equal(node.r.h2?.pseudoHeaders, 'p,m,a,s', "Node's client sends :path first");
    assert.equal(handle.h2?.stats.read, 3);
  });

  it('gives HTTP/1.1 on the same server its JA4 and no HTTP/2 fingerprint', () => {
    const ref = tsharkHellos(cap.file);
    const c = clients[2]!;
    const s = seen.find((x) => x.port === c.port)!;
    assert.equal(s.version, '1.1');
    assert.equal(s.r.h2, null);
    assert.equal(s.r.tls?.ja4, ref.find((h) => h.srcPort === c.port)?.ja4);
    assert.equal(s.r.tls?.ja4.slice(8, 10), 'h1', 'curl --http1.1 offers http/1.1 alone');
  });

  it('matches the HTTP/2 request of curl against the HTTP signatures, with no dishonest flag', () => {
    const s = seen.find((x) => x.port === clients[0]!.port)!;
    assert.equal(s.r.http?.name, 'curl');
    assert.equal(s.r.badSw, 0);
    assert.match(s.r.httpSig ?? '', /^2:Host,User-Agent,Accept=\[\*\/\*\]:/);
  });
});
