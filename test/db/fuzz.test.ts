/** Property tests: the parser never throws; format and parse are inverses. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { MAX_TCP_OPT } from '../../src/config.js';
import { Quirk } from '../../src/decode/types.js';
import { formatHttpSig, formatTcpSig, isDiagnostic, parseHttpSigText, parseTcpSigText } from '../../src/db/format.js';
import type { HttpSigBody } from '../../src/db/http-sig.js';
import { parseSignatures } from '../../src/db/parse.js';
import type { TcpSigBody } from '../../src/db/tcp-sig.js';
import type { SignatureDb, WinSpec } from '../../src/db/types.js';
import { P0F_FP } from './helpers.js';
import { existsSync, readFileSync } from 'node:fs';

const VALID = [
  'classes = win,unix,other',
  '[mtu]',
  'label = Ethernet',
  'sig = 1500',
  '[tcp:request]',
  'label = s:unix:Linux:3.x',
  'sig = *:64:0:*:mss*20,10:mss,sok,ts,nop,ws:df,id+:0',
  'sig = 4:64-:0:1460:%8192,*:mss,eol+1:ecn:*',
  'label = s:!:NMap:SYN scan',
  'sys = @unix,Windows',
  'sig = *:64-:0:265:512,0:mss,sok,ts:ack+:0',
  '[http:request]',
  'ua_os = Linux,iOS=[iPad]',
  'label = s:!:Firefox:10.x',
  'sys = Windows,@unix',
  'sig = *:Host,User-Agent,Accept=[,*/*;q=],?Accept-Language=[;q=]:Accept-Charset,Keep-Alive:Firefox/',
];

const pieces = fc.constantFrom(':', ',', '*', '+', '-', '=', '[', ']', '?', '!', '@', ';', '#', ' ', '\t', '\r', '\n', '\0', '0', '9', '255', '65536', 'eol', 'mss', 'df', 'flow', 'label', 'sig', 'sys', '[tcp:request]', 'é');

function mustNotThrow(text: string): void {
  const r = parseSignatures(text, 'fuzz.fp');
  if (r.ok) dbHolds(r.db, text);
  else for (const d of r.diagnostics) assert.ok(d.line >= 1 && d.field && d.message && d.file === 'fuzz.fp', `diagnostic ${JSON.stringify(d)}`);
}

/**
 * What a database the parser accepted must be: the count it reports is the
 * signatures it holds, each from a line of the text, in the order of the
 * text, under a label of the database.
 */
function dbHolds(db: SignatureDb, text: string): void {
  const lists = [db.mtu, db.tcpRequest, db.tcpResponse, db.httpRequest, db.httpResponse];
  assert.equal(db.sigCount, lists.reduce((n, l) => n + l.length, 0), 'sigCount is the signatures held');
  const lines = text.split('\n').length;
  const labels = new Set(db.labels);
  for (const list of lists) {
    let prev = 0;
    for (const sig of list) {
      assert.ok(sig.line > prev && sig.line <= lines, `signature line ${sig.line} after ${prev}, of ${lines}`);
      prev = sig.line;
      if ('label' in sig) assert.ok(labels.has(sig.label), `line ${sig.line}: its label is one of the database's`);
    }
  }
}

describe('parser robustness', () => {
  it('random text never throws', () => {
    fc.assert(fc.property(fc.string({ maxLength: 400 }), (s) => mustNotThrow(s)), { numRuns: 500 });
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (s) => mustNotThrow(s)), { numRuns: 300 });
  });

  it('random mutations of valid lines never throw', () => {
    const mutation = fc.record({
      line: fc.nat(VALID.length - 1),
      at: fc.nat(200),
      del: fc.nat(4),
      ins: fc.array(pieces, { maxLength: 3 }),
    });
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 4 }), (ms) => {
        const ls = VALID.slice();
        for (const m of ms) {
          const l = ls[m.line]!;
          const at = m.at % (l.length + 1);
          ls[m.line] = l.slice(0, at) + m.ins.join('') + l.slice(at + m.del);
        }
        mustNotThrow(ls.join('\n'));
      }),
      { numRuns: 1500 },
    );
  });

  it('mutations of the p0f database never throw', { skip: existsSync(P0F_FP) ? false : `${P0F_FP} not installed` }, () => {
    const lines = readFileSync(P0F_FP, 'utf8').split('\n');
    fc.assert(
      fc.property(fc.nat(lines.length - 1), fc.nat(300), fc.array(pieces, { maxLength: 2 }), fc.boolean(), (n, at, ins, dup) => {
        const ls = lines.slice();
        const l = ls[n]!;
        ls[n] = l.slice(0, at % (l.length + 1)) + ins.join('') + l.slice((at % (l.length + 1)) + 1);
        if (dup) ls.splice(n, 0, l);
        mustNotThrow(ls.join('\n'));
      }),
      { numRuns: 200 },
    );
  });
});

