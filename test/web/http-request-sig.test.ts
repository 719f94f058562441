/**
 * The signature of a decrypted request, built from Node's rawHeaders, is
 * the one the engine builds from the same request's bytes on cleartext:
 * each request below is sent on a real socket to a node:http server, and
 * what requestSig makes of the server's req.rawHeaders is compared with
 * what the engine's header reader, matcher and describer (the cleartext
 * path of state/http-module.ts) make of the bytes sent, with pof's
 * database and p0f's. HTTP/2's reading is checked on the header lists
 * Node hands over for it.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { existsSync } from 'node:fs';

import { loadSignatures } from '../../src/db/load.js';
import { describeHttp } from '../../src/fingerprint/http-describe.js';
import { feedRequest, HttpFlowState } from '../../src/fingerprint/http-headers.js';
import { buildHttpIndex, matchHttp, type HttpSigIndex } from '../../src/fingerprint/http-sig.js';
import { requestSig } from '../../src/web/http-request-sig.js';

const P0F_FP = '/etc/p0f/p0f.fp';

interface Got {
  method?: string;
  url?: string;
  httpVersion: string;
  rawHeaders: string[];
}

const REQUESTS: Array<[string, string]> = [
  ['curl 7.88', 'GET /a HTTP/1.1\r\nHost: example.com\r\nUser-Agent: curl/7.88.1\r\nAccept: */*\r\n\r\n'],
  ['old curl', 'GET / HTTP/1.1\r\nUser-Agent: curl/7.19.7\r\nHost: example.com\r\nAccept: */*\r\n\r\n'],
  [
    'Firefox',
    'GET / HTTP/1.1\r\nHost: example.com\r\nUser-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0\r\nAccept: text/html,application/xhtml+xml,*/*;q=0.8\r\nAccept-Language: de-DE,de;q=0.5\r\nAccept-Encoding: gzip, deflate\r\nConnection: keep-alive\r\n\r\n',
  ],
  [
    'Chrome',
    'GET / HTTP/1.1\r\nHost: example.com\r\nConnection: keep-alive\r\nsec-ch-ua: "Chromium";v="130"\r\nsec-ch-ua-mobile: ?0\r\nsec-ch-ua-platform: "Linux"\r\nUpgrade-Insecure-Requests: 1\r\nUser-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36\r\nAccept: text/html,*/*;q=0.8\r\nAccept-Encoding: gzip, deflate\r\nAccept-Language: fr\r\n\r\n',
  ],
  ['a Firefox layout with a curl User-Agent (dishonest)', 'GET / HTTP/1.1\r\nHost: example.com\r\nUser-Agent: curl/8.0\r\nAccept: text/html\r\nAccept-Language: en\r\nAccept-Encoding: gzip\r\nConnection: keep-alive\r\n\r\n'],
  ['HTTP/1.0, lower-case names, an empty value', 'GET / HTTP/1.0\r\nhost: example.com\r\nuser-agent: x\r\nX-Empty:\r\nAccept: */*\r\n\r\n'],
  ['HEAD with Via and a cookie', 'HEAD /x HTTP/1.1\r\nHost: h\r\nUser-Agent: Wget/1.21\r\nCookie: a=b\r\nVia: 1.1 proxy\r\nAccept: */*\r\n\r\n'],
  ['32 headers', 'GET / HTTP/1.1\r\nHost: h\r\n' + Array.from({ length: 31 }, (_, i) => `X-H${i}: ${i}\r\n`).join('') + '\r\n'],
];
/** Requests the engine gives no signature for. */
const UNSIGNED: Array<[string, string, string]> = [
  ['POST', 'POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n', 'method'],
  ['33 headers', 'GET / HTTP/1.1\r\nHost: h\r\n' + Array.from({ length: 32 }, (_, i) => `X-H${i}: ${i}\r\n`).join('') + '\r\n', 'headers'],
  ['a name p0f does not read', 'GET / HTTP/1.1\r\nHost: h\r\nX.Dotted: 1\r\n\r\n', 'headers'],
  ['a value over 1024 bytes', `GET / HTTP/1.1\r\nHost: h\r\nX-Long: ${'v'.repeat(1100)}\r\n\r\n`, 'headers'],
];

