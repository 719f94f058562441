/**
 * Golden tests on the project's own sample capture (samples/demo.pcap, made
 * by scripts/make-sample.ts): the real CLI's p0f log, console and JSON
 * output; and, where p0f 3.09b is installed, agreement with p0f itself.
 * UPDATE_GOLDEN=1 rewrites the expected files after a deliberate change.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { buildDemoCapture, DEMO_PATH } from '../../scripts/make-sample.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pof-golden-'));
const haveP0f = spawnSync('sh', ['-c', 'command -v p0f'], { stdio: 'ignore' }).status === 0 && fs.existsSync('/etc/p0f/p0f.fp');

function pof(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(root, 'src/cli/main.ts'), ...args], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, TZ: 'UTC' },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function golden(name: string, actual: string): void {
  const file = path.join(here, name);
  if (process.env.UPDATE_GOLDEN === '1') fs.writeFileSync(file, actual);
  assert.equal(actual, fs.readFileSync(file, 'utf8'), `${name} differs (UPDATE_GOLDEN=1 after a deliberate change)`);
}

test('the committed sample is exactly what scripts/make-sample.ts builds', () => {
  assert.ok(buildDemoCapture().equals(fs.readFileSync(DEMO_PATH)));
});

test('p0f log with the shipped database', () => {
  const log = path.join(tmp, 'demo.log');
  const r = pof(['-r', DEMO_PATH, '-o', log, '-q']);
  assert.equal(r.status, 0, r.stderr);
  golden('demo.log', fs.readFileSync(log, 'utf8'));
  assert.match(r.stderr, /Processed 28 packets .*4 beyond p0f/);
});

test('console blocks and JSON lines', () => {
  const c = pof(['-r', DEMO_PATH]);
  assert.equal(c.status, 0, c.stderr);
  golden('demo.console', c.stdout);
  const j = pof(['-r', DEMO_PATH, '--json']);
  assert.equal(j.status, 0, j.stderr);
  const objs = j.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.equal(objs.length, 32);
  const mods = new Set(objs.map((o) => o.mod));
  for (const m of ['syn', 'syn+ack', 'mtu', 'uptime', 'http request', 'http response']) assert.ok(mods.has(m), m);
  const tunnelled = objs.filter((o) => o.encap === true);
  assert.equal(tunnelled.length, 4);
  const winSyn = objs.find((o) => o.mod === 'syn' && (o.cli as { addr: string }).addr === '192.168.1.20') as {
    detail: { kind: string; match: { name: string }; quality: number };
  };
  assert.equal(winSyn.detail.kind, 'tcp');
  assert.equal(winSyn.detail.match.name, 'Windows');
  golden('demo.jsonl', j.stdout);
});

test('with p0f.fp, pof writes what p0f 3.09b writes, plus only the tunnelled records', { skip: !haveP0f && 'p0f 3.09b not installed' }, () => {
  const a = path.join(tmp, 'pof.log');
  const b = path.join(tmp, 'p0f.log');
  const r = pof(['-r', DEMO_PATH, '-f', '/etc/p0f/p0f.fp', '-o', a, '-q']);
  assert.equal(r.status, 0, r.stderr);
  spawnSync('p0f', ['-r', DEMO_PATH, '-o', b], { env: { ...process.env, TZ: 'UTC' }, stdio: 'ignore' });
  const ours = fs.readFileSync(a, 'utf8').trim().split('\n');
  const theirs = fs.readFileSync(b, 'utf8').trim().split('\n');
  const beyond = ours.filter((l) => /cli=(10\.20\.0\.5|172\.16\.5\.5)\//.test(l));
  assert.equal(beyond.length, 4);
  assert.deepEqual(
    ours.filter((l) => !beyond.includes(l)),
    theirs,
  );
});
