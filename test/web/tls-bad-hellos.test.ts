/**
 * What the hello and HTTP/2 start readers do with what real clients do not
 * send: garbage, plain HTTP, cut hellos (closed, or left open), hellos past
 * 16 KiB, a hello dripped a few bytes at a time, more idle connections
 * than the reader takes, openssl s_client's odd hellos, an HTTP/2 client
 * that pauses after its preface or sends garbage. Each time the listener
 * lives, no socket is held past its timeouts, and a good client's
 * handshake (curl, Node) still succeeds. On real sockets on loopback.
 */
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import https from 'node:https';
import net from 'node:net';
import tls from 'node:tls';
import { after, before, describe, it } from 'node:test';

import { H2_PREFACE } from '../../src/fingerprint/h2.js';
import { errorResult } from '../../src/web/result.js';
import { secureResult } from '../../src/web/secure-result.js';
import { helloFactsOf, type PofTls } from '../../src/web/tls-facts.js';
import { pofTls, type PofTlsServer } from '../../src/web/tls-server.js';
import { alpn, clientHelloBody, ext, handshake, records, sigAlgs, sni, supportedVersions } from '../tls/build.js';
import { certificate, curl, haveCurl, haveOpenssl, haveTshark, isRoot, needs, run, startCapture, tmpDir, tsharkHellos } from './tls-helpers.js';

const skip = needs({ curl: haveCurl, openssl: haveOpenssl });

type Handler = (req: { socket: net.Socket; method?: string; url?: string; httpVersion: string; rawHeaders: string[] }, res: { end(s: string): void }) => void;
const handler: Handler = (req, res) => {
  const r = secureResult(req, errorResult(null, 'no source'));
  res.end(JSON.stringify({ ja4: r.tls?.ja4 ?? null, h2: r.h2?.fingerprint ?? null }));
};

function listen(server: net.Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port)));
}

/** Connects, writes `bytes`, and tells when the server closed the socket (or `ms` passed: 'open'). */
function rawSend(port: number, bytes: Buffer, opts: { endAfter?: boolean; ms?: number } = {}): Promise<{ closedAfterMs: number | 'open'; got: Buffer }> {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const s = net.connect(port, '127.0.0.1');
    const got: Buffer[] = [];
    let done = false;
    const finish = (v: number | 'open'): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      s.destroy();
      resolve({ closedAfterMs: v, got: Buffer.concat(got) });
    };
    s.on('data', (d: Buffer) => got.push(d));
    s.on('error', () => finish(Date.now() - t0));
    s.on('close', () => finish(Date.now() - t0));
    s.on('connect', () => {
      if (bytes.length) s.write(bytes);
      if (opts.endAfter) s.end();
    });
    const timer = setTimeout(() => finish('open'), opts.ms ?? 5000);
  });
}

/**
 * A ClientHello a TLS 1.3 server reads and answers with a HelloRetryRequest
 * (its key_share is empty), from pof's test builders, padded by `pad` bytes.
 */
function builtHello(pad = 0, name = 'localhost'): Buffer {
  const exts = [sni(name), alpn(['http/1.1']), supportedVersions([0x0304, 0x0303]), sigAlgs([0x0403, 0x0804]), ext(0x000a, Buffer.from('0002001d', 'hex')), ext(0x0033, Buffer.from('0000', 'hex'))];
  if (pad) exts.push(ext(0x0015, Buffer.alloc(pad)));
  const body = clientHelloBody({ ciphers: [0x1301, 0x1302, 0xc02f], extensions: exts });
  const msg = handshake(1, body);
  // TLS records carry at most 2^14 bytes each.
  const sizes: number[] = [];
  for (let n = msg.length; n > 16384; n -= 16384) sizes.push(16384);
  return records(msg, sizes);
}

function httpsGet(port: number, extra: https.RequestOptions = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = https.get({ host: '127.0.0.1', port, path: '/', rejectUnauthorized: false, agent: false, ...extra }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.setTimeout(10_000, () => req.destroy(new Error('timeout')));
  });
}

