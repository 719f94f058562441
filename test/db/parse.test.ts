import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseSignatures } from '../../src/db/parse.js';
import { diagnostics, expectOne, parseOk } from './helpers.js';

const lines = (...ls: string[]): string => ls.join('\n') + '\n';
const CL = 'classes = win,unix,other';
const OS_SIG = 'sig = 4:64:0:*:8192,0:mss::0';

describe('file structure', () => {
  it('comments, blank lines and leading blanks', () => {
    const db = parseOk(lines('; comment', '', '   ', '\t; indented comment', CL, '  [tcp:request]', '\tlabel = s:unix:Linux:', `   ${OS_SIG}`));
    assert.equal(db.sigCount, 1);
    assert.deepEqual(db.classes, ['win', 'unix', 'other']);
  });

  it('blanks around = are optional', () => {
    const db = parseOk(lines('classes=win', '[tcp:request]', 'label\t=\ts:win:X:', 'sig=4:64:0:*:8192,0:mss::0'));
    assert.equal(db.tcpRequest[0]!.label.name, 'X');
  });

  it("'#' is not a comment in p0f.fp", () => {
    expectOne(lines(CL, '# hello'), 2, 'statement', /comments start with ';'/);
  });

  it('several classes lines add up; classes are matched case-insensitively', () => {
    const db = parseOk(lines('classes = win', 'classes = unix', '[tcp:request]', 'label = s:UNIX:Linux:', OS_SIG));
    assert.deepEqual(db.classes, ['win', 'unix']);
    assert.equal(db.labels[0]!.cls, 'unix');
  });

  it('every section kind, with counts', () => {
    const db = parseOk(
      lines(
        CL,
        '[mtu]',
        'label = Ethernet',
        'sig = 1500',
        'sig = 576',
        '[tcp:request]',
        'label = s:unix:Linux:3.x',
        OS_SIG,
        '[tcp:response]',
        'label = s:unix:Linux:3.x',
        OS_SIG,
        '[http:request]',
        'ua_os = Linux,Windows,iOS=[iPad]',
        'label = s:!:Firefox:',
        'sys = Windows,@unix',
        'sig = *:Host,User-Agent::Firefox/',
        '[http:response]',
        'label = s:!:Apache:2.x',
        'sys = @unix',
        'sig = 1:Date,Server::Apache',
      ),
    );
    assert.equal(db.sigCount, 6);
    assert.deepEqual(db.mtu, [
      { line: 4, name: 'Ethernet', mtu: 1500 },
      { line: 5, name: 'Ethernet', mtu: 576 },
    ]);
    assert.equal(db.tcpRequest.length, 1);
    assert.equal(db.tcpResponse.length, 1);
    assert.equal(db.httpRequest.length, 1);
    assert.equal(db.httpResponse.length, 1);
    assert.deepEqual(db.uaOs, [
      { name: 'Linux', substr: 'Linux' },
      { name: 'Windows', substr: 'Windows' },
      { name: 'iOS', substr: 'iPad' },
    ]);
    assert.deepEqual(
      db.labels.map((l) => [l.id, l.line, l.name, l.cls]),
      [
        [1, 7, 'Linux', 'unix'],
        [2, 10, 'Linux', 'unix'],
        [3, 14, 'Firefox', null],
        [4, 18, 'Apache', null],
      ],
    );
    assert.deepEqual(db.labels[2]!.sys, [
      { kind: 'name', name: 'Windows' },
      { kind: 'class', cls: 'unix' },
    ]);
    assert.equal(db.httpRequest[0]!.label, db.labels[2]);
  });

  it('a section may appear twice', () => {
    const db = parseOk(lines(CL, '[tcp:request]', 'label = s:unix:A:', OS_SIG, '[tcp:request]', 'label = s:unix:B:', 'sig = 4:64:0:*:8192,0:nop::0'));
    assert.equal(db.tcpRequest.length, 2);
  });

  it('names keep the first spelling seen (p0f compares them case-insensitively)', () => {
    const db = parseOk(lines(CL, '[tcp:request]', 'label = s:unix:Linux:', OS_SIG, 'label = s:unix:LINUX:2', 'sig = 4:64:0:*:8192,0:nop::0', '[http:request]', 'ua_os = linux', 'label = s:!:curl:', 'sys = linux,@UNIX', 'sig = *:Host::'));
    assert.deepEqual(
      db.labels.map((l) => l.name),
      ['Linux', 'Linux', 'curl'],
    );
    assert.deepEqual(db.uaOs, [{ name: 'Linux', substr: 'Linux' }]);
    assert.deepEqual(db.labels[2]!.sys, [
      { kind: 'name', name: 'Linux' },
      { kind: 'class', cls: 'unix' },
    ]);
  });

  it('label fields', () => {
    const db = parseOk(lines(CL, '[tcp:request]', 'label = g:win:Windows:XP or 2000 ', OS_SIG, 'label = s:other:Mac OS X (x/y)-1_2.!?:', 'sig = 4:64:0:*:8192,0:nop::0'));
    const [a, b] = db.labels;
    assert.deepEqual({ ...a!, sys: undefined }, { id: 1, line: 3, generic: true, cls: 'win', name: 'Windows', flavor: 'XP or 2000 ', sys: undefined });
    assert.equal(b!.name, 'Mac OS X (x/y)-1_2.!?');
    assert.equal(b!.flavor, null);
  });

  it('text after a NUL byte is ignored, with a warning', () => {
    const r = parseSignatures(lines(CL, '[tcp:request]', 'label = s:unix:A:', OS_SIG + '\0junk', 'garbage'), 'x.fp');
    assert.ok(r.ok);
    assert.equal(r.db.sigCount, 1);
    assert.deepEqual(
      r.warnings.map((w) => [w.line, w.field]),
      [[4, 'file']],
    );
  });

  it('an empty file loads with a warning (p0f: "No signatures found")', () => {
    const r = parseSignatures('', 'x.fp');
    assert.ok(r.ok);
    assert.equal(r.db.sigCount, 0);
    assert.match(r.warnings[0]!.message, /no signatures/);
  });

  it('ttl- olen skip is a warning on the sig line', () => {
    const r = parseSignatures(lines(CL, '[tcp:request]', 'label = s:unix:A:', 'sig = 4:64-:12:*:8192,0:mss::0'), 'x.fp');
    assert.ok(r.ok);
    assert.deepEqual(
      r.warnings.map((w) => [w.line, w.field]),
      [[4, 'olen']],
    );
  });
});

