/**
 * OS families read from label text (db/families.ts), on hand-written names
 * and on the labels of both databases as loaded.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { familiesOf, familyOfName, isMerged, labelFamilies, osAgrees, stackFamily } from '../../src/db/families.js';
import { loadSignatures } from '../../src/db/load.js';
import { parseSignatures } from '../../src/db/parse.js';

const here = path.dirname(fileURLToPath(import.meta.url));

describe('labelFamilies', () => {
  const cases: Array<[string, string | null, string[]]> = [
    ['Windows', '10 or 11 (or Server 2016+)', ['windows']],
    ['Windows', '2000, XP or Server 2003', ['windows']],
    ['Linux', '4.19 or newer', ['linux']],
    ['Linux', '2.6.39 to 3.x (or Android 4.x)', ['linux', 'android']],
    ['macOS or iOS', '2017 or newer (macOS 10.13+, iOS 11+)', ['macos', 'ios']],
    ['macOS', '(loopback)', ['macos']],
    ['Mac OS X', '10.x', ['macos']],
    ['MacOS X', '10.9 or newer (sometimes iPhone or iPad)', ['macos']],
    ['Solaris', '10 or newer (or illumos)', ['solaris']],
    ['NetBSD', '(or a NetBSD-based appliance)', ['netbsd']],
    ['Linux', '(Android)', ['linux']],
    ['Cisco IOS', null, []],
    ['Google front end', null, []],
    ['FreeBSD or DragonFly BSD', null, ['freebsd', 'dragonfly']],
    ['HP-UX', null, ['hpux']],
    ['Windows', '(or ChromeOS 5, or Linux)', ['windows', 'chromeos', 'linux']],
  ];
  for (const [name, flavor, want] of cases) {
    test(`${name} / ${flavor ?? '-'}`, () => assert.deepEqual(labelFamilies(name, flavor), want));
  }

  test('spellings are case-insensitive, whole names only', () => {
    assert.equal(familyOfName('mac os x'), 'macos');
    assert.equal(familyOfName('  iPhone  OS '), 'ios');
    assert.equal(familyOfName('Cisco IOS'), null);
    assert.equal(familyOfName('Linuxish'), null);
  });

  test('an "(or X)" alternative must start with a family name', () => {
    assert.deepEqual(labelFamilies('Linux', '(or Androidish 2)'), ['linux']);
    assert.deepEqual(labelFamilies('Linux', '(or android12)'), ['linux', 'android']);
  });

  test('a long flavor is read in linear time (no nested parentheses)', () => {
    const flavor = '(or '.repeat(20000) + 'x';
    assert.deepEqual(labelFamilies('Linux', flavor), ['linux']);
  });
});

describe('familiesOf on parsed labels', () => {
  const text = [
    'classes = win,unix,other',
    '[tcp:request]',
    'label = s:unix:macOS or iOS:2017',
    'sig = *:64:0:*:65535,*:mss,nop,ws,nop,nop,ts,sok,eol+1:df:0',
    'label = s:!:Nmap:SYN scan',
    'sys = @unix',
    'sig = *:64-:0:1460:1024,0:mss::0',
  ].join('\n');
  const r = parseSignatures(text, 'inline');
  assert.ok(r.ok);
  const [apple, nmap] = r.db.labels;

  test('an OS label gets the families of its text', () => {
    assert.deepEqual(familiesOf(apple!), ['macos', 'ios']);
    assert.ok(isMerged(apple!));
  });

  test('a userland label has none, even if its name were an OS', () => {
    assert.deepEqual(familiesOf(nmap!), []);
    assert.equal(isMerged(nmap!), false);
  });
});

describe('osAgrees', () => {
  test('a User-Agent family agrees with a TCP verdict that names it', () => {
    assert.ok(osAgrees(['ios'], ['macos', 'ios']));
    assert.ok(osAgrees(['macos', 'ios'], ['macos']));
    assert.ok(!osAgrees(['windows'], ['macos', 'ios']));
    assert.ok(!osAgrees(['android'], ['linux']));
  });

  test('ChromeOS uses the Linux stack; no evidence on either side is no agreement', () => {
    assert.equal(stackFamily('chromeos'), 'linux');
    assert.ok(osAgrees(['chromeos'], ['linux']));
    assert.ok(!osAgrees([], ['linux']));
    assert.ok(!osAgrees(['linux'], []));
  });
});

describe('the shipped database', () => {
  const db = loadSignatures(path.resolve(here, '../../signatures/pof.fp'));

  test('every OS label of the TCP sections names at least one family it knows', () => {
    const none = db.labels
      .filter((l) => l.cls !== null && l.cls !== 'net')
      .filter((l) => db.tcpRequest.some((s) => s.label === l) || db.tcpResponse.some((s) => s.label === l))
      .filter((l) => familiesOf(l).length === 0)
      .map((l) => `${l.line}: ${l.name}`);
    assert.deepEqual(none, []);
  });

  test('its merges are the ones the label text says', () => {
    const merges = [...new Set(db.labels.filter((l) => isMerged(l)).map((l) => `${l.name} ${l.flavor ?? ''}`.trim()))];
    assert.ok(merges.includes('macOS or iOS 2017 or newer (macOS 10.13+, iOS 11+)'), merges.join('\n'));
    assert.ok(merges.includes('Linux 2.6.39 to 3.x (or Android 4.x)'), merges.join('\n'));
  });
});