/** A relay to `port` that passes the client's first `first` bytes on `step` at a time, `everyMs` apart. */
async function drippingRelay(port: number, first: number, step: number, everyMs: number): Promise<{ port: number; close(): Promise<void> }> {
  const relay = net.createServer((c) => {
    const up = net.connect(port, '127.0.0.1');
    up.on('error', () => c.destroy());
    c.on('error', () => up.destroy());
    up.pipe(c);
    let passed = 0;
    const queue: Buffer[] = [];
    let timer: NodeJS.Timeout | null = null;
    const drip = (): void => {
      timer = null;
      const b = queue.length ? Buffer.concat(queue.splice(0)) : Buffer.alloc(0);
      if (!b.length) return;
      const n = passed < first ? Math.min(step, b.length) : b.length;
      up.write(b.subarray(0, n));
      passed += n;
      if (n < b.length) queue.unshift(b.subarray(n));
      if (queue.length) timer = setTimeout(drip, passed < first ? everyMs : 0);
    };
    c.on('data', (d: Buffer) => {
      queue.push(d);
      if (!timer) timer = setTimeout(drip, everyMs);
    });
    c.on('close', () => up.destroy());
  });
  const p = await listen(relay);
  return { port: p, close: () => new Promise((r) => relay.close(() => r())) };
}

