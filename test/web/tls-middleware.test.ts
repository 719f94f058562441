/**
 * The middleware on TLS servers with real clients: an Express app on an
 * https server and a node:http2 secure server (HTTP/1.1 allowed), given
 * to the middleware only as Node apps are (app.listen's server found by
 * the listen hook; withPof's listener), read by curl (HTTP/1.1 and
 * HTTP/2) and Node's https and http2 clients. req.pof.tls, req.pof.h2 and
 * req.pof.http are compared with tshark's reading of a capture of the
 * same connections (tls-helpers.ts), and the variables reach LogFormat
 * (%{pof_ja4}e), morgan (:pof[ja4]) and pino.
 */
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import https from 'node:https';
import type net from 'node:net';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';

import express from 'express';
import morgan from 'morgan';

import { AccessLog } from '../../src/web/access-log.js';
import { pofExpress } from '../../src/web/express.js';
import { pofMorgan } from '../../src/web/morgan.js';
import { withPof } from '../../src/web/node-http.js';
import { pofLogFields } from '../../src/web/pino.js';
import { pofValue, type PofResult } from '../../src/web/result.js';
import { pofTlsOf } from '../../src/web/tls-server.js';
import { cannedLookup } from './helpers.js';
import { certificate, curl, haveCurl, haveOpenssl, haveTshark, isRoot, keylogTo, needs, startCapture, tmpDir, tsharkH2, tsharkHellos } from './tls-helpers.js';

const skip = needs({ curl: haveCurl, openssl: haveOpenssl, tshark: haveTshark, root: isRoot });

const LOG = '%{pof_ja4}e|%{pof_ja3}e|%{pof_h2}e|%{pof_tls_client}e|%{pof_app}e|%{pof_ua_mismatch}e';

interface Seen {
  port: number;
  version: string;
  pof: PofResult;
  pino: ReturnType<typeof pofLogFields>;
}

function lines(): { stream: Writable; lines: string[] } {
  const out: string[] = [];
  let buf = '';
  const stream = new Writable({
    write(chunk: Buffer, _e, cb) {
      buf += chunk.toString();
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        out.push(buf.slice(0, i));
        buf = buf.slice(i + 1);
      }
      cb();
    },
  });
  return { stream, lines: out };
}

async function until(f: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!f()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}

function nodeHttpsGet(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = https.get({ host: 'localhost', port, path: '/node', rejectUnauthorized: false, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(req.socket!.localPort ?? -1));
    });
    req.on('error', reject);
  });
}

function nodeH2Get(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const c = http2.connect(`https://localhost:${port}`, { rejectUnauthorized: false });
    c.on('error', reject);
    const r = c.request({ ':path': '/h2node', 'user-agent': 'node-h2-test' });
    r.resume();
    r.on('end', () => {
      const p = c.socket.localPort ?? -1;
      c.close();
      resolve(p);
    });
    r.on('error', reject);
    r.end();
  });
}

describe('pofExpress on an https server', { skip }, () => {
  const d = tmpDir('pof-mw-https-');
  const seen: Seen[] = [];
  const log = lines();
  const morganOut = lines();
  const access = new AccessLog({ format: LOG, stream: log.stream });
  const mw = pofExpress({ lookup: cannedLookup() });
  let server: https.Server;
  let port = 0;
  let cap: Awaited<ReturnType<typeof startCapture>>;
  const clients: Array<{ what: string; port: number }> = [];

  before(async () => {
    const { key, cert } = certificate(d.dir);
    pofMorgan(morgan);
    const app = express();
    app.use((req, res, next) => {
      access.track(req, res);
      next();
    });
    app.use(mw);
    app.use(morgan(':pof[ja4] :pof[ja3] :pof[tls_client] :pof[app]', { stream: morganOut.stream }));
    app.get('/{*any}', (req, res) => {
      seen.push({ port: req.socket.remotePort ?? -1, version: req.httpVersion, pof: req.pof!, pino: pofLogFields(req) });
      res.json({ ja4: req.pof?.tls?.ja4 ?? null });
    });
    // As an app starts: nothing but the server handed to the app.
    server = https.createServer({ key, cert }, app);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    port = (server.address() as net.AddressInfo).port;
    cap = await startCapture(d.path('mw.pcapng'), port);
    for (const [what, url] of [
      ['curl', `https://localhost:${port}/a`],
      ['curl by IP', `https://127.0.0.1:${port}/b`],
    ] as const) {
      const r = await curl(url, '--http1.1', '-o', '/dev/null', '-w', '%{local_port}');
      assert.equal(r.code, 0, r.err);
      clients.push({ what, port: Number(r.out) });
    }
    clients.push({ what: 'node https', port: await nodeHttpsGet(port) });
    await cap.stop();
    await until(() => log.lines.length === clients.length && morganOut.lines.length === clients.length);
  });
  after(async () => {
    await new Promise<void>((r) => server.close(() => r()));
    await mw.core.close();
    d.remove();
  });

  it('was attached to the server by the listen hook, before its first connection', () => {
    assert.ok(pofTlsOf(server), 'pofTls on the app server');
    assert.equal(pofTlsOf(server)!.hello.stats.read, clients.length);
  });

  it('gives req.pof.tls as tshark reads each hello, and the HTTP facts of the decrypted request', () => {
    const ref = tsharkHellos(cap.file);
    for (const c of clients) {
      const s = seen.find((x) => x.port === c.port);
      const h = ref.find((x) => x.srcPort === c.port);
      assert.ok(s && h, c.what);
      assert.equal(s.pof.tls?.ja4, h.ja4, `${c.what}: JA4`);
      assert.equal(s.pof.tls?.ja3, h.ja3, `${c.what}: JA3`);
      assert.equal(s.pof.tls?.sni, h.sni);
      assert.equal(s.pof.h2, null);
      // The lookup's own facts stay (its OS), but the connection's request wins over the host's Firefox.
      assert.equal(s.pof.os?.name, 'Windows');
    }
    const c = seen.find((x) => x.port === clients[0]!.port)!;
    assert.equal(c.pof.http?.name, 'curl');
    assert.equal(c.pof.badSw, 0, "curl's User-Agent names no OS: the host's bad_sw is not the connection's");
    assert.match(c.pof.tls?.client ?? '', /^curl /);
    const n = seen.find((x) => x.port === clients[2]!.port)!;
    assert.equal(n.pof.tls?.family, 'node');
  });

  it('fills %{pof_ja4}e and the others in LogFormat, :pof[ja4] in morgan, ja4 in pino', () => {
    const ref = tsharkHellos(cap.file);
    for (const [i, c] of clients.entries()) {
      const s = seen.find((x) => x.port === c.port)!;
      const h = ref.find((x) => x.srcPort === c.port)!;
      const line = log.lines.find((l) => l.startsWith(h.ja4 + '|'));
      assert.ok(line, `${c.what}: an access log line for its JA4 (${log.lines.join(' / ')})`);
      const [ja4, ja3, h2, client, app] = line.split('|');
      assert.equal(ja4, h.ja4);
      assert.equal(ja3, h.ja3);
      assert.equal(h2, '-');
      assert.equal(client, pofValue(s.pof, 'pof_tls_client') || '-');
      assert.equal(app, pofValue(s.pof, 'pof_app') || '-');
      assert.ok(morganOut.lines.some((l) => l.startsWith(`${h.ja4} ${h.ja3} `)), `${c.what}: morgan`);
      assert.equal(s.pino.pof?.ja4, h.ja4);
      assert.equal(s.pino.pof?.ja3, h.ja3);
      void i;
    }
    assert.match(log.lines.find((l) => l.includes('|curl'))!, /\|curl\|-$/);
  });
});

