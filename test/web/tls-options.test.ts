/**
 * The middleware's tls option and pofTls's contract, with Node's own
 * clients only (openssl makes the certificate): options checked when the
 * middleware is made, tls: false leaves TLS servers alone, pofTls refuses
 * a server that is not TLS and gives the same handle twice, a server
 * attached late reads from its next connection, Koa's adapter gives
 * req.pof.tls too, and a plain http server is untouched.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import https from 'node:https';
import type net from 'node:net';
import { after, before, describe, it } from 'node:test';

import Koa from 'koa';

import { createPofCore } from '../../src/web/core.js';
import { pofKoa } from '../../src/web/koa.js';
import { withPof } from '../../src/web/node-http.js';
import type { PofResult } from '../../src/web/result.js';
import { pofTls, pofTlsOf } from '../../src/web/tls-server.js';
import { cannedLookup } from './helpers.js';
import { certificate, haveOpenssl, needs, tmpDir } from './tls-helpers.js';

function get(port: number, secure: boolean): Promise<string> {
  return new Promise((resolve, reject) => {
    const mod = secure ? https : http;
    const req = mod.get({ host: '127.0.0.1', port, path: '/', agent: false, rejectUnauthorized: false }, (res) => {
      let b = '';
      res.on('data', (d: Buffer) => (b += d));
      res.on('end', () => resolve(b));
    });
    req.on('error', reject);
  });
}

function listen(server: net.Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port)));
}
const close = (server: net.Server): Promise<void> => new Promise((r) => server.close(() => r()));

describe('the tls option', () => {
  it('is checked when the middleware is made, one line naming the field', () => {
    const bad: Array<[unknown, RegExp]> = [
      ['yes', /tls must be true, false or pofTls options/],
      [{ helloTimeoutMs: 0 }, /helloTimeoutMs/],
      [{ maxHelloBytes: 10 }, /maxHelloBytes/],
      [{ h2TimeoutMs: 'soon' }, /h2TimeoutMs/],
      [{ h2: 'no' }, /h2 must be true or false/],
      [{ tlsDb: 42 }, /tlsDb must be/],
      [{ signatures: {} }, /signatures must be/],
    ];
    for (const [tls, re] of bad) {
      assert.throws(
        () => createPofCore({ lookup: cannedLookup(), tls: tls as never }),
        (e: Error & { code?: string }) => e.code === 'E_CONFIG' && re.test(e.message) && !e.message.includes('\n'),
        JSON.stringify(tls),
      );
    }
    assert.equal(createPofCore({ lookup: cannedLookup(), tls: false }).options.tls, null);
    assert.deepEqual(createPofCore({ lookup: cannedLookup() }).options.tls, {});
  });

  it('pofTls refuses a server that is not TLS', () => {
    assert.throws(() => pofTls(http.createServer() as never), (e: Error & { code?: string }) => e.code === 'E_CONFIG' && /tls\.Server/.test(e.message));
  });
});

describe('attaching to TLS servers', { skip: needs({ openssl: haveOpenssl }) }, () => {
  const d = tmpDir('pof-tls-opts-');
  let key: Buffer;
  let cert: Buffer;
  before(() => {
    ({ key, cert } = certificate(d.dir));
  });
  after(() => d.remove());

  it('tls: false leaves an https server alone; the default reads it', async () => {
    for (const tls of [false, undefined]) {
      const l = withPof((req, res) => res.end(JSON.stringify(req.pof?.tls ?? null)), { lookup: cannedLookup(), tls });
      const server = https.createServer({ key, cert }, l);
      l.attach(server);
      const port = await listen(server);
      const got = JSON.parse(await get(port, true)) as PofResult['tls'];
      if (tls === false) {
        assert.equal(pofTlsOf(server), undefined);
        assert.equal(got, null);
      } else {
        assert.ok(pofTlsOf(server));
        assert.match(got?.ja4 ?? '', /^t1[23]i/);
        assert.equal(got?.family, 'node');
      }
      await close(server);
      await l.core.close();
    }
  });

  it('same handle twice; a server nobody attached reads from its second connection', async () => {
    const core = createPofCore({ lookup: cannedLookup() });
    const seen: Array<string | null> = [];
    // The request listener calls the core by hand: nothing attaches the server before it listens.
    const server = https.createServer({ key, cert }, (req, res) => {
      const r = core.get(req.socket);
      void Promise.resolve(r).then(async (v) => {
        const { secureResult } = await import('../../src/web/secure-result.js');
        seen.push(secureResult(req, v).tls?.ja4 ?? null);
        res.end('ok');
      });
    });
    const port = await listen(server);
    await get(port, true);
    await get(port, true);
    assert.equal(seen[0], null, 'the first connection came before any reader');
    assert.match(seen[1] ?? '', /^t1/, 'the second was read');
    const h = pofTlsOf(server)!;
    assert.equal(pofTls(server), h);
    await close(server);
    await core.close();
  });

  it("Koa's adapter gives ctx.state.pof.tls and the decrypted request's app", async () => {
    const app = new Koa();
    const mw = pofKoa({ lookup: cannedLookup() });
    app.use(mw);
    app.use((ctx) => {
      const p = ctx.state.pof as PofResult;
      ctx.body = { ja4: p.tls?.ja4 ?? null, httpSig: p.httpSig };
    });
    const server = https.createServer({ key, cert }, app.callback());
    mw.attach(server);
    const port = await listen(server);
    const got = JSON.parse(await get(port, true)) as { ja4: string | null; httpSig: string | null };
    assert.match(got.ja4 ?? '', /^t1/);
    assert.match(got.httpSig ?? '', /^1:Host,Connection=\[close\]:/);
    await close(server);
    await mw.core.close();
  });

  it('a plain http server is untouched: no TLS facts, no HTTP signature of its own', async () => {
    const l = withPof((req, res) => res.end(JSON.stringify({ tls: req.pof?.tls ?? null, sig: req.pof?.httpSig ?? null, app: req.pof?.http?.name })), { lookup: cannedLookup() });
    const server = http.createServer(l);
    l.attach(server);
    const port = await listen(server);
    assert.deepEqual(JSON.parse(await get(port, false)), { tls: null, sig: null, app: 'Firefox' });
    await close(server);
    await l.core.close();
  });
});
