/**
 * `pof proxy --tls-cert ... --saved-syn` with real clients, as the CLI
 * runs it, in front of a PHP backend (php -S) and a Node one: curl over
 * HTTP/1.1 and HTTP/2, Node's http2 client, a WebSocket-style upgrade
 * over TLS. What PHP sees in HTTP_X_POF_JA4, _JA3, _H2, ... is compared
 * with tshark's reading of a capture of the same connections (its JA3,
 * the JA4 of its dissection, the HTTP/2 fingerprint of its decryption
 * with curl's key log); HTTP_X_POF_APP is curl's, from the decrypted
 * request. Client-sent X-Pof-* headers, however spelled, never pass, over
 * HTTP/1.1 or HTTP/2.
 */
import assert from 'node:assert/strict';
import { spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http2 from 'node:http2';
import https from 'node:https';
import type net from 'node:net';
import { after, before, describe, it } from 'node:test';

import { savedSynAvailable } from '../../src/web/saved-syn.js';
import { freePort, havePhp, proxyUrl, ROOT, spawnFixture, startNodeBackend, stopChild } from './net-helpers.js';
import { certificate, curl, haveCurl, haveOpenssl, haveTshark, isRoot, needs, run, startCapture, tmpDir, tsharkH2, tsharkHellos } from './tls-helpers.js';

const skip = needs({ php: havePhp, curl: haveCurl, openssl: haveOpenssl, tshark: haveTshark, root: isRoot, 'the saved-SYN addon': savedSynAvailable() });

/** Every X-Pof-* variable PHP was given, and a few others. */
const PAGE = `<?php
header('Content-Type: application/json');
$o = [];
foreach ($_SERVER as $k => $v) if (strncmp($k, 'HTTP_X_POF_', 11) === 0) $o[$k] = $v;
$o['proto'] = $_SERVER['HTTP_X_FORWARDED_PROTO'] ?? null;
$o['host'] = $_SERVER['HTTP_HOST'] ?? null;
$o['method'] = $_SERVER['REQUEST_METHOD'];
$o['uri'] = $_SERVER['REQUEST_URI'];
$o['md5'] = md5(file_get_contents('php://input'));
echo json_encode($o);
`;

const AKAMAI = /^(\d+:\d+(;\d+:\d+)*)?\|(\d+|00)\|(0|\d+:[01]:\d+:\d+(,\d+:[01]:\d+:\d+)*)\|[masp](,[masp])*$/;

async function startPhpPage(dir: string): Promise<{ url: string; stop(): Promise<void> }> {
  fs.writeFileSync(`${dir}/index.php`, PAGE);
  const port = await freePort();
  const { spawn } = await import('node:child_process');
  const child = spawn('php', ['-S', `127.0.0.1:${port}`, '-t', dir], { stdio: 'ignore' });
  for (let i = 0; i < 400; i++) {
    const r = await run('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', `http://127.0.0.1:${port}/`]);
    if (r.out === '200') break;
    await new Promise((res) => setTimeout(res, 25));
  }
  return { url: `http://127.0.0.1:${port}`, stop: () => stopChild(child) };
}

