/**
 * Bad input through the real CLI: every user error is one clear line on
 * stderr, a non-zero exit, no stack trace; damage never loses what came
 * before it.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { buildDemoCapture } from '../../scripts/make-sample.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pof-cli-'));

function pof(args: string[], input?: Buffer): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(root, 'src/cli/main.ts'), ...args], {
    cwd: root,
    encoding: 'utf8',
    input,
    env: { ...process.env, TZ: 'UTC' },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function noTrace(stderr: string): void {
  assert.doesNotMatch(stderr, /\n\s+at /, 'no stack trace');
}

test('a truncated capture: every record before the damage, then one line naming file and offset, exit 1', () => {
  const full = buildDemoCapture();
  const cut = full.subarray(0, full.length - 40);
  const f = path.join(tmp, 'cut.pcap');
  fs.writeFileSync(f, cut);
  const r = pof(['-r', f, '-o', path.join(tmp, 'cut.log'), '-q']);
  assert.equal(r.status, 1);
  noTrace(r.stderr);
  const err = r.stderr.trim().split('\n').pop()!;
  assert.match(err, new RegExp(`^pof: ${f.replace(/[.]/g, '\\.')}: at byte \\d+: .+`));
  const lines = fs.readFileSync(path.join(tmp, 'cut.log'), 'utf8').trim().split('\n');
  assert.ok(lines.length >= 28, `records before the damage are kept (${lines.length})`);
});

test('the same capture on stdin (-r -) gives the same records', () => {
  const a = pof(['-r', '-', '--json'], buildDemoCapture());
  assert.equal(a.status, 0, a.stderr);
  assert.equal(a.stdout.trim().split('\n').length, 32);
});

test('not a capture, a missing file, an empty file', () => {
  const junk = path.join(tmp, 'junk.pcap');
  fs.writeFileSync(junk, 'hello world, not a capture');
  const r1 = pof(['-r', junk]);
  assert.equal(r1.status, 1);
  noTrace(r1.stderr);
  assert.match(r1.stderr, /^pof: .*junk\.pcap: not a pcap or pcapng capture/m);
  const r2 = pof(['-r', path.join(tmp, 'nope.pcap')]);
  assert.equal(r2.status, 1);
  noTrace(r2.stderr);
  assert.match(r2.stderr, /nope\.pcap.*(ENOENT|no such file)/i);
  const empty = path.join(tmp, 'empty.pcap');
  fs.writeFileSync(empty, '');
  const r3 = pof(['-r', empty]);
  assert.equal(r3.status, 1);
  noTrace(r3.stderr);
});

test('a malformed signature file names file:line and field, for every problem', () => {
  const fp = path.join(tmp, 'bad.fp');
  fs.writeFileSync(fp, ['[tcp:request]', 'label = s:unix:Linux:3.x', 'sig = 4:64:0:*:mss*10,7:mss,sok,ts,nop,ws:df,id+:0', 'sig = 4:xx:0:*:8192,0:mss:df:0', 'label = s:nosuchclass:X:1', ''].join('\n'));
  const r = pof(['-r', path.join(root, 'samples/demo.pcap'), '-f', fp]);
  assert.equal(r.status, 1);
  noTrace(r.stderr);
  assert.match(r.stderr, new RegExp(`${path.basename(fp)}:4: \\w+: `));
  assert.match(r.stderr, new RegExp(`${path.basename(fp)}:5: \\w+: `));
  const c = pof(['check', fp]);
  assert.equal(c.status, 1);
  assert.match(c.stderr, /bad\.fp:4: /);
});

test('usage errors exit 2 with one line; --help lists the flags', () => {
  const r = pof(['-Z']);
  assert.equal(r.status, 2);
  assert.equal(r.stderr.trim().split('\n').length, 1);
  const h = pof(['--help']);
  assert.equal(h.status, 0);
  for (const f of ['-r FILE', '-f FILE', '-o FILE', '-i IFACE', '-s PATH', '--json']) assert.ok(h.stdout.includes(f), f);
});

test('pof check accepts the shipped database and p0f.fp', () => {
  const r = pof(['check', path.join(root, 'signatures/pof.fp')]);
  assert.equal(r.status, 0, r.stderr);
  if (fs.existsSync('/etc/p0f/p0f.fp')) assert.equal(pof(['check', '/etc/p0f/p0f.fp']).status, 0);
});