describe('withPof on a node:http2 secure server', { skip }, () => {
  const d = tmpDir('pof-mw-h2-');
  const seen: Seen[] = [];
  const keylog = d.path('keys.log');
  let server: http2.Http2SecureServer;
  let port = 0;
  let cap: Awaited<ReturnType<typeof startCapture>>;
  const clients: Array<{ what: string; port: number; h2: boolean }> = [];
  const listener = withPof(
    (req, res) => {
      seen.push({ port: req.socket.remotePort ?? -1, version: req.httpVersion, pof: req.pof!, pino: pofLogFields(req) });
      res.end(pofValue(req.pof, 'pof_h2'));
    },
    { lookup: cannedLookup() },
  );

  before(async () => {
    const { key, cert } = certificate(d.dir);
    server = http2.createSecureServer({ key, cert, allowHTTP1: true }, listener as never);
    keylogTo(server, keylog);
    // The one documented call, for a server the listen hook might not see.
    listener.attach(server as never);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    port = (server.address() as net.AddressInfo).port;
    cap = await startCapture(d.path('h2.pcapng'), port);
    for (const [what, args, h2] of [
      ['curl --http2', ['--http2'], true],
      ['curl --http1.1', ['--http1.1'], false],
    ] as const) {
      const r = await curl(`https://localhost:${port}/x`, ...args, '-o', '/dev/null', '-w', '%{local_port}');
      assert.equal(r.code, 0, r.err);
      clients.push({ what, port: Number(r.out), h2 });
    }
    clients.push({ what: 'node http2', port: await nodeH2Get(port), h2: true });
    await cap.stop();
  });
  after(async () => {
    await new Promise<void>((r) => server.close(() => r()));
    await listener.core.close();
    d.remove();
  });

  it('gives req.pof.h2 as tshark reads the decrypted connection, req.pof.tls as it reads the hello', () => {
    const hellos = tsharkHellos(cap.file);
    for (const c of clients) {
      const s = seen.find((x) => x.port === c.port);
      assert.ok(s, c.what);
      assert.equal(s.pof.tls?.ja4, hellos.find((h) => h.srcPort === c.port)?.ja4, `${c.what}: JA4`);
      if (c.h2) {
        assert.equal(s.version, '2.0');
        assert.equal(s.pof.h2?.fingerprint, tsharkH2(cap.file, keylog, c.port), `${c.what}: the HTTP/2 fingerprint`);
        assert.equal(pofValue(s.pof, 'pof_h2'), s.pof.h2?.fingerprint);
        assert.equal(s.pino.pof?.h2, s.pof.h2?.fingerprint);
      } else {
        assert.equal(s.pof.h2, null, `${c.what}: no HTTP/2`);
      }
    }
    const curlH2 = seen.find((x) => x.port === clients[0]!.port)!;
    assert.equal(curlH2.pof.http?.name, 'curl', "curl's HTTP/2 request matched as curl");
    assert.match(curlH2.pof.httpSig ?? '', /^2:Host,User-Agent,Accept/);
    assert.equal(curlH2.pof.h2?.pseudoHeaders, 'm,p,s,a');
  });
});