describe('pof proxy --tls-cert with curl, a PHP backend and tshark', { skip }, () => {
  const d = tmpDir('pof-proxy-tls-');
  const www = d.path('www');
  const keylog = d.path('curl-keys.log');
  let php: { url: string; stop(): Promise<void> };
  let proxy: ChildProcess;
  let url = '';
  let port = 0;
  let cap: Awaited<ReturnType<typeof startCapture>>;
  const got: Array<{ what: string; port: number; seen: Record<string, string | null> }> = [];

  before(async () => {
    fs.mkdirSync(www);
    const { keyFile, certFile } = certificate(d.dir);
    php = await startPhpPage(www);
    proxy = spawnFixture('run-proxy.ts', ['--listen', '127.0.0.1:0', '--upstream', php.url, '--tls-cert', certFile, '--tls-key', keyFile, '--saved-syn']);
    url = await proxyUrl(proxy);
    port = Number(new URL(url).port);
    cap = await startCapture(d.path('proxy.pcapng'), port);
    const env = { ...process.env, SSLKEYLOGFILE: keylog };
    for (const [what, args] of [
      ['curl --http1.1', ['--http1.1']],
      ['curl --http2', ['--http2']],
      ['curl --http2, spoofing', ['--http2', '-H', 'X-Pof-Ja4: evil', '-H', 'x_pof_h2: evil', '-H', 'X.Pof.Tls-Client: evil', '-H', 'X-POF-APP: evil']],
      ['curl --http1.1, spoofing', ['--http1.1', '-H', 'X-Pof-Ja3: evil', '-H', 'X_Pof_Ja4_R: evil', '-H', 'x-pof-h2: evil']],
    ] as const) {
      const r = await run('curl', ['-sS', '-k', '--max-time', '15', ...args, '-w', '\n%{local_port}', `https://localhost:${port}/`], { env });
      assert.equal(r.code, 0, `${what}: ${r.err}`);
      const [body, p] = r.out.split('\n');
      got.push({ what, port: Number(p), seen: JSON.parse(body!) as Record<string, string | null> });
    }
    await cap.stop();
  });
  after(async () => {
    if (proxy) await stopChild(proxy);
    await php?.stop();
    d.remove();
  });

  it("forwards the JA4 and JA3 tshark reads in the same connection's hello", () => {
    const ref = tsharkHellos(cap.file);
    for (const g of got) {
      const h = ref.find((x) => x.srcPort === g.port);
      assert.ok(h, `${g.what}: a hello in the capture`);
      assert.equal(g.seen.HTTP_X_POF_JA4, h.ja4, `${g.what}: HTTP_X_POF_JA4`);
      assert.equal(g.seen.HTTP_X_POF_JA3, h.ja3, `${g.what}: HTTP_X_POF_JA3`);
      assert.match(g.seen.HTTP_X_POF_JA3 ?? '', /^[0-9a-f]{32}$/);
      assert.ok(g.seen.HTTP_X_POF_JA4_R?.startsWith(h.ja4.slice(0, 11)), `${g.what}: HTTP_X_POF_JA4_R`);
      assert.match(g.seen.HTTP_X_POF_TLS_CLIENT ?? '', /^curl /, `${g.what}: HTTP_X_POF_TLS_CLIENT`);
      assert.equal(g.seen.proto, 'https');
      assert.equal(g.seen.HTTP_X_POF_GENRE, 'Linux', `${g.what}: the saved SYN's verdict`);
    }
  });

  it("forwards the JA4 the engine reads from the capture (pof -r --json, the sensor's view)", () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', `${ROOT}/src/cli/main.ts`, '-r', cap.file, '--json'], { encoding: 'utf8', cwd: ROOT });
    assert.equal(r.status, 0, r.stderr);
    const tls = r.stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { mod: string; cli: { port: number }; fields: Record<string, string | null> })
      .filter((o) => o.mod === 'tls');
    for (const g of got) {
      const o = tls.find((x) => x.cli.port === g.port);
      assert.ok(o, `${g.what}: a tls record`);
      assert.equal(g.seen.HTTP_X_POF_JA4, o.fields.ja4, g.what);
      assert.equal(g.seen.HTTP_X_POF_JA4_R, o.fields.ja4_r, g.what);
      assert.equal(g.seen.HTTP_X_POF_JA3, o.fields.ja3, g.what);
    }
  });

  it("forwards curl --http2's HTTP/2 fingerprint in Akamai's form, as tshark reads the decrypted capture; empty on HTTP/1.1", () => {
    for (const g of got) {
      if (g.what.includes('http2')) {
        assert.match(g.seen.HTTP_X_POF_H2 ?? '', AKAMAI, g.what);
        assert.equal(g.seen.HTTP_X_POF_H2, tsharkH2(cap.file, keylog, g.port), `${g.what}: HTTP_X_POF_H2`);
        assert.match(g.seen.HTTP_X_POF_H2!, /\|m,p,s,a$/);
      } else {
        assert.equal(g.seen.HTTP_X_POF_H2, '', `${g.what}: sent, empty`);
      }
    }
  });

  it('names curl from the decrypted request, over HTTP/1.1 and HTTP/2', () => {
    for (const g of got) {
      // A header name with a '.' (X.Pof.Tls-Client) is one p0f does not read: no signature, as on cleartext.
      assert.equal(g.seen.HTTP_X_POF_APP, g.what === 'curl --http2, spoofing' ? '' : 'curl', g.what);
      assert.equal(g.seen.HTTP_X_POF_UA_MISMATCH, '', g.what);
      assert.equal(g.seen.host, `localhost:${port}`, `${g.what}: Host (from :authority on HTTP/2)`);
    }
  });

  it('passes no client-sent X-Pof-* header, however spelled, over either protocol', () => {
    for (const g of got) for (const [k, v] of Object.entries(g.seen)) assert.notEqual(v, 'evil', `${g.what}: ${k}`);
    const names = Object.keys(got[0]!.seen).filter((k) => k.startsWith('HTTP_X_POF_'));
    for (const n of ['HTTP_X_POF_JA4', 'HTTP_X_POF_JA4_R', 'HTTP_X_POF_JA3', 'HTTP_X_POF_TLS_CLIENT', 'HTTP_X_POF_H2', 'HTTP_X_POF_APP', 'HTTP_X_POF_LANGUAGE', 'HTTP_X_POF_UA_MISMATCH']) {
      assert.ok(names.includes(n), `${n} is always sent`);
    }
  });
});

