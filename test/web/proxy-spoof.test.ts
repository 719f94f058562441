// pof proxy: nothing a client sends can pass for pof's headers or the
// X-Forwarded-* the proxy sets, however it spells them, through real PHP
// backends that fold header names to variables in different ways (php -S
// and PHP-FPM behind nginx map '-', '_' and '.' alike; Apache drops names
// with '_' or '.'), for every field (sent or not, known or not, and ones
// pof may add later), with --headers subsets and with the daemon down.
import assert from 'node:assert/strict';
import http from 'node:http';
import type net from 'node:net';
import { after, before, describe, it } from 'node:test';

import { startProxy } from '../../src/cli/proxy.js';
import type { PofOptions } from '../../src/web/core.js';
import { createPofProxy, isPofHeaderName, type PofProxyOptions } from '../../src/web/proxy.js';
import { POF_EXTRA_NAMES, POF_VAR_NAMES, type PofValueName } from '../../src/web/result.js';
import { savedSynAvailable } from '../../src/web/saved-syn.js';
import { cannedLookup, request, tempDir } from './helpers.js';
import { skipApache, skipNginxFpm, skipPhp, startApache, startNginxFpm, startPhpServer, type PhpBackend } from './php-backends.js';

/** Fields pof sends today, and two it may send one day (every X-Pof-* falls under the rule). */
const FIELDS = [...POF_VAR_NAMES, ...POF_EXTRA_NAMES].map((n) => n.slice(4)).concat(['tls_ja4', 'verdict']);
const cap = (w: string): string => w[0]!.toUpperCase() + w.slice(1);

/** Ways to spell X-Pof-<field> that a backend may read as HTTP_X_POF_<FIELD>. */
const SPELLINGS: Record<string, (words: string[]) => string> = {
  'X-POF-UPPER': (w) => ['X', 'POF', ...w.map((s) => s.toUpperCase())].join('-'),
  x_pof_under: (w) => ['x', 'pof', ...w].join('_'),
  'X.Pof.Dots': (w) => ['X', 'Pof', ...w.map(cap)].join('.'),
  'X-Pof_mixed.seps': (w) => `X-Pof_${w.join('.')}`,
  'x_pOf-MiXeD': (w) => `x_pOf-${w.map((s, i) => (i % 2 ? s.toUpperCase() : cap(s))).join('_')}`,
};

/** The X-Forwarded-* the proxy sets, spelled so that a backend may take them for its own. */
const FORWARDED_SPOOFS: Record<string, string> = {
  X_Forwarded_For: '203.0.113.66',
  'x.forwarded.for': '203.0.113.67',
  'X-Forwarded_Proto': 'https',
  'X.FORWARDED.PROTO': 'https',
  X_Forwarded_Host: 'evil.example',
  'x-forwarded.host': 'evil.example',
};

function spoofHeaders(spelling: string): Record<string, string> {
  const h: Record<string, string> = {};
  for (const f of FIELDS) h[SPELLINGS[spelling]!(f.split('_'))] = `SPOOFED ${spelling}`;
  return { ...h, ...FORWARDED_SPOOFS };
}

type Vars = Record<string, string>;

async function varsVia(url: string, headers: Record<string, string> = {}): Promise<Vars> {
  const r = await request(`${url}/index.php`, { agent: false, headers });
  assert.equal(r.status, 200, r.body);
  return JSON.parse(r.body) as Vars;
}

/** The PHP variable of a field: 'pof_ua_mismatch' -> HTTP_X_POF_UA_MISMATCH. */
const phpVar = (n: PofValueName): string => `HTTP_X_${n.toUpperCase()}`;

interface Setup {
  name: string;
  /** What the proxy is told to send (undefined: the default, all). */
  headers?: readonly PofValueName[];
  pof: () => PofOptions;
}
const missing = tempDir('pof-spoof-');
const SETUPS: Setup[] = [
  { name: 'every field (canned verdicts: some known, some not)', pof: () => ({ lookup: cannedLookup() }) },
  { name: '--headers genre,nat (the others are not sent)', headers: ['pof_genre', 'pof_nat'], pof: () => ({ lookup: cannedLookup() }) },
  { name: '--headers none', headers: [], pof: () => ({ lookup: cannedLookup() }) },
  { name: 'the daemon down', pof: () => ({ socket: missing.path('no-daemon.sock'), timeoutMs: 20, onWarning: () => {} }) },
];

