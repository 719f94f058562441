// docs/daemon.md's "PHP, as in the old guide": the article's p0f 2 query
// and the corrected one, both run by php-cli exactly as written there
// against a real API socket. The article's unpack gets score, mflags and
// uptime wrong in the ways the table says, and everything else right; the
// corrected one agrees field for field with pof's own v2 decoder. Then the
// corrected code once more inside a web request (php -S), against the real
// daemon (`pof -i lo -s SOCK`) that saw the request's SYN (root only).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';

import { PofApiServer } from '../../src/api/server.js';
import { decodeV2Response, encodeV2Query, type V2Info } from '../../src/api/v2.js';
import { linuxSyn, makeLookup, obs, tempSocketDir, type Tuple } from '../api/helpers.js';
import { talk } from '../api/net-helpers.js';
import { curl, e2eSkip, freePort as e2ePort, publicTempDir, startPof, waitFor } from '../e2e/helpers.js';
import { havePhp, stopChild } from './net-helpers.js';

const ARTICLE_SOCK = '/var/run/p0f/p0f.sock';

/** The PHP blocks (4-space indented, from `$fd = fsockopen(`) of daemon.md's PHP section, in order. */
function guideBlocks(): string[] {
  const md = readFileSync(fileURLToPath(new URL('../../docs/daemon.md', import.meta.url)), 'utf8');
  const from = md.indexOf('## PHP, as in the old guide');
  assert.ok(from >= 0, 'daemon.md has its PHP section');
  const lines = md.slice(from, md.indexOf('\n## ', from + 1)).split('\n');
  const blocks: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!lines[i]!.startsWith('    $fd = fsockopen(')) continue;
    const code: string[] = [];
    for (; i < lines.length && (lines[i] === '' || lines[i]!.startsWith('    ')); i++) code.push(lines[i]!.slice(4));
    blocks.push(code.join('\n').trim());
  }
  return blocks;
}

const [ARTICLE, FIXED] = guideBlocks();

