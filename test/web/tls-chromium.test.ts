/**
 * A real browser on the decrypting web side: Debian's Chromium (headless,
 * driven by playwright-core) loads a page from a node:http2 secure server
 * with withPof. Its JA4 and JA3 are compared with tshark's reading of the
 * capture, its HTTP/2 fingerprint with tshark's decryption of it (the
 * server's key log), and its decrypted HTTP/2 request is matched as
 * pof.fp's Chrome with HTTP/2's allowances (docs/web.md). Needs chromium,
 * openssl, tshark and root; in CI a missing one fails.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import http2 from 'node:http2';
import type net from 'node:net';
import { after, before, describe, it } from 'node:test';

import { chromium } from 'playwright-core';

import { withPof } from '../../src/web/node-http.js';
import type { PofResult } from '../../src/web/result.js';
import { cannedLookup } from './helpers.js';
import { certificate, haveOpenssl, haveTshark, isRoot, keylogTo, needs, startCapture, tmpDir, tsharkH2, tsharkHellos } from './tls-helpers.js';

const CHROMIUM = process.env.POF_CHROMIUM ?? '/usr/bin/chromium';
const skip = needs({ chromium: existsSync(CHROMIUM), openssl: haveOpenssl, tshark: haveTshark, root: isRoot });

describe('Chromium against withPof on a node:http2 secure server', { skip }, () => {
  const d = tmpDir('pof-tls-chromium-');
  const keylog = d.path('keys.log');
  const seen: Array<{ port: number; version: string; ua: string; pof: PofResult }> = [];
  let server: http2.Http2SecureServer;
  let cap: Awaited<ReturnType<typeof startCapture>>;
  const listener = withPof(
    (req, res) => {
      seen.push({ port: req.socket.remotePort ?? -1, version: req.httpVersion, ua: String(req.headers['user-agent'] ?? ''), pof: req.pof! });
      res.setHeader('content-type', 'text/html');
      res.end('<!doctype html><title>pof</title><p>hello');
    },
    { lookup: cannedLookup() },
  );

  before(async () => {
    const { key, cert } = certificate(d.dir);
    server = http2.createSecureServer({ key, cert, allowHTTP1: true }, listener as never);
    keylogTo(server, keylog);
    listener.attach(server as never);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as net.AddressInfo).port;
    cap = await startCapture(d.path('chromium.pcapng'), port);
    const args = ['--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'];
    if (process.getuid?.() === 0) args.push('--no-sandbox');
    const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args, timeout: 60_000 });
    try {
      const context = await browser.newContext({ ignoreHTTPSErrors: true });
      const page = await context.newPage();
      await page.goto(`https://localhost:${port}/`, { timeout: 30_000 });
      await context.close();
    } finally {
      await browser.close();
    }
    await cap.stop();
  });
  after(async () => {
    await new Promise<void>((r) => server.close(() => r()));
    await listener.core.close();
    d.remove();
  });

  it("gives the page request Chromium's JA4, JA3 and HTTP/2 fingerprint as tshark reads them", () => {
    const page = seen.find((s) => s.version === '2.0');
    assert.ok(page, `an HTTP/2 request (${seen.map((s) => s.version).join(', ')})`);
    const hello = tsharkHellos(cap.file).find((h) => h.srcPort === page.port);
    assert.ok(hello, 'its hello in the capture');
    assert.equal(page.pof.tls?.ja4, hello.ja4);
    assert.equal(page.pof.tls?.ja3, hello.ja3);
    assert.equal(page.pof.tls?.sni, 'localhost');
    assert.equal(page.pof.tls?.family, 'chromium');
    assert.equal(page.pof.h2?.fingerprint, tsharkH2(cap.file, keylog, page.port));
    assert.equal(page.pof.h2?.pseudoHeaders, 'm,a,s,p');
    assert.match(page.pof.h2!.fingerprint, /^1:65536;2:0;4:6291456;6:262144\|15663105\|0\|m,a,s,p$/);
  });

  it("matches Chromium's HTTP/2 request as pof.fp's Chrome, User-Agent and all", () => {
    const page = seen.find((s) => s.version === '2.0')!;
    assert.match(page.ua, /Chrome\//);
    assert.equal(page.pof.http?.name, 'Chrome', page.pof.httpSig ?? '');
    assert.equal(page.pof.badSw === 2, false);
    assert.match(page.pof.httpSig ?? '', /^2:Host,/);
  });
});
