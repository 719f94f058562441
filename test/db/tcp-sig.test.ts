import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Quirk } from '../../src/decode/types.js';
import { parseTcpSigBody, type TcpSigBody } from '../../src/db/tcp-sig.js';
import { diagnostics, expectOne, parseOk, tcpFile } from './helpers.js';

const BASE: TcpSigBody = {
  ver: 4,
  ittl: 64,
  badTtl: false,
  olen: 0,
  mss: null,
  win: { kind: 'value', value: 8192 },
  wscale: 0,
  optLayout: [2],
  optKey: '2',
  eolPad: 0,
  quirks: 0,
  pclass: 'zero',
};

describe('tcp sig: accepted values', () => {
  const cases: Array<[string, Partial<TcpSigBody>]> = [
    ['4:64:0:*:8192,0:mss::0', {}],
    ['6:64:0:*:8192,0:mss::0', { ver: 6 }],
    ['*:64:0:*:8192,0:mss::0', { ver: 'any' }],
    ['4:1:0:*:8192,0:mss::0', { ittl: 1 }],
    ['4:255:0:*:8192,0:mss::0', { ittl: 255 }],
    ['4:54+10:0:*:8192,0:mss::0', { ittl: 64 }],
    ['4:200+55:0:*:8192,0:mss::0', { ittl: 255 }],
    ['4:64+:0:*:8192,0:mss::0', { ittl: 64 }],
    ['4:64-:0:*:8192,0:mss::0', { badTtl: true }],
    // p0f skips the character after 'ttl-:', so olen '05' reads as 5
    ['4:64-:05:*:8192,0:mss::0', { badTtl: true, olen: 5 }],
    ['4:64:4:*:8192,0:mss::0', { olen: 4 }],
    ['4:64:255:*:8192,0:mss::0', { olen: 255 }],
    ['4:64:0:1460:8192,0:mss::0', { mss: 1460 }],
    ['4:64:0:0:8192,0:mss::0', { mss: 0 }],
    ['4:64:0:65535:8192,0:mss::0', { mss: 65535 }],
    ['4:64:0:*:*,0:mss::0', { win: { kind: 'any' } }],
    ['4:64:0:*:%8192,0:mss::0', { win: { kind: 'mod', value: 8192 } }],
    ['4:64:0:*:%2,0:mss::0', { win: { kind: 'mod', value: 2 } }],
    ['4:64:0:*:mss*4,0:mss::0', { win: { kind: 'mss', mult: 4 } }],
    ['4:64:0:*:mtu*1000,0:mss::0', { win: { kind: 'mtu', mult: 1000 } }],
    ['4:64:0:*:0,0:mss::0', { win: { kind: 'value', value: 0 } }],
    ['4:64:0:*:65535,0:mss::0', { win: { kind: 'value', value: 65535 } }],
    // empty numbers read as 0, as atol() does in p0f
    ['4:64:0:*:,:mss::0', { win: { kind: 'value', value: 0 }, wscale: 0 }],
    ['4:64:0:*:8192,*:mss::0', { wscale: null }],
    ['4:64:0:*:8192,255:mss::0', { wscale: 255 }],
    ['4:64:0:*:8192,0:::0', { optLayout: [], optKey: '' }],
    ['4:64:0:*:8192,0:mss,sok,ts,nop,ws::0', { optLayout: [2, 4, 8, 1, 3], optKey: '2,4,8,1,3' }],
    ['4:64:0:*:8192,0:sack,?30,?0::0', { optLayout: [5, 30, 0], optKey: '5,30,0' }],
    ['4:64:0:*:8192,0:?,mss::0', { optLayout: [0, 2], optKey: '0,2' }],
    ['4:64:0:*:8192,0:mss,eol+3::0', { optLayout: [2, 0], optKey: '2,0', eolPad: 3 }],
    ['4:64:0:*:8192,0:' + Array(24).fill('nop').join(',') + '::0', { optLayout: Array(24).fill(1), optKey: Array(24).fill(1).join(',') }],
    ['4:64:0:*:8192,0:mss:df,id+:0', { quirks: Quirk.DF | Quirk.NZ_ID }],
    [
      '4:64:0:*:8192,0:mss:id-,ecn,0+,seq-,ack+,ack-,uptr+,urgf+,pushf+,ts1-,ts2+,opt+,exws,bad:0',
      { quirks: 0x1fffc & ~Quirk.FLOW & ~Quirk.NZ_ID },
    ],
    ['6:64:0:*:8192,0:mss:flow,ecn:0', { ver: 6, quirks: Quirk.FLOW | Quirk.ECN }],
    ['*:64:0:*:8192,0:mss:flow,df:0', { ver: 'any', quirks: Quirk.FLOW | Quirk.DF }],
    ['4:64:0:*:8192,0:mss::+', { pclass: 'nonzero' }],
    // a trailing ',' before ':' is accepted, as in p0f
    ['4:64:0:*:8192,0:mss,:df,:0', { quirks: Quirk.DF }],
    ['4:64:0:*:8192,0:mss::*', { pclass: 'any' }],
    // numbers are read like atol() into an int32: 4294967360 wraps to 64
    ['4:4294967360:0:*:8192,0:mss::0', { ittl: 64 }],
  ];
  for (const [text, want] of cases) {
    it(text, () => {
      const r = parseTcpSigBody(text);
      assert.ok(r.ok, JSON.stringify(r));
      assert.deepEqual(r.sig, { ...BASE, ...want });
    });
  }

  it('warns when ttl- makes p0f skip a meaningful olen character', () => {
    const r = parseTcpSigBody('4:64-:12:*:8192,0:mss::0');
    assert.ok(r.ok);
    assert.equal(r.sig.olen, 2);
    assert.equal(r.warnings.length, 1);
    assert.equal(r.warnings[0]!.field, 'olen');
    assert.deepEqual(parseTcpSigBody('4:64-:0:*:8192,0:mss::0'), { ok: true, sig: { ...BASE, badTtl: true }, warnings: [] });
  });
});