const winSpec: fc.Arbitrary<WinSpec> = fc.oneof(
  fc.constant<WinSpec>({ kind: 'any' }),
  fc.integer({ min: 0, max: 65535 }).map((value): WinSpec => ({ kind: 'value', value })),
  fc.integer({ min: 2, max: 65535 }).map((value): WinSpec => ({ kind: 'mod', value })),
  fc.integer({ min: 1, max: 1000 }).map((mult): WinSpec => ({ kind: 'mss', mult })),
  fc.integer({ min: 1, max: 1000 }).map((mult): WinSpec => ({ kind: 'mtu', mult })),
);

const tcpBody: fc.Arbitrary<TcpSigBody> = fc
  .record({
    ver: fc.constantFrom<TcpSigBody['ver']>(4, 6, 'any'),
    ittl: fc.integer({ min: 1, max: 255 }),
    badTtl: fc.boolean(),
    olen: fc.integer({ min: 0, max: 255 }),
    mss: fc.option(fc.integer({ min: 0, max: 65535 })),
    win: winSpec,
    wscale: fc.option(fc.integer({ min: 0, max: 255 })),
    layout: fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: MAX_TCP_OPT }),
    eolPad: fc.integer({ min: 0, max: 255 }),
    quirks: fc.integer({ min: 0, max: 0x1ffff }),
    pclass: fc.constantFrom<TcpSigBody['pclass']>('any', 'zero', 'nonzero'),
  })
  .map(({ layout, eolPad, quirks, ...r }) => {
    const q = r.ver === 6 ? quirks & ~(Quirk.DF | Quirk.NZ_ID | Quirk.ZERO_ID | Quirk.NZ_MBZ) : r.ver === 4 ? quirks & ~Quirk.FLOW : quirks;
    const endsInEol = layout.length > 0 && layout[layout.length - 1] === 0;
    return { ...r, optLayout: layout, optKey: layout.join(','), eolPad: endsInEol ? eolPad : 0, quirks: q };
  });

const hdrName = fc.stringMatching(/^[A-Za-z0-9_-]{1,12}$/);
const hdrValue = fc.stringMatching(/^[^\]\0\n]{1,10}$/);
const httpBody: fc.Arbitrary<HttpSigBody> = fc
  .record({
    ver: fc.constantFrom<HttpSigBody['ver']>(0, 1, 'any'),
    horder: fc.array(fc.record({ name: hdrName, optional: fc.boolean(), value: fc.option(hdrValue) }), { maxLength: 32 }),
    habsentNames: fc.array(hdrName, { maxLength: 32 }),
    expsw: fc.stringMatching(/^[^:\n\0]{0,12}$/),
  })
  .map((r) => ({
    ver: r.ver,
    horder: r.horder.map((h) => ({ ...h, lname: h.name.toLowerCase() })),
    habsent: r.habsentNames.map((n) => n.toLowerCase()),
    habsentNames: r.habsentNames,
    expsw: r.expsw,
  }));

describe('format / parse round trip', () => {
  it('any TCP signature', () => {
    fc.assert(
      fc.property(tcpBody, (sig) => {
        const back = parseTcpSigText(formatTcpSig(sig));
        if (isDiagnostic(back)) assert.fail(`${formatTcpSig(sig)}: ${back.field}: ${back.message}`);
        const { line: _l, label: _b, text: _t, ...body } = back;
        assert.deepEqual(body, sig);
      }),
      { numRuns: 2000 },
    );
  });

  it('any HTTP signature', () => {
    fc.assert(
      fc.property(httpBody, (sig) => {
        const back = parseHttpSigText(formatHttpSig(sig));
        if (isDiagnostic(back)) assert.fail(`${formatHttpSig(sig)}: ${back.field}: ${back.message}`);
        const { line: _l, label: _b, text: _t, ...body } = back;
        assert.deepEqual(body, sig);
      }),
      { numRuns: 1000 },
    );
  });

  it("observed raw_sig text (with '+dist' TTL)", () => {
    const s = parseTcpSigText('4:57+7:0:1460:mss*44,7:mss,sok,ts,nop,ws:df,id+:0');
    assert.ok(!isDiagnostic(s));
    assert.equal(s.ittl, 64);
    assert.deepEqual(s.win, { kind: 'mss', mult: 44 });
    const bad = parseTcpSigText('4:51+?:0:1460:mss*44,7:mss:df:0');
    assert.ok(isDiagnostic(bad));
    assert.equal(bad.field, 'ittl');
  });
});