describe('pof proxy --tls-cert with Node clients', { skip: needs({ openssl: haveOpenssl }) }, () => {
  const d = tmpDir('pof-proxy-tls-node-');
  let backend: Awaited<ReturnType<typeof startNodeBackend>>;
  let proxy: ChildProcess;
  let port = 0;

  before(async () => {
    const { keyFile, certFile } = certificate(d.dir);
    backend = await startNodeBackend();
    proxy = spawnFixture('run-proxy.ts', ['--listen', '127.0.0.1:0', '--upstream', backend.url, '--tls-cert', certFile, '--tls-key', keyFile, '-s', d.path('none.sock'), '--timeout', '5']);
    port = Number(new URL(await proxyUrl(proxy)).port);
  });
  after(async () => {
    if (proxy) await stopChild(proxy);
    await backend?.stop();
    d.remove();
  });

  it('streams an HTTP/2 request body to the backend and its answer back, several streams on one connection', async () => {
    const c = http2.connect(`https://localhost:${port}`, { rejectUnauthorized: false });
    try {
      const body = Buffer.alloc(300_000, 0x62);
      const one = (path: string, data: Buffer | null): Promise<{ status: number; type: string; got: Buffer }> =>
        new Promise((resolve, reject) => {
          const r = c.request({ ':method': data ? 'POST' : 'GET', ':path': path, 'x-pof-genre': 'evil', 'x_pof_ja4': 'evil' });
          const parts: Buffer[] = [];
          let status = 0;
          let type = '';
          r.on('response', (h) => {
            status = Number(h[':status']);
            type = String(h['content-type'] ?? '');
          });
          r.on('data', (b: Buffer) => parts.push(b));
          r.on('end', () => resolve({ status, type, got: Buffer.concat(parts) }));
          r.on('error', reject);
          r.end(data ?? undefined);
        });
      const [echo, json, big] = await Promise.all([one('/echo', body), one('/', null), one('/big?n=1000000', null)]);
      assert.equal(echo.status, 200);
      assert.ok(echo.got.equals(body), 'the body came back whole');
      assert.equal(json.status, 200);
      assert.equal(json.type, 'application/json');
      const seen = JSON.parse(json.got.toString()) as Record<string, string>;
      assert.match(seen['x-pof-ja4']!, /^t13d/);
      assert.match(seen['x-pof-h2']!, AKAMAI);
      assert.match(seen['x-pof-h2']!, /\|p,m,a,s$|\|m,p,a,s$|\|m,a,s,p$/);
      assert.match(seen['x-pof-tls-client']!, /Node/, "Node's own TLS client");
      assert.notEqual(seen['x-pof-genre'], 'evil');
      assert.equal(seen['x-forwarded-proto'], 'https');
      assert.equal(seen.host, `localhost:${port}`);
      assert.equal(big.got.length, 1_000_000);
    } finally {
      c.close();
    }
  });

  it('passes a WebSocket upgrade over TLS (HTTP/1.1 by ALPN)', async () => {
    const r = await new Promise<{ status: number; genre: string; echo: string }>((resolve, reject) => {
      const req = https.request({ host: 'localhost', port, path: '/ws', rejectUnauthorized: false, agent: false, headers: { connection: 'Upgrade', upgrade: 'websocket' } });
      req.on('upgrade', (res, socket: net.Socket) => {
        socket.write('ping');
        socket.once('data', (b: Buffer) => {
          socket.destroy();
          resolve({ status: res.statusCode ?? 0, genre: String(res.headers['x-seen-genre'] ?? ''), echo: b.toString() });
        });
      });
      req.on('response', (res) => reject(new Error(`no upgrade: ${res.statusCode}`)));
      req.on('error', reject);
      req.end();
    });
    assert.equal(r.status, 101);
    assert.equal(r.echo, 'ping');
  });

  it('answers curl --http2 when the backend is gone with a 502 (no Connection header on HTTP/2)', async () => {
    await backend.stop();
    const r = await curl(`https://localhost:${port}/`, '--http2', '-o', '/dev/null', '-w', '%{http_code} %{http_version}');
    assert.equal(r.out, '502 2', r.err);
  });
});
