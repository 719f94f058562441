/**
 * pof as a dependency, end to end: `npm pack` this clone, then in a new
 * folder `npm init -y` and `npm install express@5 <tarball>`, nothing else
 * (npm 11 runs no install script of a dependency it was not told to):
 *
 *   - the install is clean, and builds nothing (the addons are prebuilt);
 *   - an Express app with `pofExpress({ savedSyn: true })` answers its very
 *     first request with pof_genre set;
 *   - a strict TypeScript file importing `pof` and `pof/web` type-checks
 *     with skipLibCheck false, with no framework's types installed;
 *   - without libpcap at run time, live capture says so in one line;
 *   - without a prebuilt addon, the message tells how to build from source,
 *     and that works from the app, also where libpcap's headers are missing
 *     (a mount namespace hides them): saved SYNs work, live capture says
 *     it is not built.
 */
import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const ci = process.env.CI === 'true';
const skip = process.platform === 'linux' && process.arch === 'x64' ? false : 'the prebuilt addons are for linux-x64';
const isRoot = process.getuid?.() === 0;
const haveUnshare = spawnSync('unshare', ['--version']).status === 0;
const nsSkip = (isRoot && haveUnshare) || ci ? false : 'needs root and unshare (a mount namespace to hide libpcap headers)';

function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): SpawnSyncReturns<string> {
  // npm_* variables of an outer `npm test` would leak into the app's npm.
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)));
  return spawnSync(cmd, args, { cwd, encoding: 'utf8', env: { ...clean, ...env }, timeout: 240_000 });
}

function ok(r: SpawnSyncReturns<string>, what: string): string {
  assert.equal(r.status, 0, `${what} failed (${r.status}): ${r.stderr}\n${r.stdout}`);
  return r.stdout;
}