describe('tcp sig: refused values (line 4, field)', () => {
  const nops = (n: number): string => Array(n).fill('nop').join(',');
  const cases: Array<[string, string, RegExp?]> = [
    ['5:64:0:*:8192,0:mss::0', 'ver', /4, 6 or \*/],
    ['44:64:0:*:8192,0:mss::0', 'ver'],
    [':64:0:*:8192,0:mss::0', 'ver'],
    ['', 'ver'],
    ['4:x:0:*:8192,0:mss::0', 'ittl'],
    ['4:0:0:*:8192,0:mss::0', 'ittl', /out of range 1\.\.255/],
    ['4::0:*:8192,0:mss::0', 'ittl'],
    ['4:256:0:*:8192,0:mss::0', 'ittl'],
    ['4:250+6:0:*:8192,0:mss::0', 'ittl', /above 255/],
    ['4:64+x:0:*:8192,0:mss::0', 'ittl'],
    ['4:64*:0:*:8192,0:mss::0', 'ittl'],
    ['4:64:256:*:8192,0:mss::0', 'olen'],
    ['4:64:x:*:8192,0:mss::0', 'olen'],
    ['4:64-:', 'olen', /ends/],
    ['4:64:0:65536:8192,0:mss::0', 'mss'],
    ['4:64:0:x:8192,0:mss::0', 'mss'],
    ['4:64:0:**:8192,0:mss::0', 'mss'],
    ['4:64:0:*:x,0:mss::0', 'wsize'],
    ['4:64:0:*:65536,0:mss::0', 'wsize'],
    ['4:64:0:*:%1,0:mss::0', 'wsize', /2\.\.65535/],
    ['4:64:0:*:%65536,0:mss::0', 'wsize'],
    ['4:64:0:*:%,0:mss::0', 'wsize'],
    ['4:64:0:*:mss*0,0:mss::0', 'wsize', /1\.\.1000/],
    ['4:64:0:*:mtu*1001,0:mss::0', 'wsize'],
    ['4:64:0:*:mss*x,0:mss::0', 'wsize'],
    ['4:64:0:*:mss,0:mss::0', 'wsize'],
    ['4:64:0:*:8192:mss::0', 'wsize'],
    ['4:64:0:*:8192,256:mss::0', 'scale'],
    ['4:64:0:*:8192,x:mss::0', 'scale'],
    ['4:64:0:*:8192,*,:mss::0', 'scale'],
    ['4:64:0:*:8192,0:foo::0', 'olayout', /unknown option 'foo'/],
    ['4:64:0:*:8192,0:mss;ws::0', 'olayout'],
    ['4:64:0:*:8192,0:MSS::0', 'olayout'],
    ['4:64:0:*:8192,0:eol::0', 'olayout', /eol\+N/],
    ['4:64:0:*:8192,0:eol+0,mss::0', 'olayout', /last option/],
    ['4:64:0:*:8192,0:eol+256::0', 'olayout'],
    ['4:64:0:*:8192,0:eol+0', 'olayout'],
    ['4:64:0:*:8192,0:?x::0', 'olayout'],
    ['4:64:0:*:8192,0:?256::0', 'olayout'],
    ['4:64:0:*:8192,0:mss', 'olayout', /ends/],
    ['4:64:0:*:8192,0:' + nops(25) + '::0', 'olayout', /more than 24/],
    ['4:64:0:*:8192,0:' + nops(24) + ',eol+0::0', 'olayout', /more than 24/],
    ['4:64:0:*:8192,0:mss:zz:0', 'quirks', /unknown quirk 'zz'/],
    ['4:64:0:*:8192,0:mss:df;ecn:0', 'quirks'],
    ['4:64:0:*:8192,0:mss:dfx:0', 'quirks'],
    ['4:64:0:*:8192,0:mss:', 'quirks', /payload class/],
    ['6:64:0:*:8192,0:mss:df:0', 'quirks', /'df' is not valid for IPv6/],
    ['6:64:0:*:8192,0:mss:id+:0', 'quirks', /'id\+' is not valid for IPv6/],
    ['6:64:0:*:8192,0:mss:id-:0', 'quirks', /'id-' is not valid for IPv6/],
    ['6:64:0:*:8192,0:mss:ecn,0+:0', 'quirks', /'0\+' is not valid for IPv6/],
    ['4:64:0:*:8192,0:mss:flow:0', 'quirks', /'flow' is not valid for IPv4/],
    ['4:64:0:*:8192,0:mss::', 'pclass'],
    ['4:64:0:*:8192,0:mss::x', 'pclass'],
    ['4:64:0:*:8192,0:mss::00', 'pclass'],
    ['4:64:0:*:8192,0:mss::0 ', 'pclass', /trailing whitespace/],
    ['4:64:0:*:8192,0:mss::0\r', 'pclass', /CR/],
    ['4:64:0:*:8192,0:mss::0:', 'pclass'],
  ];
  for (const [sig, field, re] of cases) {
    it(`${JSON.stringify(sig).slice(0, 60)} -> ${field}`, () => {
      expectOne(tcpFile(sig), 4, field, re);
    });
  }
});

