import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseHttpSigBody } from '../../src/db/http-sig.js';
import { expectOne, httpFile, parseOk } from './helpers.js';

describe('http sig: accepted values', () => {
  it('all fields', () => {
    const r = parseHttpSigBody('1:Host,?Referer,Accept=[*/*],?DNT=[1]:Keep-Alive,Accept-Charset:Firefox/');
    assert.ok(r.ok);
    assert.deepEqual(r.sig, {
      ver: 1,
      horder: [
        { name: 'Host', lname: 'host', optional: false, value: null },
        { name: 'Referer', lname: 'referer', optional: true, value: null },
        { name: 'Accept', lname: 'accept', optional: false, value: '*/*' },
        { name: 'DNT', lname: 'dnt', optional: true, value: '1' },
      ],
      habsent: ['keep-alive', 'accept-charset'],
      habsentNames: ['Keep-Alive', 'Accept-Charset'],
      expsw: 'Firefox/',
    });
  });

  const cases: Array<[string, (s: Extract<ReturnType<typeof parseHttpSigBody>, { ok: true }>['sig']) => void]> = [
    ['0:::', (s) => assert.deepEqual([s.ver, s.horder, s.habsentNames, s.expsw], [0, [], [], ''])],
    ['*:::', (s) => assert.equal(s.ver, 'any')],
    ['1:Accept=[a:b,c]::', (s) => assert.equal(s.horder[0]!.value, 'a:b,c')],
    ['1:Host,:Accept,:x', (s) => assert.deepEqual([s.horder.length, s.habsentNames], [1, ['Accept']])],
    ['1:X_Y-Z9::  spaced sw ', (s) => assert.deepEqual([s.horder[0]!.name, s.expsw], ['X_Y-Z9', '  spaced sw '])],
    ['1:' + Array.from({ length: 32 }, (_, i) => `H${i}`).join(',') + '::', (s) => assert.equal(s.horder.length, 32)],
  ];
  for (const [text, check] of cases) {
    it(text.slice(0, 50), () => {
      const r = parseHttpSigBody(text);
      assert.ok(r.ok, JSON.stringify(r));
      check(r.sig);
    });
  }
});

describe('http sig: refused values (line 5, field)', () => {
  const many = (n: number): string => Array.from({ length: n }, (_, i) => `H${i}`).join(',');
  const cases: Array<[string, string, RegExp?]> = [
    ['', 'ver'],
    ['2:Host::', 'ver', /0, 1 or \*/],
    ['12:Host::', 'ver'],
    ['1;Host::', 'ver'],
    ['1:Host', 'horder', /ends/],
    ['1:Host;Accept::', 'horder'],
    ['1:?::', 'horder', /header name/],
    ['1:,Host::', 'horder'],
    ['1:Host=x::', 'horder', /'\['/],
    ['1:Host=[]::', 'horder', /empty/],
    ['1:Host=[abc::', 'horder', /closing/],
    ['1:Host=[a]b::', 'horder'],
    ['1:Ho st::', 'horder'],
    [`1:${many(33)}::`, 'horder', /more than 32/],
    ['1::?Host:', 'habsent'],
    ['1::Host=[a]:', 'habsent'],
    ['1::Host', 'habsent', /ends/],
    [`1::${many(33)}:`, 'habsent', /more than 32/],
    ['1:Host::a:b', 'expsw', /':'/],
  ];
  for (const [sig, field, re] of cases) {
    it(`${JSON.stringify(sig).slice(0, 50)} -> ${field}`, () => {
      expectOne(httpFile(sig), 5, field, re);
    });
  }
});

describe('http sig: duplicates as p0f refuses them', () => {
  const covered = (a: string, b: string): void => {
    expectOne(httpFile(a, b), 6, 'sig', /already covered by line 5 /);
  };
  const accepted = (a: string, b: string): void => {
    assert.equal(parseOk(httpFile(a, b)).httpRequest.length, 2);
  };

  it('exact duplicate', () => covered('1:Host,User-Agent:Accept:x', '1:Host,User-Agent:Accept:x'));
  it('expected software is not compared', () => covered('1:Host::a', '1:Host::b'));
  it("version '*' covers 1; 1 does not cover '*' or 0", () => {
    covered('*:Host::', '1:Host::');
    accepted('1:Host::', '*:Host::');
    accepted('1:Host::', '0:Host::');
  });
  it('headers in order, others in between allowed', () => {
    covered('1:Host,User-Agent::', '1:Host,Accept,User-Agent::');
    accepted('1:Host,User-Agent::', '1:User-Agent,Host::');
    accepted('1:Host,User-Agent::', '1:Host::');
  });
  it('an earlier required header must be required in the new one', () => {
    accepted('1:Host,User-Agent::', '1:Host,?User-Agent::');
  });
  it('optional headers of the earlier one may be missing, but not out of place', () => {
    covered('1:Host,?Referer,User-Agent::', '1:Host,User-Agent::');
    covered('1:Host,?Referer,User-Agent::', '1:Host,Referer,User-Agent::');
    accepted('1:Host,?Referer,User-Agent::', '1:Referer,Host,User-Agent::');
  });
  it('values: the earlier one must be a substring of the new one', () => {
    covered('1:Accept=[gzip]::', '1:Accept=[gzip, deflate]::');
    accepted('1:Accept=[gzip, deflate]::', '1:Accept=[gzip]::');
    accepted('1:Accept=[gzip]::', '1:Accept::');
    covered('1:Accept::', '1:Accept=[gzip]::');
  });
  it('absent headers: the earlier list must be within the new one', () => {
    covered('1:Host:Accept:', '1:Host:Accept,Cookie:');
    accepted('1:Host:Accept,Cookie:', '1:Host:Accept:');
    accepted('1:Host:Accept:', '1:Host:Cookie:');
  });
  it('a header the earlier one forbids, required by the new one, is not covered', () => {
    accepted('1:Host:Accept:', '1:Host,Accept:Accept:');
  });
  it('header names are compared with case, as p0f does', () => {
    accepted('1:Host::', '1:host::');
  });
  it('a generic earlier signature does not count', () => {
    const text = ['classes = unix', '[http:response]', 'label = g:!:A:', 'sys = @unix', 'sig = 1:Server::', 'label = s:!:B:', 'sys = @unix', 'sig = 1:Server::'].join('\n');
    assert.equal(parseOk(text).httpResponse.length, 2);
  });
});
