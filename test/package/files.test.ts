// The package holds the guides and the systemd unit (issue 20): the README
// links docs/*.md, and daemon.md installs contrib/pof.service.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { it } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));

it('npm pack ships docs/ and contrib/', () => {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)));
  const r = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, encoding: 'utf8', env: clean, timeout: 120_000 });
  assert.equal(r.status, 0, r.stderr);
  const files = new Set((JSON.parse(r.stdout) as Array<{ files: Array<{ path: string }> }>)[0]!.files.map((f) => f.path));
  const want = [
    ...readdirSync(`${root}docs`).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`),
    ...readdirSync(`${root}contrib`).map((f) => `contrib/${f}`),
  ];
  assert.ok(want.includes('docs/web.md') && want.includes('contrib/pof.service'));
  assert.deepEqual(want.filter((f) => !files.has(f)), []);
});