const BACKENDS: Array<{ name: string; skip: string | false; start: () => Promise<PhpBackend>; foldsNames: boolean }> = [
  { name: 'php -S', skip: skipPhp, start: startPhpServer, foldsNames: true },
  { name: 'nginx + PHP-FPM (underscores_in_headers on)', skip: skipNginxFpm, start: startNginxFpm, foldsNames: true },
  { name: 'Apache mod_php', skip: skipApache, start: startApache, foldsNames: false },
];

after(() => missing.cleanup());

for (const b of BACKENDS) {
  describe(`spoofing through pof proxy, ${b.name}`, { skip: b.skip }, () => {
    let backend: PhpBackend;
    before(async () => {
      backend = await b.start();
    });
    after(async () => {
      await backend?.stop();
    });

    it('what the backend shows of a client header spelled every way (the page works)', async () => {
      // Without the proxy: the backend itself folds (or drops) the spellings.
      const direct = await varsVia(backend.url, { X_Pof_Nat: 'a', 'X.Pof.Link': 'b', 'X-POF-GENRE': 'c', X_Forwarded_For: '203.0.113.1' });
      if (b.foldsNames) assert.deepEqual(direct, { HTTP_X_FORWARDED_FOR: '203.0.113.1', HTTP_X_POF_GENRE: 'c', HTTP_X_POF_LINK: 'b', HTTP_X_POF_NAT: 'a' });
      else assert.deepEqual(direct, { HTTP_X_POF_GENRE: 'c' }, 'Apache drops names with _ and .');
    });

    for (const s of SETUPS) {
      it(`${s.name}: the backend sees the proxy's whole set and nothing the client sent`, async () => {
        const opts: PofProxyOptions = { upstream: backend.url, pof: s.pof(), headers: s.headers };
        const p = createPofProxy(opts);
        const a = await p.listen(0, '127.0.0.1');
        const url = `http://127.0.0.1:${a.port}`;
        try {
          const chosen = s.headers ?? [...POF_VAR_NAMES, ...POF_EXTRA_NAMES];
          const base = await varsVia(url);
          // The whole chosen set is sent, an empty value for what is unknown.
          assert.deepEqual(
            Object.keys(base).filter((k) => k.startsWith('HTTP_X_POF_')).sort(),
            chosen.map(phpVar).sort(),
          );
          assert.equal(base.HTTP_X_FORWARDED_FOR, '127.0.0.1');
          assert.equal(base.HTTP_X_FORWARDED_PROTO, 'http');
          assert.equal(base.HTTP_X_FORWARDED_HOST, `127.0.0.1:${a.port}`);
          if (s.headers === undefined) assert.equal(base.HTTP_X_POF_TOS, '', 'an unknown field goes, empty');
          for (const spelling of Object.keys(SPELLINGS)) {
            const seen = await varsVia(url, spoofHeaders(spelling));
            const spoofed = Object.entries(seen).filter(([, v]) => /SPOOFED|203\.0\.113|https|evil/.test(v));
            assert.deepEqual(spoofed, [], `${spelling}: spoofed values reached PHP`);
            if (s.name.startsWith('the daemon down')) {
              // (Its pof_err may word the first failure apart from the next ones.)
              delete seen.HTTP_X_POF_ERR;
              delete base.HTTP_X_POF_ERR;
            }
            assert.deepEqual(seen, base, `${spelling}: the backend saw what it sees of a request without them`);
          }
        } finally {
          await p.close();
        }
      });
    }

    it('`pof proxy -s MISSING --no-saved-syn --headers genre,uptime`: the same', async () => {
      const p = await startProxy(
        ['--listen', '127.0.0.1:0', '--upstream', backend.url, '-s', missing.path('no.sock'), '--no-saved-syn', '--headers', 'genre,uptime', '--timeout', '20'],
        { write: () => true },
      );
      try {
        for (const spelling of Object.keys(SPELLINGS)) {
          const seen = await varsVia(p.url, spoofHeaders(spelling));
          assert.deepEqual(Object.keys(seen).sort(), ['HTTP_X_FORWARDED_FOR', 'HTTP_X_FORWARDED_HOST', 'HTTP_X_FORWARDED_PROTO', 'HTTP_X_POF_GENRE', 'HTTP_X_POF_UPTIME']);
          assert.equal(seen.HTTP_X_POF_GENRE, '');
          assert.equal(seen.HTTP_X_POF_UPTIME, '');
          assert.equal(seen.HTTP_X_FORWARDED_FOR, '127.0.0.1');
        }
      } finally {
        await p.close();
      }
    });

    it('`pof proxy --saved-syn --headers nat,os`: the same', { skip: !savedSynAvailable() && 'saved-SYN addon not built' }, async () => {
      const p = await startProxy(['--listen', '127.0.0.1:0', '--upstream', backend.url, '--saved-syn', '--headers', 'nat,os'], { write: () => true });
      try {
        for (const spelling of Object.keys(SPELLINGS)) {
          const seen = await varsVia(p.url, spoofHeaders(spelling));
          assert.deepEqual(Object.keys(seen).sort(), ['HTTP_X_FORWARDED_FOR', 'HTTP_X_FORWARDED_HOST', 'HTTP_X_FORWARDED_PROTO', 'HTTP_X_POF_NAT', 'HTTP_X_POF_OS']);
          assert.equal(seen.HTTP_X_POF_NAT, '', 'nothing known of NAT from a SYN alone');
          assert.equal(seen.HTTP_X_POF_OS, 'Linux (loopback)');
        }
      } finally {
        await p.close();
      }
    });
  });
}