/** A PHP script: the block asking `sock` as if serving the connection in $_SERVER, printing $resp as JSON (strings cut at their NUL). */
function script(block: string, sock: string): string {
  assert.ok(block.includes(`unix://${ARTICLE_SOCK}`), `the block asks ${ARTICLE_SOCK}`);
  return `<?php
foreach (['REMOTE_ADDR', 'REMOTE_PORT', 'SERVER_ADDR', 'SERVER_PORT'] as $k) if (getenv($k) !== false) $_SERVER[$k] = getenv($k);
${block.replace(`unix://${ARTICLE_SOCK}`, `unix://${sock}`)}
echo json_encode(array_map(fn($v) => is_string($v) ? rtrim($v, "\\0") : $v, $resp)), "\\n";
`;
}

/** php-cli runs the block for connection `t` (asynchronously: the socket's server is in this process); its $resp. */
async function runPhp(file: string, t: Tuple): Promise<Record<string, string | number>> {
  const child = spawn('php', ['-f', file], {
    env: { ...process.env, REMOTE_ADDR: t.cli, REMOTE_PORT: String(t.cliPort), SERVER_ADDR: t.srv, SERVER_PORT: String(t.srvPort) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  assert.equal(code, 0, err);
  return JSON.parse(out) as Record<string, string | number>;
}

/** What pof's own decoder reads from the daemon's answer about `t`. */
async function decoded(sock: string, t: Tuple): Promise<V2Info> {
  const q = encodeV2Query({ type: 'fingerprint', id: 0x12345678, src: t.cli, srcPort: t.cliPort, dst: t.srv, dstPort: t.srvPort });
  const d = decodeV2Response((await talk(sock, q, 144)).buf);
  assert.ok(d.ok && d.type === 'ok', `the daemon knows ${t.cli}:${t.cliPort}`);
  return d.info;
}

/** The corrected $resp must be the decoder's answer, field for field. */
function assertSame(php: Record<string, string | number>, info: V2Info): void {
  assert.deepEqual(
    { type: php.type, genre: php.genre, details: php.details, distance: php.distance, link: php.link, tos: php.tos, fw: php.fw, nat: php.nat, real: php.real, score: php.score, mflags: php.mflags, uptime: php.uptime },
    { type: 0, genre: info.genre, details: info.detail, distance: info.dist, link: info.link, tos: info.tos, fw: info.fw, nat: info.nat, real: info.real, score: info.score, mflags: info.mflags, uptime: info.uptime },
  );
}

describe("daemon.md's PHP against a real API socket", { skip: !havePhp && 'php-cli not installed' }, () => {
  it('has the article block and the corrected block', () => {
    assert.ok(ARTICLE && FIXED);
    assert.match(ARTICLE, /a20genre\/.*\/sscore\/Smflags\/Nuptime/);
    assert.match(FIXED, /\/x\/sscore\/Smflags\/x2\/luptime/);
  });

  it('the article gets score, mflags and uptime wrong as the table says; the corrected code gets every field', async () => {
    const dir = tempSocketDir();
    const lookup = makeLookup();
    const withUp: Tuple = { cli: '192.0.2.10', cliPort: 51000, srv: '198.51.100.1', srvPort: 80 };
    const noUp: Tuple = { cli: '192.0.2.11', cliPort: 51001, srv: '198.51.100.1', srvPort: 80 };
    lookup.conns.observe(linuxSyn(withUp));
    lookup.conns.observe(obs(withUp, 'uptime', 'cli', { kind: 'uptime', minutes: 1000 * 60 + 59, moduloDays: 49, freqHz: 1000 }));
    lookup.conns.observe(linuxSyn(noUp));
    const server = await PofApiServer.listen({ path: dir.path(), lookup });
    try {
      writeFileSync(path.join(dir.dir, 'article.php'), script(ARTICLE!, dir.path()));
      writeFileSync(path.join(dir.dir, 'fixed.php'), script(FIXED!, dir.path()));
      for (const [t, hours] of [[withUp, 1000], [noUp, -1]] as const) {
        const info = await decoded(dir.path(), t);
        assert.equal(info.uptime, hours);
        assert.equal(info.score, -100);
        assert.equal(info.mflags, 0);
        const fixed = await runPhp(path.join(dir.dir, 'fixed.php'), t);
        assertSame(fixed, info);
        const article = await runPhp(path.join(dir.dir, 'article.php'), t);
        // The padding byte and score's low byte; score's high byte and mflags' low byte;
        // mflags' high byte, two padding bytes and uptime's lowest byte, big-endian.
        assert.equal(article.score, -25600);
        assert.equal(article.mflags, 255);
        assert.equal(article.uptime, hours & 0xff);
        const rest = (r: Record<string, string | number>) => ({ ...r, magic_number: 0, id: 0, score: 0, mflags: 0, uptime: 0 });
        assert.deepEqual(rest(article), rest(fixed), 'every other field agrees');
        assert.equal(article.id, 0x12345678);
      }
    } finally {
      await server.close();
      dir.cleanup();
    }
  });

  it('inside a web request, against the real daemon on loopback: the fields of its answer', { skip: e2eSkip, timeout: 90_000 }, async () => {
    const tmp = publicTempDir();
    const sock = path.join(tmp.dir, 'run', 'pof.sock');
    const port = await e2ePort();
    const page = path.join(tmp.dir, 'p0f.php');
    // php -S has no SERVER_ADDR (Apache sets it); the SYN may be a moment behind the request.
    writeFileSync(
      page,
      `<?php
$_SERVER['SERVER_ADDR'] = $_SERVER['SERVER_ADDR'] ?? '127.0.0.1';
for ($try = 0; $try < 40; $try++) {
${FIXED!.replace(`unix://${ARTICLE_SOCK}`, `unix://${sock}`)}
  if ($resp['type'] != 2) break;
  usleep(50000);
}
$resp['port'] = (int)$_SERVER['REMOTE_PORT'];
echo json_encode($resp);
`,
    );
    const pof = await startPof(['-i', 'lo', '-s', sock, '-q', `tcp port ${port}`]);
    const php = spawn('php', ['-S', `127.0.0.1:${port}`, page], { stdio: 'ignore' });
    try {
      await waitFor('php -S to listen', () =>
        new Promise<boolean>((resolve) => {
          const c = net.connect(port, '127.0.0.1');
          c.on('connect', () => (c.destroy(), resolve(true)));
          c.on('error', () => resolve(false));
        }),
      );
      // php -S's probe above was a connection too; the page's is the one it reports.
      const r = await curl(`http://127.0.0.1:${port}/`);
      const resp = JSON.parse(r.body) as Record<string, string | number>;
      assert.equal(resp.type, 0, r.body);
      assert.equal(resp.genre, 'Linux');
      assert.equal(resp.score, -100);
      assert.equal(resp.mflags, 0);
      const t: Tuple = { cli: '127.0.0.1', cliPort: Number(resp.port), srv: '127.0.0.1', srvPort: port };
      assertSame(resp, await decoded(sock, t));
    } finally {
      await stopChild(php);
      await pof.stop();
      tmp.cleanup();
    }
  });
});
