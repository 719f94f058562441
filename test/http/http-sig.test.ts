import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeHttp, dumpHttpSig } from '../../src/fingerprint/http-describe.js';
import { newHttpMessage, type HttpMessage } from '../../src/fingerprint/http-headers.js';
import { buildHttpIndex, matchHttp, uaOsOf, type HttpSigIndex } from '../../src/fingerprint/http-sig.js';
import { dbFrom } from './conv.js';

const DB = `
[http:request]
ua_os = Linux,Windows,iOS=[iPad],iOS=[iPhone],Mac OS X

label = s:!:Ordered:
sys   = Linux
sig   = 1:Host,User-Agent,Accept=[text/html]::Ordered/

label = s:!:Optional:
sys   = Linux
sig   = 1:Host,?Referer,X-Opt::Optional/

label = s:!:Absent:
sys   = Linux
sig   = 0:Host,X-Abs:Accept,Cookie:

label = s:!:AnyVersion:
sys   = Linux
sig   = *:X-Any::

label = g:!:Generic:
sys   = Linux
sig   = *:X-Gen::

label = s:!:Specific:
sys   = Linux
sig   = *:X-Gen,X-Spec::

[http:response]
label = s:!:Srv:1.x
sys   = Linux
sig   = *:Server,Date:Keep-Alive:Srv/
`;

const idx: HttpSigIndex = buildHttpIndex(dbFrom(DB));

function msg(ver: 0 | 1, hdrs: Array<[string, string | null]>, sw?: string): HttpMessage {
  const m = newHttpMessage();
  m.ver = ver;
  m.hdrs = hdrs.map(([name, value]) => ({ name, value }));
  const ua = hdrs.filter(([n]) => n === 'User-Agent' || n === 'Server').pop();
  m.sw = sw ?? (ua ? ua[1] : null);
  return m;
}

const name = (m: HttpMessage, dir: 'request' | 'response' = 'request'): string | null => matchHttp(idx[dir], m)?.rec.label.name ?? null;

test('horder: headers must appear in the listed order; others may come in between', () => {
  assert.equal(name(msg(1, [['Host', 'a'], ['X-1', 'b'], ['User-Agent', 'Ordered/1'], ['Accept', 'text/html,*/*']])), 'Ordered');
  assert.equal(name(msg(1, [['User-Agent', 'Ordered/1'], ['Host', 'a'], ['Accept', 'text/html']])), null);
  assert.equal(name(msg(1, [['Host', 'a'], ['User-Agent', 'x']])), null, 'a required header is missing');
});

test('Name=[value] is a substring test on the header value', () => {
  assert.equal(name(msg(1, [['Host', 'a'], ['User-Agent', 'Ordered/1'], ['Accept', 'xx text/html yy']])), 'Ordered');
  assert.equal(name(msg(1, [['Host', 'a'], ['User-Agent', 'Ordered/1'], ['Accept', 'text/plain']])), null);
  assert.equal(name(msg(1, [['Host', 'a'], ['User-Agent', 'Ordered/1'], ['Accept', null]])), null, 'an empty value has no substring');
});

test("'?' headers may be absent, may appear in place, but not elsewhere", () => {
  assert.equal(name(msg(1, [['Host', 'a'], ['X-Opt', '1']])), 'Optional');
  assert.equal(name(msg(1, [['Host', 'a'], ['Referer', 'r'], ['X-Opt', '1']])), 'Optional');
  assert.equal(name(msg(1, [['Referer', 'r'], ['Host', 'a'], ['X-Opt', '1']])), null, 'before its place');
  assert.equal(name(msg(1, [['Host', 'a'], ['X-Opt', '1'], ['Referer', 'r']])), null, 'after its place');
});

test('habsent: listed headers must not appear; version must agree unless *', () => {
  assert.equal(name(msg(0, [['Host', 'a'], ['X-Abs', '1']])), 'Absent');
  assert.equal(name(msg(0, [['Host', 'a'], ['X-Abs', '1'], ['Cookie', 'c']])), null);
  assert.equal(name(msg(1, [['Host', 'a'], ['X-Abs', '1']])), null, 'HTTP/1.1 against a 1.0 signature');
  assert.equal(name(msg(0, [['X-Any', '1']])), 'AnyVersion');
  assert.equal(name(msg(1, [['X-Any', '1']])), 'AnyVersion');
});

test('header names compare case-sensitively, as in p0f', () => {
  assert.equal(name(msg(0, [['host', 'a'], ['X-Abs', '1']])), null);
  assert.equal(name(msg(0, [['Host', 'a'], ['X-Abs', '1'], ['cookie', 'c']])), 'Absent', "'cookie' is not 'Cookie'");
});

