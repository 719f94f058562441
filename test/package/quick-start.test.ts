/**
 * The README's first command, `npm ci && npx pof -r samples/demo.pcap`:
 * `npm ci` builds dist/ (its `prepare`), and the first `npx pof` in a clone
 * installs the clone into npx's cache, which runs `prepare` again, with its
 * output hidden. That second run must find dist/ up to date and rebuild
 * nothing. Here on a copy of this tree (node_modules linked, not
 * reinstalled, and a private npm cache), so that the test neither needs the
 * registry nor touches this checkout's dist/.
 */
import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, before, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const COPY = ['src', 'signatures', 'samples', 'scripts', 'native', 'prebuilds', 'package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json'];

function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): SpawnSyncReturns<string> {
  // npm_* variables of an outer `npm test` would leak into this npm.
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)));
  return spawnSync(cmd, args, { cwd, encoding: 'utf8', env: { ...clean, ...env }, timeout: 300_000 });
}

/** Every file under dir with its modification time (ns). */
function stamps(dir: string): Map<string, bigint> {
  const out = new Map<string, bigint>();
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.set(relative(dir, p), statSync(p, { bigint: true }).mtimeNs);
    }
  };
  walk(dir);
  return out;
}

let tmp = '';
let clone = '';
before(() => {
  tmp = mkdtempSync(join(tmpdir(), 'pof-quick-start-'));
  clone = join(tmp, 'pof');
  for (const f of COPY) cpSync(join(root, f), join(clone, f), { recursive: true, filter: (s) => !/[\\/](build|node_modules)$/.test(s) });
  symlinkSync(join(root, 'node_modules'), join(clone, 'node_modules'));
});
after(() => rmSync(tmp, { recursive: true, force: true }));

it("the first npx pof after the build rebuilds nothing and prints the demo", { timeout: 600_000 }, () => {
  const build = run('npm', ['run', 'build'], clone);
  assert.equal(build.status, 0, `npm run build failed:\n${build.stdout}\n${build.stderr}`);
  const before = stamps(join(clone, 'dist'));
  assert.ok(before.has(join('cli', 'main.js')));
  const npx = run('npm', ['exec', '--', 'pof', '-r', 'samples/demo.pcap'], clone, { npm_config_cache: join(tmp, 'npm-cache'), npm_config_update_notifier: 'false' });
  assert.equal(npx.status, 0, npx.stderr);
  assert.match(npx.stdout, /^\.-\[ 192\.168\.1\.10\/45012 -> 203\.0\.113\.80\/80 \(syn\) \]-$/m);
  assert.match(npx.stderr, /\[\+\] Processed 28 packets/);
  const after = stamps(join(clone, 'dist'));
  const changed = [...after].filter(([f, t]) => before.get(f) !== t).map(([f]) => f);
  assert.deepEqual(changed, [], 'files npx rewrote in dist/');
});