/** The engine's record for the request bytes, or null when it makes none. */
function engineRecord(idx: HttpSigIndex, bytes: string): { rawSig: string; app: string | null; dishonest: boolean } | null {
  const buf = Buffer.from(bytes, 'latin1');
  const r = feedRequest(new HttpFlowState(), buf, buf.length, false);
  if (!r.complete) return null;
  const m = matchHttp(idx.request, r.complete);
  const rec = describeHttp(true, r.complete, m, idx.known);
  return { rawSig: rec.rawSig, app: rec.app, dishonest: m?.dishonest ?? false };
}

describe('requestSig from rawHeaders against the engine on the same bytes', () => {
  const got = new Map<string, Got>();
  let server: http.Server;
  let port = 0;
  const dbs: Array<[string, HttpSigIndex]> = [['pof.fp', buildHttpIndex(loadSignatures())]];
  if (existsSync(P0F_FP)) dbs.push(['p0f.fp', buildHttpIndex(loadSignatures(P0F_FP))]);

  before(async () => {
    server = http.createServer({ maxHeaderSize: 65536 }, (req, res) => {
      got.set(req.url ?? '', { method: req.method, url: req.url, httpVersion: req.httpVersion, rawHeaders: req.rawHeaders });
      res.end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    port = (server.address() as net.AddressInfo).port;
    // Each request on its own connection, its URL made unique so the server's record can be told apart.
    for (const [i, [, bytes]] of [...REQUESTS, ...UNSIGNED.map(([w, b]) => [w, b] as [string, string])].entries()) {
      const tagged = bytes.replace(/^(\w+ )\/(\S*)/, `$1/${i}-$2`);
      await new Promise<void>((resolve, reject) => {
        const s = net.connect(port, '127.0.0.1', () => s.write(tagged));
        s.on('data', () => s.end());
        s.on('close', () => resolve());
        s.on('error', reject);
      });
    }
  });
  after(() => new Promise<void>((r) => server.close(() => r())));

  const seenFor = (i: number): Got => {
    const g = [...got.entries()].find(([u]) => u.startsWith(`/${i}-`));
    assert.ok(g, `request ${i} reached the server`);
    return g[1];
  };

  it('gives the raw signature, application and dishonest flag the engine gives', () => {
    for (const [name, idx] of dbs) {
      for (const [i, [what, bytes]] of REQUESTS.entries()) {
        const g = seenFor(i);
        const mine = requestSig(idx, g.method, g.url, g.httpVersion, g.rawHeaders);
        const ref = engineRecord(idx, bytes);
        assert.ok(ref, `${what}: the engine reads it`);
        assert.ok(mine.ok, `${what}: a signature`);
        assert.equal(mine.sig.rawSig, ref.rawSig, `${name}, ${what}: raw_sig`);
        assert.equal(mine.sig.app?.label ?? null, ref.app, `${name}, ${what}: app`);
        assert.equal(mine.sig.dishonest, ref.dishonest, `${name}, ${what}: dishonest`);
        assert.equal(mine.sig.h2, false);
      }
    }
    const pof = dbs[0]![1];
    const curl = requestSig(pof, 'GET', '/', '1.1', seenFor(0).rawHeaders);
    assert.ok(curl.ok && curl.sig.app?.name === 'curl', 'pof.fp names modern curl');
    const liar = requestSig(pof, 'GET', '/', '1.1', seenFor(4).rawHeaders);
    assert.ok(liar.ok && liar.sig.dishonest && liar.sig.app?.name === 'Firefox');
    const fx = requestSig(pof, 'GET', '/', '1.1', seenFor(2).rawHeaders);
    assert.ok(fx.ok);
    assert.equal(fx.sig.language, 'German');
    assert.equal(fx.sig.uaOs, 'Linux');
  });

  it('gives no signature where the engine gives none', () => {
    const idx = dbs[0]![1];
    for (const [j, [what, bytes, reason]] of UNSIGNED.entries()) {
      const g = seenFor(REQUESTS.length + j);
      assert.equal(engineRecord(idx, bytes), null, `${what}: the engine makes no record`);
      assert.deepEqual(requestSig(idx, g.method, g.url, g.httpVersion, g.rawHeaders), { ok: false, reason }, what);
    }
  });
});

describe('requestSig on HTTP/2 header lists', () => {
  const idx = buildHttpIndex(loadSignatures());
  const chromeH2 = [
    ':method', 'GET', ':authority', 'example.com', ':scheme', 'https', ':path', '/',
    'sec-ch-ua', '"Chromium";v="130"', 'sec-ch-ua-mobile', '?0', 'sec-ch-ua-platform', '"Linux"',
    'upgrade-insecure-requests', '1',
    'user-agent', 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36',
    'accept', 'text/html,*/*;q=0.8', 'accept-encoding', 'gzip, deflate, br', 'accept-language', 'en-US,en;q=0.9',
  ];

  it("matches a browser's HTTP/1.1 signature without its Connection header, names restored to the database's spelling", () => {
    const r = requestSig(idx, 'GET', '/', '2.0', chromeH2);
    assert.ok(r.ok);
    assert.equal(r.sig.h2, true);
    assert.equal(r.sig.app?.name, 'Chrome');
    assert.equal(r.sig.dishonest, false);
    assert.equal(r.sig.language, 'English');
    assert.match(r.sig.rawSig, /^2:Host,sec-ch-ua=\[.*\],sec-ch-ua-mobile=\[\?0\],sec-ch-ua-platform=\[.*\],Upgrade-Insecure-Requests=\[1\],User-Agent,Accept=\[text\/html,\*\/\*;q=0\.8\],Accept-Encoding=\[gzip, deflate, br\],Accept-Language=\[en-US,en;q=0\.9\]:Connection,Accept-Charset,Keep-Alive:Mozilla/);
  });

  it('names no application rather than a liar when the software check fails', () => {
    const fake = chromeH2.map((v, i) => (chromeH2[i - 1] === 'user-agent' ? 'curl/8.0' : v));
    const r = requestSig(idx, 'GET', '/', '2.0', fake);
    assert.ok(r.ok);
    assert.equal(r.sig.app, null);
    assert.equal(r.sig.dishonest, false);
    // The same layout on HTTP/1.1 (with its Connection header) is p0f's dishonest.
    const h1 = ['Host', 'example.com', 'Connection', 'keep-alive', 'sec-ch-ua', 'x', 'sec-ch-ua-mobile', '?0', 'sec-ch-ua-platform', 'x', 'User-Agent', 'curl/8.0', 'Accept', '*/*'];
    const d = requestSig(idx, 'GET', '/', '1.1', h1);
    assert.ok(d.ok && d.sig.dishonest && d.sig.app?.name === 'Chrome');
  });

  it("reads curl's HTTP/2 request as curl", () => {
    const r = requestSig(idx, 'GET', '/x', '2.0', [':method', 'GET', ':path', '/x', ':scheme', 'https', ':authority', 'h', 'user-agent', 'curl/7.88.1', 'accept', '*/*']);
    assert.ok(r.ok);
    assert.equal(r.sig.app?.name, 'curl');
    assert.equal(r.sig.rawSig, '2:Host,User-Agent,Accept=[*/*]:Connection,Accept-Encoding,Accept-Language,Accept-Charset,Keep-Alive:curl/7.88.1');
  });
});