/** The warnings an npm command printed, but for its listing of a file dependency's `prepare` (never run for a tarball). */
function warnings(out: string): string[] {
  const lines = out.split('\n').filter((l) => /^npm warn/i.test(l));
  const scripts = lines.filter((l) => /^npm warn install-scripts/.test(l));
  const listed = scripts.map((l) => /^npm warn install-scripts {3}(\S+) \((\w+):/.exec(l)).filter((m) => m !== null);
  const onlyPrepare = listed.length > 0 && listed.every((m) => /^pof@/.test(m[1]!) && m[2] === 'prepare');
  return onlyPrepare ? lines.filter((l) => !scripts.includes(l)) : lines;
}

const APP = `
import express from 'express';
import { pofExpress } from 'pof/web';
import { addonAvailable } from 'pof';
const app = express();
app.use(pofExpress({ savedSyn: true }));
app.get('/', (req, res) => res.json(req.pof));
const server = app.listen(0, '127.0.0.1', async () => {
  const r = await fetch('http://127.0.0.1:' + server.address().port + '/');
  console.log(JSON.stringify({ pof: await r.json(), live: addonAvailable() }));
  server.close();
  server.closeAllConnections();
});
`;

const TYPED = `
import { Engine, loadSignatures, PofClient, readCaptureFile, type PofLookup } from 'pof';
import { AccessLog, createPofCore, pofExpress, pofFastify, pofKoa, withPof, type PofResult } from 'pof/web';
import { pofExpress as pofExpress2 } from 'pof/express';
import { pofKoa as pofKoa2 } from 'pof/koa';
import http from 'node:http';

const mw = pofExpress({ savedSyn: true });
const server = http.createServer(withPof((req, res) => {
  const r: PofResult | undefined = req.pof;
  res.end(r?.vars.pof_genre ?? '');
}, mw.core));
export const used = [Engine, loadSignatures, PofClient, readCaptureFile, AccessLog, createPofCore, pofFastify, pofKoa, pofExpress2, pofKoa2, server];
export type Q = PofLookup;
`;

/** Runs "$@" with /usr/include as it is, less libpcap's headers (inside `unshare -m`). */
const NO_PCAP_HEADERS = `#!/bin/sh
set -e
t=$(mktemp -d)
mkdir "$t/real" "$t/fake"
mount --make-rprivate /
mount --bind /usr/include "$t/real"
for e in "$t"/real/*; do
  n=$(basename "$e")
  case "$n" in pcap|pcap.h|pcap-*.h) continue ;; esac
  ln -s "$e" "$t/fake/$n"
done
mount --bind "$t/fake" /usr/include
exec "$@"
`;

describe('pof as a dependency: npm pack, npm install express@5 <tarball>, nothing else', { skip }, () => {
  let dir = '';
  let app = '';
  let tarball = '';
  let installOut = '';

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'pof-package-'));
    app = join(dir, 'app');
    const name = ok(run('npm', ['pack', '--silent', '--pack-destination', dir], root), 'npm pack').trim().split('\n').at(-1)!;
    tarball = join(dir, name);
    ok(run('mkdir', [app], dir), 'mkdir');
    ok(run('npm', ['init', '-y'], app), 'npm init');
    const r = run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', 'express@5', tarball], app);
    installOut = ok(r, 'npm install') + r.stderr;
    writeFileSync(join(app, 'app.mjs'), APP);
  });

  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('the tarball holds the prebuilt addons and their sources, and no build folder', () => {
    const files = ok(run('tar', ['-tzf', tarball], dir), 'tar').split('\n');
    for (const f of ['prebuilds/linux-x64/pof_saved_syn.node', 'prebuilds/linux-x64/pof_pcap.node', 'native/saved_syn.cc', 'native/saved-syn/binding.gyp', 'native/pcap/binding.gyp', 'dist/web/express.d.ts', 'dist/web/fastify.d.ts']) {
      assert.ok(files.includes(`package/${f}`), f);
    }
    assert.deepEqual(files.filter((f) => /\/build\/|\.o$|^package\/(test|src)\//.test(f)), []);
  });

  it('pof report runs from the installed package: its chart library came along as a dependency', () => {
    const r = run(process.execPath, [join(app, 'node_modules/pof/dist/cli/main.js'), 'report', join(app, 'node_modules/pof/samples/demo.pcap'), '-q', '-o', 'report.html'], app);
    ok(r, 'pof report');
    const html = readFileSync(join(app, 'report.html'), 'utf8');
    assert.match(html, /Chart\.js v4\.\d+\.\d+, inlined from the npm package chart\.js/);
    assert.doesNotMatch(html, /https?:\/\//);
  });

  it('npm install warns of nothing and builds nothing', () => {
    assert.deepEqual(warnings(installOut), []);
    for (const d of ['saved-syn', 'pcap']) assert.equal(existsSync(join(app, 'node_modules/pof/native', d, 'build')), false);
  });

  it("the first request of an Express app with savedSyn has the connection's verdict", () => {
    const r = JSON.parse(ok(run(process.execPath, ['app.mjs'], app), 'the app')) as { pof: { err: string | null; via: string[]; vars: Record<string, string> }; live: boolean };
    assert.equal(r.pof.err, null);
    assert.deepEqual(r.pof.via, ['saved-syn']);
    assert.equal(r.pof.vars.pof_genre, 'Linux');
    assert.equal(r.live, true, 'the prebuilt libpcap addon loads');
  });

  it('a strict TypeScript file importing pof and pof/web type-checks with skipLibCheck false, no framework types installed', () => {
    const v = (p: string): string => (JSON.parse(readFileSync(join(root, 'node_modules', p, 'package.json'), 'utf8')) as { version: string }).version;
    ok(run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '-D', `typescript@${v('typescript')}`, `@types/node@${v('@types/node')}`], app), 'npm install typescript');
    for (const p of ['@types/express', 'koa', '@types/koa', 'fastify']) assert.equal(existsSync(join(app, 'node_modules', p)), false, p);
    writeFileSync(
      join(app, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { strict: true, skipLibCheck: false, noEmit: true, module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', types: ['node'] }, files: ['typed.ts'] }),
    );
    writeFileSync(join(app, 'typed.ts'), TYPED);
    const r = run(join(app, 'node_modules/.bin/tsc'), ['-p', '.'], app);
    assert.equal(r.status, 0, r.stdout + r.stderr);
  });

  it('without libpcap at run time, live capture says so in one line', () => {
    // The app's copy of the prebuilt addon, made to want a libpcap that is not there.
    const f = join(app, 'node_modules/pof/prebuilds/linux-x64/pof_pcap.node');
    const b = readFileSync(f);
    const at = b.indexOf('libpcap.so.');
    assert.ok(at > 0);
    b[at + 11] = b[at + 11] === 0x39 ? 0x37 : 0x39;
    const missing = /^libpcap\.so\.[\d.]+/.exec(b.subarray(at, at + 32).toString('latin1'))![0];
    writeFileSync(f, b);
    const out = ok(run(process.execPath, ['-e', "import('pof').then((m) => { try { m.listInterfaces(); console.log('loaded'); } catch (e) { console.log(e.message); } })"], app), 'listInterfaces');
    assert.equal(out.trim().split('\n').length, 1);
    assert.match(out, new RegExp(`^live capture: the native addon pof_pcap needs libpcap at run time, and ${missing.replace(/\./g, '\\.')} is not installed \\(Debian/Ubuntu: apt-get install libpcap0\\.8; elsewhere build the addon from source with \`npm explore pof -- npm run build:native -- pcap\``));
  });

  it('with no prebuilt addon, the hint builds it from the app; without libpcap headers saved SYNs still work', { skip: nsSkip }, () => {
    rmSync(join(app, 'node_modules/pof/prebuilds'), { recursive: true });
    const none = ok(run(process.execPath, ['-e', "import('pof/web').then((m) => { try { m.createPofCore({ savedSyn: true }); } catch (e) { console.log(e.message); } })"], app), 'createPofCore');
    assert.equal(none.trim(), 'pof middleware: savedSyn: the native addon pof_saved_syn is neither prebuilt for linux-x64 nor built: build it from source with `npm explore pof -- npm run build:native -- saved-syn` (needs python3, make and g++)');
    // Both addons, as one might, where libpcap's headers are not installed.
    const script = join(dir, 'no-pcap-headers.sh');
    writeFileSync(script, NO_PCAP_HEADERS);
    chmodSync(script, 0o755);
    const b = run('unshare', ['-m', script, 'npm', 'explore', 'pof', '--', 'npm', 'run', 'build:native'], app);
    assert.notEqual(b.status, 0, 'the libpcap addon cannot build');
    assert.match(b.stderr, /^pof: the live capture addon was not built: libpcap's headers are missing \(Debian: apt-get install libpcap-dev\); reading capture files still works$/m);
    assert.doesNotMatch(b.stderr, /saved-SYN addon was not built/);
    assert.deepEqual(readdirSync(join(app, 'node_modules/pof/native/saved-syn/build/Release')).filter((f) => f.endsWith('.node')), ['pof_saved_syn.node']);
    const r = JSON.parse(ok(run(process.execPath, ['app.mjs'], app), 'the app')) as { pof: { err: string | null; vars: Record<string, string> }; live: boolean };
    assert.equal(r.pof.err, null);
    assert.equal(r.pof.vars.pof_genre, 'Linux');
    assert.equal(r.live, false);
  });
});