describe('file structure: refused (line, field)', () => {
  const cases: Array<[string, string, number, string, RegExp?]> = [
    ['statement without =', lines(CL, 'label s:win:X:'), 2, 'statement'],
    ['statement with empty name', lines(CL, '= x'), 2, 'statement'],
    ['statement name with digits', lines(CL, 'sig2 = x'), 2, 'statement'],
    ['unknown field', lines(CL, 'foo = bar'), 2, 'statement', /unknown field 'foo'/],
    ['classes with trailing comma', lines('classes = win,'), 1, 'classes'],
    ['classes with trailing blank', lines('classes = win,unix '), 1, 'classes'],
    ['classes with blank before comma', lines('classes = win ,unix'), 1, 'classes'],
    ['classes with odd character', lines('classes = win,un-ix'), 1, 'classes'],
    ['classes after a section', lines('[tcp:request]', 'classes = win'), 2, 'classes', /before the first section/],
    ['section without colon', lines(CL, '[tcp]'), 2, 'section'],
    ['unknown module', lines(CL, '[ssl:request]'), 2, 'section', /unknown module 'ssl'/],
    ['mtu with direction', lines(CL, '[mtu:request]'), 2, 'section', /unknown module 'mtu'/],
    ['unknown direction', lines(CL, '[tcp:client]'), 2, 'section'],
    ['trailing blank after section', lines(CL, '[tcp:request] '), 2, 'section'],
    ['[mtu] with trailing blank', lines(CL, '[mtu] '), 2, 'section'],
    ['module case matters', lines(CL, '[TCP:request]'), 2, 'section'],
    ['label before any section', lines(CL, 'label = s:win:X:'), 2, 'label'],
    ['sig before any section', lines(CL, OS_SIG), 2, 'sig'],
    ['sig before label', lines(CL, '[tcp:request]', OS_SIG), 3, 'sig', /needs a 'label'/],
    ['sig before label in a new section', lines(CL, '[tcp:request]', 'label = s:win:X:', OS_SIG, '[tcp:response]', OS_SIG), 6, 'sig'],
    ['label type', lines(CL, '[tcp:request]', 'label = x:win:X:'), 3, 'label', /'s' \(specific\) or 'g'/],
    ['label type separator', lines(CL, '[tcp:request]', 'label = s;win:X:'), 3, 'label'],
    ['label empty', lines(CL, '[tcp:request]', 'label = '), 3, 'label'],
    ['label empty class', lines(CL, '[tcp:request]', 'label = s::X:'), 3, 'label'],
    ['label unknown class', lines(CL, '[tcp:request]', 'label = s:bsd:X:'), 3, 'label', /unknown class 'bsd'/],
    ['label class with !', lines(CL, '[tcp:request]', 'label = s:win!:X:'), 3, 'label', /unknown class/],
    ['label no name', lines(CL, '[tcp:request]', 'label = s:win::x'), 3, 'label'],
    ['label name without colon', lines(CL, '[tcp:request]', 'label = s:win:X'), 3, 'label'],
    ['label name bad char', lines(CL, '[tcp:request]', 'label = s:win:X$:'), 3, 'label'],
    ['empty MTU label', lines(CL, '[mtu]', 'label = '), 3, 'label', /empty MTU label/],
    ['MTU 0', lines(CL, '[mtu]', 'label = x', 'sig = 0'), 4, 'mtu'],
    ['MTU too big', lines(CL, '[mtu]', 'label = x', 'sig = 65536'), 4, 'mtu'],
    ['MTU not a number', lines(CL, '[mtu]', 'label = x', 'sig = *'), 4, 'mtu'],
    ['MTU trailing blank', lines(CL, '[mtu]', 'label = x', 'sig = 1500 '), 4, 'mtu'],
    ['sys in mtu', lines(CL, '[mtu]', 'label = x', 'sys = Linux'), 4, 'sys'],
    ['sys after OS label', lines(CL, '[tcp:request]', 'label = s:win:X:', 'sys = Linux'), 4, 'sys', /only for application labels/],
    ['sys twice', lines(CL, '[tcp:request]', 'label = s:!:X:', 'sys = Linux', 'sys = Linux'), 5, 'sys'],
    ['sys before label', lines(CL, '[tcp:request]', 'sys = Linux'), 3, 'sys'],
    ['sys missing before sig', lines(CL, '[tcp:request]', 'label = s:!:X:', OS_SIG), 4, 'sys', /needs a 'sys =' line/],
    ['sys missing before next label', lines(CL, '[tcp:request]', 'label = s:!:X:', 'label = s:win:Y:', OS_SIG), 4, 'sys'],
    ['sys unknown class', lines(CL, '[tcp:request]', 'label = s:!:X:', 'sys = @bsd'), 4, 'sys', /unknown class '@bsd'/],
    ['sys bad separator', lines(CL, '[tcp:request]', 'label = s:!:X:', 'sys = Linux;Mac'), 4, 'sys'],
    ['sys empty entry after @', lines(CL, '[tcp:request]', 'label = s:!:X:', 'sys = @'), 4, 'sys'],
    ['ua_os outside http:request', lines(CL, '[http:response]', 'ua_os = Linux'), 3, 'ua_os'],
    ['ua_os in tcp', lines(CL, '[tcp:request]', 'ua_os = Linux'), 3, 'ua_os'],
    ['ua_os after a label', lines(CL, '[http:request]', 'label = s:!:X:', 'sys = Linux', 'ua_os = Linux'), 5, 'ua_os'],
    ['ua_os bad name', lines(CL, '[http:request]', 'ua_os = Linux;Win'), 3, 'ua_os'],
    ['ua_os without [', lines(CL, '[http:request]', 'ua_os = iOS=iPad'), 3, 'ua_os', /'\['/],
    ['ua_os unterminated', lines(CL, '[http:request]', 'ua_os = iOS=[iPad'), 3, 'ua_os'],
    ['ua_os empty value', lines(CL, '[http:request]', 'ua_os = iOS=[]'), 3, 'ua_os'],
    ['ua_os empty', lines(CL, '[http:request]', 'ua_os = ,'), 3, 'ua_os'],
  ];
  for (const [name, text, line, field, re] of cases) {
    it(name, () => {
      expectOne(text, line, field, re);
    });
  }

  it('ua_os takes the odd forms p0f takes', () => {
    const db = parseOk(lines(CL, '[http:request]', 'ua_os = iOS=[iPad]x,Mac OS X', 'ua_os = Linux'));
    assert.deepEqual(db.uaOs, [
      { name: 'iOS', substr: 'iPad' },
      { name: 'x', substr: 'x' },
      { name: 'Mac OS X', substr: 'Mac OS X' },
      { name: 'Linux', substr: 'Linux' },
    ]);
  });

  it('an empty sys list is allowed', () => {
    const db = parseOk(lines(CL, '[tcp:request]', 'label = s:!:X:', 'sys = ', OS_SIG));
    assert.deepEqual(db.labels[0]!.sys, []);
  });
});