describe('spoofing: what reaches a backend that keeps every header as it came (Node)', () => {
  let server: http.Server;
  let raw: string[][] = [];
  let upstream: string;
  before(async () => {
    server = http.createServer((req, res) => {
      raw.push(req.rawHeaders);
      res.end('{}');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    upstream = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  });
  after(() => new Promise<void>((r) => server.close(() => r())));

  it("only the proxy's own X-Pof-* and X-Forwarded-*, once each, in the proxy's spelling", async () => {
    for (const s of SETUPS) {
      const p = createPofProxy({ upstream, pof: s.pof(), headers: s.headers });
      const a = await p.listen(0, '127.0.0.1');
      try {
        for (const spelling of Object.keys(SPELLINGS)) {
          raw = [];
          await request(`http://127.0.0.1:${a.port}/`, { agent: false, headers: spoofHeaders(spelling) });
          const names = raw[0]!.filter((_, i) => i % 2 === 0);
          const fold = (n: string): string => n.toLowerCase().replace(/[_.]/g, '-');
          const pofs = names.filter((n) => fold(n).startsWith('x-pof-') || fold(n).startsWith('x-forwarded-'));
          const chosen = s.headers ?? [...POF_VAR_NAMES, ...POF_EXTRA_NAMES];
          const want = [...chosen.map((n) => `X-Pof-${n.slice(4).split('_').map(cap).join('-')}`), 'X-Forwarded-For', 'X-Forwarded-Proto', 'X-Forwarded-Host'];
          assert.deepEqual(pofs.sort(), want.sort(), `${s.name}, ${spelling}`);
          const values = raw[0]!.filter((_, i) => i % 2 === 1);
          assert.ok(!values.some((v) => /SPOOFED|203\.0\.113|evil/.test(v)), `${s.name}, ${spelling}: ${values.join(' | ')}`);
        }
      } finally {
        await p.close();
      }
    }
  });

  it('isPofHeaderName: the rule, as backends fold names', () => {
    for (const n of ['X-Pof-Genre', 'x_pof_genre', 'X.POF.GENRE', 'x-Pof_Tls.Ja4', 'X-POF-', 'x_pof_']) assert.equal(isPofHeaderName(n), true, n);
    for (const n of ['X-Pof', 'X-Poff-Genre', 'X-Pof~Genre', 'Pof-Genre', 'X--Pof-Genre', '', 'x', 'X-Forwarded-For', 'X-Pöf-Genre']) assert.equal(isPofHeaderName(n), false, n);
  });
});
