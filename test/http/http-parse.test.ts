import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { parseHttpDate } from '../../src/fingerprint/http-date.js';
import { feedRequest, feedResponse, HttpFlowState, HTTP_MAX_HDRS, HTTP_MAX_HDR_VAL, type HttpMessage } from '../../src/fingerprint/http-headers.js';

const LIMIT = 8192;

/** Feeds `data` to a fresh state in the given pieces, as the engine would (growing buffer). */
function feed(data: string | Buffer, cuts: number[] = [], dir: 'req' | 'resp' = 'req', st = new HttpFlowState()) {
  const buf = typeof data === 'string' ? Buffer.from(data, 'latin1') : data;
  const all = Buffer.concat([buf]).subarray(0, Math.min(buf.length, LIMIT));
  let len = 0;
  let needMore = true;
  let complete: HttpMessage | null = null;
  const pieces = [...cuts];
  while (len < all.length && needMore) {
    const n = pieces.length ? pieces.shift()! : all.length - len;
    len = Math.min(all.length, len + n);
    const r = dir === 'req' ? feedRequest(st, all, len, len < LIMIT) : feedResponse(st, all, len, len < LIMIT);
    needMore = r.needMore;
    if (r.complete) complete = r.complete;
    if (complete) break;
  }
  return { st, needMore, complete };
}

const REQ = 'GET /index.html HTTP/1.1\r\nHost: example.com\r\nUser-Agent: curl/7.1\r\nAccept: */*\r\nAccept-Language: en-US\r\nVia: 1.1 proxy\r\n\r\n';

test('a GET request: version, headers in order, software, language, via', () => {
  const { complete, needMore, st } = feed(REQ);
  assert.equal(needMore, true, 'the request is done; the response is still wanted');
  assert.equal(st.reqDone, true);
  assert.ok(complete);
  assert.equal(complete.ver, 1);
  assert.deepEqual(complete.hdrs.map((h) => h.name), ['Host', 'User-Agent', 'Accept', 'Accept-Language', 'Via']);
  assert.equal(complete.sw, 'curl/7.1');
  assert.equal(complete.lang, 'en-US');
  assert.equal(complete.via, '1.1 proxy');
  assert.equal(feed('HEAD / HTTP/1.0\nHost: x\n\n').complete?.ver, 0, 'bare \\n line ends and HEAD are fine');
});

test('only GET / and HEAD / requests with an HTTP/1.x first line are read', () => {
  for (const bad of ['POST / HTTP/1.1\r\n\r\n', 'GET index HTTP/1.1\r\n\r\n', 'GET / HTTP/2.0\r\nHost: x\r\n\r\n', 'GET /\x01 HTTP/1.1\r\n\r\n', 'GET /\xff HTTP/1.1\r\n\r\n']) {
    const r = feed(bad);
    assert.equal(r.complete, null, JSON.stringify(bad));
    assert.equal(r.needMore, false);
    assert.equal(r.st.inHttp, -1);
  }
  const long = feed('GET /' + 'a'.repeat(1100) + ' HTTP/1.1\r\n\r\n');
  assert.equal(long.st.inHttp, -1, 'a first line of 1024 bytes or more');
  const short = feed('GET / HTTP/1.1');
  assert.equal(short.needMore, true, 'under 15 bytes: wait');
  assert.equal(short.st.inHttp, 0);
  const noEol = feed('GET / HTTP/1.1 and more');
  assert.equal(noEol.needMore, true, 'first line not finished: wait');
});