describe('tcp sig: duplicates as p0f refuses them', () => {
  const covered = (a: string, b: string, line = 4): void => {
    expectOne(tcpFile(a, b), 5, 'sig', new RegExp(`already covered by line ${line} `));
  };
  const accepted = (...sigs: string[]): void => {
    assert.equal(parseOk(tcpFile(...sigs)).tcpRequest.length, sigs.length);
  };

  it('exact duplicate', () => covered('4:64:0:*:8192,0:mss:df:0', '4:64:0:*:8192,0:mss:df:0'));
  it("'*' signatures with IPv4 quirks never cover each other (p0f drops them from the earlier one)", () =>
    accepted('*:64:0:*:mss*20,10:mss,sok,ts,nop,ws:df,id+:0', '*:64:0:*:mss*20,10:mss,sok,ts,nop,ws:df,id+:0'));
  it("'*' without version-specific quirks: exact duplicate", () => covered('*:64:0:*:8192,0:mss:ecn:0', '*:64:0:*:8192,0:mss:ecn:0'));
  it("earlier '*' with flow covers IPv4 one without it", () => covered('*:64:0:*:8192,0:mss:flow:0', '4:64:0:*:8192,0:mss::0'));
  it("earlier '*' with df covers IPv6 one without it", () => covered('*:64:0:*:8192,0:mss:df:0', '6:64:0:*:8192,0:mss::0'));
  it('IP versions are not compared otherwise: v4 covers v6', () => covered('4:64:0:*:8192,0:mss::0', '6:64:0:*:8192,0:mss::0'));
  it('different quirks are accepted (even a fuzzy-match difference)', () => {
    accepted('4:64:0:*:8192,0:mss:df:0', '4:64:0:*:8192,0:mss::0');
    accepted('4:64:0:*:8192,0:mss::0', '4:64:0:*:8192,0:mss:ecn:0');
  });
  it('wildcard mss covers a fixed one, not the reverse', () => {
    covered('4:64:0:*:8192,0:mss::0', '4:64:0:1460:8192,0:mss::0');
    accepted('4:64:0:1460:8192,0:mss::0', '4:64:0:*:8192,0:mss::0');
  });
  it('wildcard scale covers a fixed one, not the reverse', () => {
    covered('4:64:0:*:8192,*:mss::0', '4:64:0:*:8192,7:mss::0');
    accepted('4:64:0:*:8192,7:mss::0', '4:64:0:*:8192,*:mss::0');
  });
  it('wildcard payload class covers a fixed one, not the reverse', () => {
    covered('4:64:0:*:8192,0:mss::*', '4:64:0:*:8192,0:mss::0');
    accepted('4:64:0:*:8192,0:mss::0', '4:64:0:*:8192,0:mss::*');
  });
  it("window '*' covers literal windows, but not other notations", () => {
    covered('4:64:0:*:*,0:mss::0', '4:64:0:*:5840,0:mss::0');
    accepted('4:64:0:*:*,0:mss::0', '4:64:0:*:mss*4,0:mss::0');
    covered('4:64:0:*:*,0:mss::0', '4:64:0:*:*,0:mss::0');
  });
  it('mss*N covers a literal window that is N times the literal MSS', () => {
    covered('4:64:0:*:mss*4,0:mss::0', '4:64:0:1460:5840,0:mss::0');
    accepted('4:64:0:*:mss*4,0:mss::0', '4:64:0:1460:5841,0:mss::0');
    accepted('4:64:0:*:mss*4,0:mss::0', '4:64:0:*:5840,0:mss::0');
  });
  it('mtu*N covers a literal window that is N times MSS+40', () => covered('4:64:0:*:mtu*4,0:mss::0', '4:64:0:1460:6000,0:mss::0'));
  it('%N covers multiples of N', () => {
    covered('4:64:0:*:%8192,0:mss::0', '4:64:0:*:16384,0:mss::0');
    accepted('4:64:0:*:%8192,0:mss::0', '4:64:0:*:8193,0:mss::0');
    accepted('4:64:0:*:%8192,0:mss::0', '4:64:0:*:%4096,0:mss::0');
  });
  it('TTL: earlier one 0..35 above covers, otherwise not', () => {
    covered('4:64:0:*:8192,0:mss::0', '4:60:0:*:8192,0:mss::0');
    covered('4:64:0:*:8192,0:mss::0', '4:29:0:*:8192,0:mss::0');
    accepted('4:64:0:*:8192,0:mss::0', '4:28:0:*:8192,0:mss::0');
    accepted('4:64:0:*:8192,0:mss::0', '4:128:0:*:8192,0:mss::0');
  });
  it('random-TTL earlier signature covers any TTL not above it', () => {
    covered('4:64-:0:*:8192,0:mss::0', '4:20:0:*:8192,0:mss::0');
    accepted('4:64-:0:*:8192,0:mss::0', '4:65:0:*:8192,0:mss::0');
  });
  it('option layout, EOL padding and IP options length must be equal', () => {
    accepted('4:64:0:*:8192,0:mss::0', '4:64:0:*:8192,0:mss,nop::0');
    accepted('4:64:0:*:8192,0:mss,eol+0::0', '4:64:0:*:8192,0:mss,eol+1::0');
    accepted('4:64:0:*:8192,0:mss::0', '4:64:4:*:8192,0:mss::0');
  });
  it('a generic earlier signature does not count', () => {
    const text = ['classes = unix', '[tcp:request]', 'label = g:unix:Linux:', 'sig = 4:64:0:*:8192,0:mss::0', 'label = s:unix:Linux:2', 'sig = 4:64:0:*:8192,0:mss::0'].join('\n');
    assert.equal(parseOk(text).tcpRequest.length, 2);
  });
  it('across labels, reporting the first covering line', () => {
    const text = ['classes = unix', '[tcp:request]', 'label = s:unix:A:', 'sig = 4:64:0:*:*,0:mss::0', 'label = s:unix:B:', 'sig = 4:64:0:*:8192,0:mss::0'].join('\n');
    expectOne(text, 6, 'sig', /covered by line 4 \(s:unix:A\)/);
  });
  it('request and response are separate', () => {
    const text = ['classes = unix', '[tcp:request]', 'label = s:unix:A:', 'sig = 4:64:0:*:8192,0:mss::0', '[tcp:response]', 'label = s:unix:A:', 'sig = 4:64:0:*:8192,0:mss::0'].join('\n');
    const db = parseOk(text);
    assert.equal(db.tcpRequest.length, 1);
    assert.equal(db.tcpResponse.length, 1);
  });
  it('a refused signature is not counted and does not cover later ones', () => {
    const ds = diagnostics(tcpFile('4:64:0:*:8192,0:mss::0', '4:64:0:*:8192,0:mss::0', '4:64:0:*:8192,0:mss::0'));
    assert.deepEqual(
      ds.map((d) => [d.line, d.message.match(/line (\d+) /)![1]]),
      [
        [5, '4'],
        [6, '4'],
      ],
    );
  });
});