describe('every problem is reported, with resynchronisation', () => {
  it('reports each bad line once and keeps going', () => {
    const ds = diagnostics(
      lines(
        CL,
        '[tcp:request]',
        'label = s:unix:Linux:',
        'sig = 4:64:0:*:8192,0:mss:zz:0', // 4 quirks
        OS_SIG,
        'sig = 7:64:0:*:8192,0:mss::0', // 6 ver
        'label = s:bsd:X:', // 7 label
        'sig = 4:64:0:*:8192,0:nop:df:0', // checked under the stand-in label
        'sig = 4:64:0:*:8192,0:nop:df:x', // 9 pclass
        OS_SIG, // 10 duplicate of line 5
        '[ssl:request]', // 11 section
        'this whole section is skipped',
        'sig = nonsense',
        '[http:response]',
        'label = s:!:Apache:',
        'sig = 1:Date::', // 16 missing sys
        'sig = 1:Server::x:y', // 17 expsw
      ),
    );
    assert.deepEqual(
      ds.map((d) => [d.line, d.field]),
      [
        [4, 'quirks'],
        [6, 'ver'],
        [7, 'label'],
        [9, 'pclass'],
        [10, 'sig'],
        [11, 'section'],
        [16, 'sys'],
        [17, 'expsw'],
      ],
    );
    for (const d of ds) assert.equal(d.file, 'test.fp');
  });

  it('never throws on odd input', () => {
    for (const t of ['[', ']', '=', '[:]', 'sig', 'sig =', 'label =', '\r\n', '\0', '[mtu]\nsig = 1', '[http:request]\nlabel = s:!:a:\nsys=\nsig=']) {
      const r = parseSignatures(t, 'x');
      assert.ok(r.ok || r.diagnostics.length > 0);
    }
  });
});