test('header limits: 32 headers, names up to 32 bytes, values up to 1024 bytes', () => {
  const hdrs = (n: number) => Array.from({ length: n }, (_, i) => `X-${i}: v\r\n`).join('');
  assert.equal(feed(`GET / HTTP/1.1\r\n${hdrs(HTTP_MAX_HDRS)}\r\n`).complete?.hdrs.length, 32);
  const over = feed(`GET / HTTP/1.1\r\n${hdrs(HTTP_MAX_HDRS + 1)}\r\n`);
  assert.equal(over.complete, null);
  assert.equal(over.needMore, false);
  assert.ok(feed(`GET / HTTP/1.1\r\n${'N'.repeat(32)}: v\r\n\r\n`).complete);
  assert.equal(feed(`GET / HTTP/1.1\r\n${'N'.repeat(33)}: v\r\n\r\n`).st.inHttp, -1);
  assert.equal(feed(`GET / HTTP/1.1\r\nX: ${'v'.repeat(HTTP_MAX_HDR_VAL)}\n\n`).complete?.hdrs[0]?.value?.length, 1024);
  // the '\r' of a CRLF counts against the limit
  assert.equal(feed(`GET / HTTP/1.1\r\nX: ${'v'.repeat(HTTP_MAX_HDR_VAL - 1)}\r\n\r\n`).complete?.hdrs[0]?.value?.length, 1023);
  assert.equal(feed(`GET / HTTP/1.1\r\nX: ${'v'.repeat(HTTP_MAX_HDR_VAL)}\r\n\r\n`).st.inHttp, -1);
  // p0f gives up on an over-long value but still reports "need more" once
  const big = feed(`GET / HTTP/1.1\r\nX: ${'v'.repeat(HTTP_MAX_HDR_VAL + 2)}\r\n\r\n`);
  assert.equal(big.complete, null);
  assert.equal(big.needMore, true);
  assert.equal(big.st.inHttp, -1);
  assert.equal(feedRequest(big.st, Buffer.from('x'), 1, true).needMore, false);
});

test('malformed header lines end HTTP reading', () => {
  for (const line of [': v', 'Bad Name: v', 'NoColon v', 'X\x00: v']) {
    const r = feed(`GET / HTTP/1.1\r\n${line}\r\n\r\n`);
    assert.equal(r.st.inHttp, -1, JSON.stringify(line));
    assert.equal(r.complete, null);
  }
});

test('repeated headers are all kept, in order; the last software / language value counts', () => {
  const r = feed('GET / HTTP/1.1\r\nUser-Agent: a\r\nX: 1\r\nUser-Agent: b\r\nAccept-Language: de\r\nAccept-Language: fr\r\n\r\n');
  assert.deepEqual(r.complete?.hdrs.map((h) => `${h.name}=${h.value}`), ['User-Agent=a', 'X=1', 'User-Agent=b', 'Accept-Language=de', 'Accept-Language=fr']);
  assert.equal(r.complete?.sw, 'b');
  assert.equal(r.complete?.lang, 'fr');
});

test('values: an empty value is none; a NUL byte ends the value (C strings)', () => {
  const r = feed('GET / HTTP/1.1\r\nUser-Agent:\r\nX: a\x00b\r\nY:  two spaces\r\n\r\n');
  assert.deepEqual(r.complete?.hdrs.map((h) => h.value), [null, 'a', ' two spaces']);
  assert.equal(r.complete?.sw, null, 'an empty User-Agent is no User-Agent');
});

test('truncated mid-line: wait for more; at the per-flow limit: give up', () => {
  const part = 'GET / HTTP/1.1\r\nHost: exa';
  const st = new HttpFlowState();
  const buf = Buffer.from(part, 'latin1');
  assert.deepEqual(feedRequest(st, buf, buf.length, true), { needMore: true, complete: null });
  assert.equal(st.inHttp, 1);
  assert.deepEqual(feedRequest(st, buf, buf.length, false), { needMore: false, complete: null });
  assert.equal(st.inHttp, -1);
});

test('a request split into 1-byte segments reads the same as whole', () => {
  const whole = feed(REQ).complete;
  const split = feed(REQ, new Array(REQ.length).fill(1)).complete;
  assert.deepEqual(split, whole);
});

test('a response is read only after a complete request', () => {
  const st = new HttpFlowState();
  const resp = Buffer.from('HTTP/1.1 200 OK\r\nServer: x\r\n\r\n');
  assert.equal(feedResponse(st, resp, resp.length, true).needMore, false);
  assert.equal(st.inHttp, -1);
});

test('responses: status line, Server as software, Date parsed; reading ends with the header block', () => {
  const { st } = feed(REQ);
  const r = feed('HTTP/1.0 200 OK\r\nDate: Sat, 01 May 2010 18:14:47 GMT\r\nServer: Apache\r\n\r\nbody', [], 'resp', st);
  assert.equal(r.needMore, false);
  assert.equal(r.complete?.ver, 0);
  assert.equal(r.complete?.sw, 'Apache');
  assert.equal(r.complete?.date, 1272737687);
  assert.equal(feed('XTTP/1.1 200 OK\r\n\r\n', [], 'resp', feed(REQ).st).st.inHttp, -1);
});

