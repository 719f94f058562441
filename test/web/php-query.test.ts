// docs/web.md's PHP (the article's query, fixed for pof, and the JSON one)
// run under php -S against a real PofApiServer, for the very connection
// the page is served on.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { it } from 'node:test';

import { engineLookup } from '../../src/api/lookup.js';
import { PofApiServer } from '../../src/api/server.js';
import { makeEngine, tempDir } from './helpers.js';
import { freePort, havePhp, stopChild } from './net-helpers.js';

function docPhp(): string {
  const md = readFileSync(fileURLToPath(new URL('../../docs/web.md', import.meta.url)), 'utf8');
  const m = /```php\n([\s\S]*?)```/.exec(md);
  assert.ok(m, 'docs/web.md has a php block');
  return m[1]!;
}

it("docs/web.md's PHP asks pof about its own connection (p0f 2 and JSON)", { skip: !havePhp && 'php-cli not installed' }, async () => {
  const dir = tempDir();
  const sys = makeEngine();
  const sock = dir.path('pof.sock');
  const server = await PofApiServer.listen({ path: sock, lookup: engineLookup(sys.engine, sys.conns) });
  writeFileSync(
    dir.path('index.php'),
    docPhp() +
      `\n// php -S leaves SERVER_ADDR out; Apache sets it.\n$_SERVER['SERVER_ADDR'] = $_SERVER['SERVER_ADDR'] ?? '127.0.0.1';\n` +
      `echo json_encode(['v2' => pof_query_v2(getenv('POF_SOCK')), 'json' => pof_query_json(getenv('POF_SOCK')), 'none' => pof_query_v2('/nonexistent.sock')]);\n`,
  );
  const port = await freePort();
  const php = spawn('php', ['-S', `127.0.0.1:${port}`, '-t', dir.dir], { stdio: 'ignore', env: { ...process.env, POF_SOCK: sock } });
  try {
    let s: net.Socket | null = null;
    for (let i = 0; i < 200 && !s; i++) {
      s = await new Promise<net.Socket | null>((r) => {
        const c = net.connect(port, '127.0.0.1');
        c.once('connect', () => r(c));
        c.once('error', () => setTimeout(() => r(null), 25));
      });
    }
    assert.ok(s, 'php -S is up');
    // The engine sees this connection's SYN (as a sensor on the wire would).
    sys.feedSyn({ ipVer: 4, cli: '127.0.0.1', cliPort: s.localPort!, srv: '127.0.0.1', srvPort: port }, { ttl: 52 });
    let text = '';
    s.on('data', (d: Buffer) => (text += d.toString()));
    s.write(`GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\n\r\n`);
    await new Promise((r) => s!.once('close', r));
    const body = text.slice(text.indexOf('\r\n\r\n') + 4);
    const out = JSON.parse(body) as Record<string, Record<string, unknown>>;
    assert.deepEqual(out.v2, {
      pof_type: 0,
      pof_genre: 'Linux',
      pof_details: '3.10 to 4.18',
      pof_distance: 12,
      pof_link: 'Ethernet',
      pof_uptime: -1,
      pof_nat: 0,
    });
    assert.equal(out.json!.pof_genre, 'Linux');
    assert.equal(out.json!.pof_details, '3.10 to 4.18');
    assert.equal(out.json!.pof_distance, 12);
    assert.match(String(out.none!.pof_err), /^cannot connect/);
  } finally {
    await stopChild(php);
    await server.close();
    dir.cleanup();
  }
});
