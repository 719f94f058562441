/**
 * The counting rules of scripts/eval.ts (the accuracy figures of the shipped
 * database rest on them), on hand-made verdicts and rows.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { locate, stackSig, tupleKey, zeroCounts, type FileRun, type Labeled, type SynVerdict } from '../../scripts/eval-run.js';
import { judge, truthOf } from '../../scripts/eval-score.js';
import type { OsFamily } from '../../src/db/families.js';

const verdict = (label: string | null, families: OsFamily[], userland = false): SynVerdict => ({
  label,
  userland,
  families,
  line: label ? 1 : null,
  rawSig: '',
  stackSig: '',
  encap: false,
});

const row = (uaFamily: string, userAgent: string, over: Partial<Labeled> = {}): Labeled => ({
  file: 'f.pcap',
  cli: '10.0.0.1',
  key: tupleKey('10.0.0.1', 40000, '10.0.0.2', 80),
  ports: '40000>80',
  uaFamily,
  userAgent,
  ...over,
});

describe('eval counting', () => {
  test('stack signature: the TTL back to its initial value, the MSS as *', () => {
    assert.equal(stackSig('4:63+1:0:1400:mss*10,7:mss,sok,ts,nop,ws:df,id+:0'), '4:64:0:*:mss*10,7:mss,sok,ts,nop,ws:df,id+:0');
    assert.equal(stackSig('4:143+?:0:1460:mss*44,7:mss,nop,nop,sok,nop,ws:df,id+:0'), '4:143+?:0:*:mss*44,7:mss,nop,nop,sok,nop,ws:df,id+:0');
  });

  test('outcomes', () => {
    assert.equal(judge(undefined, 'linux'), 'nosyn');
    assert.equal(judge(verdict(null, []), 'linux'), 'unnamed');
    assert.equal(judge(verdict('Linux 4.19 or newer', ['linux']), 'linux'), 'strict');
    assert.equal(judge(verdict('Linux 4.19 or newer', ['linux']), 'chromeos'), 'strict');
    assert.equal(judge(verdict('macOS or iOS', ['macos', 'ios']), 'ios'), 'merged');
    assert.equal(judge(verdict('macOS or iOS', ['macos', 'ios']), 'windows'), 'wrong');
    assert.equal(judge(verdict('Linux 4.19 or newer', ['linux']), 'android'), 'wrong');
    assert.equal(judge(verdict('Nmap SYN scan', [], true), 'linux'), 'wrong');
  });

  test("truth: labeled.tsv's family, except an OS component's fixed agent", () => {
    assert.deepEqual(truthOf(row('Mac OS X', 'x')).families, ['macos']);
    assert.deepEqual(truthOf(row('Apple', 'x')).families, ['macos', 'ios']);
    assert.deepEqual(truthOf(row('unknown', 'curl/8.5.0')).families, []);
    const probe = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/60.0.3112.32 Safari/537.36';
    const t = truthOf(row('Linux', probe));
    assert.deepEqual(t.families, ['android']);
    assert.deepEqual(t.labelled, ['linux']);
    assert.match(t.lie!, /connectivity check/);
    assert.deepEqual(truthOf(row('Linux', probe), false).families, ['linux']);
  });

  test('a tunnelled flow is found by its ports only when one encapsulated SYN has them', () => {
    const inner = tupleKey('192.168.0.5', 40000, '192.168.9.9', 80);
    const run: FileRun = { syn: new Map(), encapByPorts: new Map(), ...zeroCounts(), unnamedSyn: [], unnamedSynack: [], synLines: new Map(), badSw: new Map() };
    run.syn.set(inner, { ...verdict('Windows', ['windows']), encap: true });
    run.encapByPorts.set('40000>80', [inner]);
    const r = row('Windows', 'x');
    assert.equal(locate(run, r).how, 'tunnel');
    assert.equal(locate(run, r, true).how, 'none');
    run.encapByPorts.set('40000>80', [inner, inner + 'x']);
    assert.equal(locate(run, r).how, 'none');
  });
});