test('a specific signature wins over an earlier generic one; a generic one is the fallback', () => {
  const spec = matchHttp(idx.request, msg(1, [['X-Gen', '1'], ['X-Spec', '1']]));
  assert.equal(spec?.rec.label.name, 'Specific');
  const gen = matchHttp(idx.request, msg(1, [['X-Gen', '1']]));
  assert.equal(gen?.rec.label.name, 'Generic');
  assert.equal(describeHttp(true, msg(1, [['X-Gen', '1']], 'x'), gen, idx.known).params, 'generic');
});

test('dishonest: the software header lacks what the signature expects; anonymous: there is none', () => {
  const honest = msg(1, [['Server', 'Srv/1.2'], ['Date', 'd']]);
  const liar = msg(1, [['Server', 'Other'], ['Date', 'd']]);
  const anon = msg(1, [['Server', null], ['Date', 'd']]);
  anon.sw = null;
  const m1 = matchHttp(idx.response, honest);
  assert.equal(m1?.dishonest, false);
  assert.equal(describeHttp(false, honest, m1, idx.known).params, 'none');
  const m2 = matchHttp(idx.response, liar);
  assert.equal(m2?.dishonest, true);
  assert.equal(describeHttp(false, liar, m2, idx.known).params, 'dishonest');
  const m3 = matchHttp(idx.response, anon);
  assert.equal(m3?.dishonest, false);
  assert.equal(describeHttp(false, anon, m3, idx.known).params, 'anonymous');
  assert.equal(describeHttp(false, anon, m3, idx.known).app, 'Srv 1.x');
});

test('ua_os: the first entry whose text the User-Agent contains', () => {
  assert.equal(uaOsOf(idx, 'Mozilla/5.0 (iPad; CPU OS 5_0 like Mac OS X)')?.name, 'iOS');
  assert.equal(uaOsOf(idx, 'Mozilla/5.0 (Windows NT 6.1; Linux)')?.name, 'Linux', 'file order decides');
  assert.equal(uaOsOf(idx, 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_7)')?.name, 'Mac OS X');
  assert.equal(uaOsOf(idx, 'curl/7.1'), null);
});

test('raw_sig: optional headers get "?", context-bound values are hidden, the usual headers that are missing are listed', () => {
  const m = msg(1, [
    ['Host', 'example.com'],
    ['User-Agent', 'Ordered/1'],
    ['Referer', 'http://x/'],
    ['Accept', 'text/html'],
    ['Cookie', 'a=b'],
    ['X-Custom', 'v'],
    ['Empty', null],
  ]);
  assert.equal(dumpHttpSig(true, m, idx.known), '1:Host,User-Agent,?Referer,Accept=[text/html],?Cookie,X-Custom=[v],Empty:Connection,Accept-Encoding,Accept-Language,Accept-Charset,Keep-Alive:Ordered/1');
  const r = msg(0, [['Date', 'now'], ['Server', 'S'], ['Content-Type', 'text/html'], ['Content-Length', '5'], ['Set-Cookie', 'x']]);
  assert.equal(dumpHttpSig(false, r, idx.known), '0:Date,Server,Content-Type,?Content-Length,?Set-Cookie:Connection,Keep-Alive,Accept-Ranges:S');
});

test("raw_sig values: 200 printable chars at most, cut at ']' (and at '|' for headers p0f knows)", () => {
  const long = 'x'.repeat(300);
  const m = msg(1, [
    ['Accept', 'a|b'],
    ['X-Unknown', 'c|d]e'],
    ['X-Long', long],
    ['X-Ctl', 'ab\x01cd'],
    ['X-Hi', 'caf\xe9!'],
    ['X-First', ']x'],
  ]);
  m.sw = 'ua|x]y';
  assert.equal(
    dumpHttpSig(true, m, idx.known),
    `1:Accept=[a],X-Unknown=[c|d],X-Long=[${'x'.repeat(200)}],X-Ctl=[ab],X-Hi=[caf],X-First:Host,User-Agent,Connection,Accept-Encoding,Accept-Language,Accept-Charset,Keep-Alive:ua|x`,
  );
  // X-Opt is named in a signature, so p0f knows it and stops at '|'
  assert.equal(dumpHttpSig(true, msg(1, [['X-Opt', 'p|q']]), idx.known).split(':')[1], 'X-Opt=[p]');
});

test('app text is "name flavor"; lang is the language name, ??? for an unknown code, none without one', () => {
  const m = msg(1, [['Server', 'Srv/1'], ['Date', 'x']]);
  const d = describeHttp(false, m, matchHttp(idx.response, m), idx.known);
  assert.equal(d.key, 'app');
  assert.equal(d.app, 'Srv 1.x');
  assert.equal(d.lang, 'none');
  const q = msg(1, [['X-Any', '1']]);
  q.lang = 'zz';
  assert.equal(describeHttp(true, q, null, idx.known).lang, null);
  q.lang = 'it-IT';
  assert.equal(describeHttp(true, q, null, idx.known).lang, 'Italian');
});