describe('bad hellos on a pofTls https server', { skip }, () => {
  const d = tmpDir('pof-tls-bad-');
  let server: https.Server;
  let handle: PofTlsServer;
  let port = 0;
  let tlsErrors = 0;
  /** What each TLS socket's hello gave, by client port, whether its handshake succeeded or failed. */
  const facts = new Map<number, PofTls | null>();

  before(async () => {
    const { key, cert } = certificate(d.dir);
    server = https.createServer({ key, cert, handshakeTimeout: 1000 }, handler);
    server.on('tlsClientError', (_e, s: tls.TLSSocket) => {
      tlsErrors++;
      facts.set(s.remotePort ?? -1, helloFactsOf(s)?.tls ?? null);
    });
    server.on('secureConnection', (s: tls.TLSSocket) => facts.set(s.remotePort ?? -1, helloFactsOf(s)?.tls ?? null));
    handle = pofTls(server, { helloTimeoutMs: 300, maxPending: 8 });
    port = await listen(server);
  });
  after(async () => {
    handle.destroyPending();
    await new Promise<void>((r) => server.close(() => r()));
    d.remove();
  });

  async function stillServes(what: string): Promise<void> {
    const r = await curl(`https://localhost:${port}/`, '--http1.1');
    assert.equal(r.code, 0, `${what}: then curl: ${r.err}`);
    assert.match(JSON.parse(r.out).ja4 ?? '', /^t13d/, `${what}: then curl is fingerprinted`);
  }

  it('hands garbage and plain HTTP to TLS, which refuses them, and serves the next client', async () => {
    const missed = { ...handle.hello.stats.missed };
    const errs = tlsErrors;
    for (const bytes of [Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'), Buffer.from('16050100ff01ffff', 'hex'), Buffer.from('800b0100', 'hex'), Buffer.alloc(600, 0x41)]) {
      const r = await rawSend(port, bytes);
      assert.notEqual(r.closedAfterMs, 'open', `${bytes.subarray(0, 8).toString('hex')}: closed by the server`);
    }
    assert.equal(handle.hello.stats.missed['not-tls'] - missed['not-tls'], 2);
    assert.equal(handle.hello.stats.missed['bad-record'] - missed['bad-record'], 1);
    assert.equal(handle.hello.stats.missed.sslv2 - missed.sslv2, 1);
    assert.equal(tlsErrors - errs, 4, 'TLS saw every one of them and failed them itself');
    await stillServes('garbage');
  });

  it('drops a cut hello whose client closes, and gives one left open to TLS after its timeout', async () => {
    const hello = builtHello();
    const before = { ...handle.hello.stats.missed };
    const closed = await rawSend(port, hello.subarray(0, 40), { endAfter: true });
    assert.notEqual(closed.closedAfterMs, 'open');
    assert.equal(handle.hello.stats.missed.closed - before.closed, 1);
    // Left open: 300 ms for the hello, then TLS's own 1000 ms handshake timeout.
    const open = await rawSend(port, hello.subarray(0, 40), { ms: 5000 });
    assert.notEqual(open.closedAfterMs, 'open', 'closed within the timeouts');
    assert.ok((open.closedAfterMs as number) >= 1200, `held for the hello and the handshake timeouts (${open.closedAfterMs} ms)`);
    assert.equal(handle.hello.stats.missed.timeout - before.timeout, 1);
    assert.equal(handle.hello.stats.pending, 0);
    await stillServes('cut hellos');
  });

  it('fingerprints a hello just under 16 KiB, hands one over it to TLS unread', async () => {
    const read = handle.hello.stats.read;
    const large = handle.hello.stats.missed['too-large'];
    const under = builtHello(16384 - builtHello().length - 4 - 8);
    assert.ok(under.length <= 16384, `${under.length} bytes`);
    const a = await rawSend(port, under);
    assert.ok(a.got.length > 0 && a.got[0] === 22, 'the server answered the hello with a handshake record');
    assert.equal(handle.hello.stats.read - read, 1);
    const over = builtHello(17000);
    assert.ok(over.length > 16384);
    const b = await rawSend(port, over);
    assert.ok(b.got.length > 0 && b.got[0] === 22, 'TLS answered the hello it got whole');
    assert.equal(handle.hello.stats.missed['too-large'] - large, 1);
    await stillServes('16 KiB hellos');
  });

  it('fingerprints a hello dripped a few bytes at a time, and lets one past the timeout complete unfingerprinted', async () => {
    // About 50 ms for the whole hello: within the 300 ms timeout.
    const quick = await drippingRelay(port, 600, 64, 5);
    const a = await httpsGet(quick.port);
    assert.equal(a.status, 200);
    assert.match(JSON.parse(a.body).ja4 ?? '', /^t13/, 'fingerprinted');
    await quick.close();
    // 8 bytes every 20 ms: the hello takes longer than 300 ms; TLS gets it as it comes.
    const timedOut = handle.hello.stats.missed.timeout;
    const slow = await drippingRelay(port, 600, 8, 20);
    const b = await httpsGet(slow.port);
    assert.equal(b.status, 200, 'the handshake completed');
    assert.equal(JSON.parse(b.body).ja4, null, 'no fingerprint');
    assert.equal(handle.hello.stats.missed.timeout - timedOut, 1);
    await slow.close();
  });

  it('hands connections past maxPending to TLS unread', async () => {
    const busy = handle.hello.stats.missed.busy;
    const idle = await Promise.all(
      Array.from({ length: 8 }, () => new Promise<net.Socket>((r) => {
        const s = net.connect(port, '127.0.0.1', () => r(s));
        s.on('error', () => {});
      })),
    );
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(handle.hello.stats.pending, 8);
    const r = await curl(`https://localhost:${port}/`, '--http1.1');
    assert.equal(r.code, 0, r.err);
    assert.equal(JSON.parse(r.out).ja4, null, 'served unfingerprinted');
    assert.equal(handle.hello.stats.missed.busy - busy, 1);
    for (const s of idle) s.destroy();
    await new Promise((r) => setTimeout(r, 50));
    await stillServes('idle connections');
  });

  it("reads openssl s_client's odd hellos as tshark does, whether TLS then accepts them or not", { skip: needs({ tshark: haveTshark, root: isRoot }) }, async () => {
    const cap = await startCapture(d.path('odd.pcapng'), port);
    const cases: Array<[string[], boolean]> = [
      [['-tls1_2', '-cipher', 'ECDHE-ECDSA-AES128-SHA', '-no_ticket'], true],
      [['-tls1_3', '-ciphersuites', 'TLS_CHACHA20_POLY1305_SHA256', '-groups', 'X448', '-servername', 'odd.example'], true],
      [['-no_tls1_3', '-alpn', 'x,http/1.1', '-servername', 'a.example'], true],
      [['-tls1_1', '-cipher', 'DEFAULT@SECLEVEL=0'], false],
      [['-tls1_2', '-cipher', 'NULL-SHA256@SECLEVEL=0'], false],
    ];
    const before = handle.hello.stats.read;
    for (const [args, ok] of cases) {
      const r = await run('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, ...args], { timeoutMs: 10_000 });
      const handshook = /Cipher is (?!\(NONE\))/.test(r.out);
      assert.equal(handshook, ok, `${args.join(' ')}: handshake ${ok ? 'succeeds' : 'fails'}\n${r.out.slice(-400)}${r.err.slice(-400)}`);
    }
    await cap.stop();
    assert.equal(handle.hello.stats.read - before, cases.length, 'every hello fingerprinted');
    const ref = tsharkHellos(cap.file);
    assert.equal(ref.length, cases.length);
    for (const h of ref) {
      const f = facts.get(h.srcPort);
      assert.ok(f, `the hello from port ${h.srcPort} was read`);
      assert.equal(f.ja4, h.ja4, `JA4 of the hello from ${h.srcPort}`);
      assert.equal(f.ja3, h.ja3, `JA3 of the hello from ${h.srcPort}`);
      assert.equal(f.sni, h.sni);
    }
    assert.deepEqual(
      ref.map((h) => facts.get(h.srcPort)?.alpn ?? null),
      [null, null, ['x', 'http/1.1'], null, null],
    );
    await stillServes('odd hellos');
  });
});

describe('bad HTTP/2 starts on a pofTls http2 server', { skip }, () => {
  const d = tmpDir('pof-tls-bad-h2-');
  let server: http2.Http2SecureServer;
  let handle: PofTlsServer;
  let port = 0;

  before(async () => {
    const { key, cert } = certificate(d.dir);
    server = http2.createSecureServer({ key, cert }, handler);
    server.on('sessionError', () => {});
    handle = pofTls(server, { h2TimeoutMs: 100 });
    port = await listen(server);
  });
  after(async () => {
    await new Promise<void>((r) => server.close(() => r()));
    d.remove();
  });

  function h2Socket(): Promise<tls.TLSSocket> {
    return new Promise((resolve, reject) => {
      const s = tls.connect({ host: '127.0.0.1', port, ALPNProtocols: ['h2'], rejectUnauthorized: false }, () => resolve(s));
      s.on('error', reject);
    });
  }

  it('hands garbage after an h2 handshake to HTTP/2, which closes it', async () => {
    const missed = handle.h2!.stats.missed['not-h2'];
    const s = await h2Socket();
    const closed = new Promise<void>((r) => s.on('close', () => r()));
    s.on('error', () => {});
    s.resume();
    s.write('hello, not HTTP/2\r\n\r\n');
    await closed;
    assert.equal(handle.h2!.stats.missed['not-h2'] - missed, 1);
  });

  it('serves a client that waits after its preface, with the start it sent before the timeout', async () => {
    const cut = handle.h2!.stats.cut;
    const s = await h2Socket();
    // An empty SETTINGS, a connection window update, nothing more for 300 ms.
    s.write(Buffer.concat([H2_PREFACE, Buffer.from('000000040000000000', 'hex'), Buffer.from('000004080000000000000f0001', 'hex')]));
    await new Promise((r) => setTimeout(r, 300));
    // Then GET / over HPACK's static table: :method GET, :scheme https, :path /, :authority localhost.
    const block = Buffer.concat([Buffer.from([0x82, 0x87, 0x84, 0x41, 9]), Buffer.from('localhost')]);
    const head = Buffer.from([0, 0, block.length, 1, 5, 0, 0, 0, 1]);
    const got: Buffer[] = [];
    const answered = new Promise<void>((r) => {
      s.on('data', (b: Buffer) => {
        got.push(b);
        if (Buffer.concat(got).includes(Buffer.from('"h2"'))) r();
      });
    });
    s.write(Buffer.concat([head, block]));
    await answered;
    s.destroy();
    const text = Buffer.concat(got).toString('latin1');
    assert.match(text, /"h2":"\|983041\|0\|m,s,p,a"/);
    assert.equal(handle.h2!.stats.cut - cut, 1);
  });

  it('still serves curl --http2 with its fingerprint', async () => {
    const r = await curl(`https://localhost:${port}/`, '--http2');
    assert.equal(r.code, 0, r.err);
    assert.match(JSON.parse(r.out).h2 ?? '', /\|m,p,s,a$/);
  });
});