test("responses in pieces: like p0f, a header line cut between two segments is lost", () => {
  const resp = 'HTTP/1.1 200 OK\r\nServer: A\r\nDate: x\r\nX-Last: 1\r\n\r\n';
  const whole = feed(resp, [], 'resp', feed(REQ).st).complete;
  assert.deepEqual(whole?.hdrs.map((h) => h.name), ['Server', 'Date', 'X-Last']);
  const cut = feed(resp, [31], 'resp', feed(REQ).st).complete; // cut inside "Date"
  assert.deepEqual(cut?.hdrs.map((h) => h.name), ['Server', 'X-Last']);
  const onBoundary = feed(resp, [28], 'resp', feed(REQ).st).complete; // cut at a line start
  assert.deepEqual(onBoundary?.hdrs.map((h) => h.name), ['Server', 'X-Last'], 'the next line is skipped too');
  const statusCut = feed(resp, [5], 'resp', feed(REQ).st).complete; // cut in the status line: harmless
  assert.deepEqual(statusCut?.hdrs.map((h) => h.name), ['Server', 'Date', 'X-Last']);
});

test('HTTP dates are read like strptime("%a, %d %b %Y %H:%M:%S %Z")', () => {
  assert.equal(parseHttpDate('Sat, 01 May 2010 18:14:47 GMT'), 1272737687);
  assert.equal(parseHttpDate('saturday,  1 may 2010 18:14:47 UTC'), 1272737687);
  assert.equal(parseHttpDate('Sat, 01 May 2010 18:14:47'), 1272737687, 'the zone is optional');
  assert.equal(parseHttpDate('Sat 01 May 2010 18:14:47 GMT'), 0);
  assert.equal(parseHttpDate('Sat, 32 May 2010 18:14:47 GMT'), 0);
  assert.equal(parseHttpDate('Sat, 01 Mai 2010 18:14:47 GMT'), 0);
  assert.equal(parseHttpDate('garbage'), 0);
});

test('random bytes in random pieces never throw and stay within limits', () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ maxLength: 3000 }),
      fc.array(fc.integer({ min: 1, max: 64 }), { maxLength: 40 }),
      fc.constantFrom('GET / HTTP/1.1\r\n', 'GET /', 'HEAD / HTTP/1.0\n', ''),
      (body, cuts, prefix) => {
        const data = Buffer.concat([Buffer.from(prefix), body]);
        const req = feed(data, cuts);
        assert.ok(req.st.pos <= data.length);
        for (const m of [req.complete, req.st.msg]) {
          if (!m) continue;
          assert.ok(m.hdrs.length <= HTTP_MAX_HDRS);
          for (const h of m.hdrs) assert.ok(h.name.length <= 32 && (h.value?.length ?? 0) <= HTTP_MAX_HDR_VAL);
        }
        if (req.st.reqDone) {
          const resp = feed(Buffer.concat([Buffer.from('HTTP/1.1 200 OK\r\n'), body]), cuts, 'resp', req.st);
          assert.ok((resp.complete?.hdrs.length ?? 0) <= HTTP_MAX_HDRS);
        }
      },
    ),
    { numRuns: 300 },
  );
});

test('requests give the same verdict whole and in any pieces', () => {
  const header = fc.tuple(fc.stringMatching(/^[A-Za-z0-9_-]{1,34}$/), fc.string({ maxLength: 20 }), fc.constantFrom('\r\n', '\n'));
  fc.assert(
    fc.property(fc.array(header, { maxLength: 35 }), fc.array(fc.integer({ min: 1, max: 50 }), { maxLength: 30 }), (hs, cuts) => {
      const text = 'GET / HTTP/1.1\r\n' + hs.map(([n, v, e]) => `${n}: ${v}${e}`).join('') + '\r\n';
      const a = feed(text);
      const b = feed(text, cuts);
      const c = feed(text, new Array(text.length).fill(1));
      assert.deepEqual(b.complete, a.complete);
      assert.deepEqual(c.complete, a.complete);
      assert.equal(b.st.inHttp, a.st.inHttp);
    }),
    { numRuns: 300 },
  );
});
