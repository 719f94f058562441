// One socket path everywhere (issue 20): what the shipped unit gives the
// daemon is where `pof query`, `pof logpipe`, `pof proxy` and the middleware
// look when not told, and the guides (and the sources' comments) name no
// other path of pof's own.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';

import { DEFAULT_API_SOCKET } from '../../src/config.js';
import { DEFAULT_API_SOCKET as FROM_API } from '../../src/api/server.js';
import { runLogpipe } from '../../src/cli/logpipe.js';
import { startProxy } from '../../src/cli/proxy.js';
import { runQuery } from '../../src/cli/query.js';
import { createPofCore } from '../../src/web/core.js';
import { pofExpress } from '../../src/web/express.js';
import { savedSynAvailable } from '../../src/web/saved-syn.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const read = (rel: string): string => readFileSync(path.join(ROOT, rel), 'utf8');
/** A daemon really running at the default path would answer; the "cannot reach" checks then say nothing. */
const defaultInUse = existsSync(DEFAULT_API_SOCKET);
const sink = (): { write(s: string): boolean; text: string } => {
  const o = { text: '', write: (s: string) => ((o.text += s), true) };
  return o;
};

describe('the default API socket', () => {
  it('is the one contrib/pof.service gives the daemon, in the directory systemd makes for it', () => {
    const unit = read('contrib/pof.service');
    const exec = /^ExecStart=(.*)$/m.exec(unit);
    assert.ok(exec, 'the unit has an ExecStart');
    const s = /\s-[sQ]\s+(\S+)/.exec(exec[1]!);
    assert.ok(s, 'ExecStart gives -s');
    assert.equal(s[1], DEFAULT_API_SOCKET);
    const rd = /^RuntimeDirectory=(\S+)$/m.exec(unit);
    assert.ok(rd, 'the unit has a RuntimeDirectory');
    assert.equal(path.join('/run', rd[1]!), path.dirname(DEFAULT_API_SOCKET));
    assert.equal(FROM_API, DEFAULT_API_SOCKET, 'pof/api re-exports the same constant');
  });

  it('is where pof query looks without -s', { skip: defaultInUse && `${DEFAULT_API_SOCKET} exists here` }, async () => {
    const out = sink();
    const err = sink();
    assert.equal(await runQuery(['192.0.2.1'], out, err), 1);
    assert.equal(err.text, `pof: cannot connect to ${DEFAULT_API_SOCKET} (ENOENT)\n`);
  });

  it('is where pof logpipe looks without -s', { skip: defaultInUse && `${DEFAULT_API_SOCKET} exists here` }, async () => {
    const out = sink();
    const err = sink();
    const code = await runLogpipe(['--append', ' [%{pof_err}e]', '--timeout', '200'], Readable.from(['192.0.2.1 1000 GET /\n']), out, err);
    assert.equal(code, 0, err.text);
    assert.match(out.text, new RegExp(`^192\\.0\\.2\\.1 1000 GET / \\[.*${DEFAULT_API_SOCKET.replaceAll('/', '\\/')}.*\\]\\n$`));
  });

  it('is the daemon pof proxy asks without -s', async () => {
    const err = sink();
    const p = await startProxy(['--listen', '127.0.0.1:0', '--upstream', 'http://127.0.0.1:9', '--no-saved-syn'], err);
    try {
      assert.equal(p.route, `daemon ${DEFAULT_API_SOCKET}`);
    } finally {
      await p.close();
    }
  });

  it('is the daemon the middleware asks when given no source', async () => {
    const warnings: string[] = [];
    const core = createPofCore({ onWarning: (m) => warnings.push(m) });
    try {
      assert.equal(core.options.source, 'daemon');
      if (!defaultInUse) {
        for (let i = 0; i < 200 && !warnings.length; i++) await new Promise((r) => setTimeout(r, 10));
        assert.match(warnings[0] ?? '', new RegExp(`^cannot reach the pof daemon at ${DEFAULT_API_SOCKET.replaceAll('/', '\\/')} \\(ENOENT\\)`));
      }
    } finally {
      await core.close();
    }
    const mw = pofExpress({ onWarning: () => {} });
    assert.equal(mw.core.options.source, 'daemon');
    await mw.core.close();
  });

  it('is not asked with savedSyn alone (no daemon), as pof proxy --saved-syn', { skip: !savedSynAvailable() && 'saved-SYN addon not built' }, async () => {
    const core = createPofCore({ savedSyn: true, onWarning: (m) => assert.fail(m) });
    assert.equal(core.options.source, 'none');
    await core.close();
  });

  it("is named in pof's --help for -s, and in query's, logpipe's and proxy's", async () => {
    for (const argv of [['query', '--help'], ['logpipe', '--help'], ['proxy', '--help'], ['--help']]) {
      const { spawnSync } = await import('node:child_process');
      const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/cli/main.ts'), ...argv], { encoding: 'utf8', cwd: ROOT });
      assert.ok((r.stdout + r.stderr).includes(DEFAULT_API_SOCKET), `pof ${argv.join(' ')} names ${DEFAULT_API_SOCKET}`);
    }
  });
});

describe('the guides', () => {
  // p0f's own command lines, quoted as p0f 3 and the old PHP article give
  // them, keep their paths; pof's own examples use the default.
  const P0F_PATHS = new Set(['/var/run/p0f.sock', '/var/run/p0f/p0f.sock']);
  const sources = (readdirSync(path.join(ROOT, 'src'), { recursive: true }) as string[]).filter((f) => /\.(ts|md)$/.test(f)).map((f) => `src/${f}`);
  const files = ['README.md', ...readdirSync(path.join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`), ...readdirSync(path.join(ROOT, 'contrib')).map((f) => `contrib/${f}`), ...sources];
  for (const f of files) {
    it(`${f} names no socket path of pof's but ${DEFAULT_API_SOCKET}`, () => {
      const bad: string[] = [];
      read(f).split('\n').forEach((line, i) => {
        for (const m of line.matchAll(/(?:unix:\/\/)?(\/[\w./-]*\.sock)\b/g)) {
          const p = m[1]!;
          if (p === DEFAULT_API_SOCKET) continue;
          if (P0F_PATHS.has(p) || !/p[o0]f/.test(p)) continue; // p0f's own, or a placeholder (/x.sock)
          bad.push(`${f}:${i + 1}: ${p}`);
        }
      });
      assert.deepEqual(bad, []);
    });
  }
});
