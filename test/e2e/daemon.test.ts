/**
 * The daemon end to end: the real CLI on loopback (`pof -i lo -s SOCK -u
 * www-data -o LOG 'filter'`), real TCP connections from curl and Node to
 * local web servers, and real clients: haraka-plugin-p0f's P0FClient
 * (p0f 3 protocol), PHP running the old guide's p0f 2 query from inside a
 * web request, and `pof query`. Then abuse (garbage, short, oversized and
 * slow queries, 200 clients at once), SIGHUP and SIGTERM. One daemon for
 * the whole file, stopped by the last test. Needs root and the addon.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import http from 'node:http';
import { PofClient } from '../../src/api/client.js';
import { decodeV2Response, encodeV2Query } from '../../src/api/v2.js';
import { decodeV3Response, encodeV3Query } from '../../src/api/v3.js';
import { withPof } from '../../src/web/node-http.js';
import type { PofResult } from '../../src/web/result.js';
import { connect, readN, talk } from '../api/net-helpers.js';
import {
  curl,
  e2eSkip,
  freePort,
  haveCommand,
  nodeGet,
  procIds,
  publicTempDir,
  ROOT,
  runPof,
  startPof,
  waitFor,
  webServer,
  type PofProc,
} from './helpers.js';

const WWW = { name: 'www-data', uid: 33, gid: 33 };
const haveWww = (() => {
  try {
    return fs.readFileSync('/etc/passwd', 'utf8').split('\n').some((l) => l.startsWith(`${WWW.name}:x:${WWW.uid}:${WWW.gid}:`));
  } catch {
    return false;
  }
})();
const skip = e2eSkip || (!haveWww && 'needs the www-data user (uid 33)');
const LINUX = os.type() === 'Linux';

/** The old guide's PHP, run by `php -S` as www-data: it asks pof about the very connection it serves. */
const PHP_PAGE = `<?php
// As in "Integrating Passive Fingerprinting into PHP/Apache" (p0f 2, -Q socket).
// The guide's pack() line is cut off after the addresses; the ports follow.
// php -S has no SERVER_ADDR: SERVER_NAME is the listening address here.
$server = isset($_SERVER['SERVER_ADDR']) ? $_SERVER['SERVER_ADDR'] : $_SERVER['SERVER_NAME'];
for ($try = 0; $try < 20; $try++) {
  $fd = fsockopen("unix://" . getenv('POF_SOCK'));
  $query = pack("LLLNNSS", 0x0defaced, 1, 0x12345678, ip2long($_SERVER['REMOTE_ADDR']), ip2long($server),
                $_SERVER['REMOTE_PORT'], $_SERVER['SERVER_PORT']);
  fwrite($fd, $query);
  $r = fgets($fd, 1024);
  // fgets stops at a 0x0a byte inside the binary answer; take the rest too.
  if (strlen($r) < 144) $r .= stream_get_contents($fd);
  fclose($fd);
  $resp = unpack("Lmagic_number/Lid/Ctype/a20genre/a40details/cdistance/a30link/a30tos/Cfw/Cnat/Creal/sscore/Smflags/Nuptime", $r);
  // The SYN may still be on its way through the capture: ask again shortly.
  if ($resp['type'] != 2) break;
  usleep(50000);
}
if ($resp['type'] == 1) {
  print "Bad magic number";
} else if ($resp['type'] == 2) {
  print "Connection not found in cache (expired? increase cache size?)";
} else {
  print "genre=" . rtrim($resp['genre'], "\\0") . "|details=" . rtrim($resp['details'], "\\0") . "|distance=" . $resp['distance'];
}
`;

describe('pof daemon on loopback', { skip, timeout: 120_000 }, () => {
  let tmp: ReturnType<typeof publicTempDir>;
  let web: Awaited<ReturnType<typeof webServer>>;
  let phpPort: number;
  let php: ChildProcess | null = null;
  let pof: PofProc;
  let sock: string;
  let logFile: string;
  let sigFile: string;
  let curlPort = 0;
  let mwPort = 0;

  before(async () => {
    tmp = publicTempDir();
    sock = path.join(tmp.dir, 'run', 'pof.sock'); // run/ does not exist: pof makes it, for www-data
    logFile = path.join(tmp.dir, 'pof.log');
    // The database in a directory www-data may read, wherever this clone lives (SIGHUP rereads it as www-data).
    sigFile = path.join(tmp.dir, 'pof.fp');
    fs.copyFileSync(path.join(ROOT, 'signatures', 'pof.fp'), sigFile);
    fs.chmodSync(sigFile, 0o644);
    web = await webServer();
    phpPort = await freePort();
    mwPort = await freePort();
    pof = await startPof(['-i', 'lo', '-s', sock, '-u', WWW.name, '-S', '10', '-o', logFile, '-f', sigFile, '-q', `tcp port ${web.port} or tcp port ${phpPort} or tcp port ${mwPort}`]);
  });

  after(async () => {
    php?.kill();
    if (pof && pof.proc.exitCode === null) await pof.stop('SIGKILL');
    await web?.close();
    tmp?.cleanup();
  });

  it('runs as the -u user after start-up, with the socket given to it', () => {
    const ids = procIds(pof.pid);
    assert.deepEqual(ids.uid, [WWW.uid, WWW.uid, WWW.uid, WWW.uid]);
    assert.deepEqual(ids.gid, [WWW.gid, WWW.gid, WWW.gid, WWW.gid]);
    assert.ok(!ids.groups.includes(0), `supplementary groups ${ids.groups.join(',')}`);
    const st = fs.statSync(sock);
    assert.ok(st.isSocket());
    assert.equal(st.uid, WWW.uid);
    assert.equal(st.gid, WWW.gid);
    assert.equal(st.mode & 0o777, 0o660);
    assert.equal(fs.statSync(path.dirname(sock)).uid, WWW.uid);
  });

  it('fingerprints curl and Node connections: pof query says Linux', async () => {
    const c = await curl(`http://127.0.0.1:${web.port}/`);
    assert.equal(c.body, 'hello\n');
    curlPort = c.localPort;
    await nodeGet(web.port, { 'Accept-Language': 'en-US,en;q=0.5' });
    await waitFor('the log to show the SYN', () => fs.readFileSync(logFile, 'utf8').includes(`cli=127.0.0.1/${curlPort}|`));
    const r = await runPof(['query', '127.0.0.1', '-s', sock]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Detected OS\s+= Linux\b/m);
    assert.match(r.stdout, /^Total flows\s+= ([2-9]|\d\d+)$/m);

    const j = await runPof(['query', '127.0.0.1', '--port', String(curlPort), '--srv', '127.0.0.1', '--srv-port', String(web.port), '-s', sock, '--json']);
    assert.equal(j.code, 0, j.stderr);
    const a = JSON.parse(j.stdout) as { status: string; conn: { client: { tcp: { match: { name: string } } ; http: { label: string } | null } } };
    assert.equal(a.status, 'ok');
    assert.equal(a.conn.client.tcp.match.name, 'Linux');
    assert.match(a.conn.client.http?.label ?? '', /curl/i);
  });

  it('a middleware watching its port is told of each connection: no question after the first', async () => {
    const app = http.createServer(withPof((req, res) => res.end(JSON.stringify(req.pof)), { socket: sock, timeoutMs: 3000 }));
    await new Promise<void>((r) => app.listen(mwPort, '127.0.0.1', r));
    const core = (app.listeners('request')[0] as ReturnType<typeof withPof>).core;
    try {
      const get = (): Promise<PofResult> =>
        new Promise((resolve, reject) => {
          http
            .get({ host: '127.0.0.1', port: mwPort, agent: false }, (res) => {
              let body = '';
              res.on('data', (d: Buffer) => (body += d.toString()));
              res.on('end', () => resolve(JSON.parse(body) as PofResult));
            })
            .on('error', reject);
        });
      const first = await get();
      assert.equal(first.vars.pof_genre, 'Linux');
      const asked = core.stats.asked;
      for (let i = 0; i < 10; i++) {
        const r = await get();
        assert.equal(r.vars.pof_genre, 'Linux');
        assert.equal(r.vars.pof_distance, '0');
        assert.deepEqual(r.via, ['daemon']);
        assert.equal(r.err, null);
      }
      assert.equal(core.stats.asked, asked, 'told, not asked');
      assert.equal(core.stats.lookups, 11);
    } finally {
      await new Promise<void>((r) => {
        app.close(() => r());
        app.closeAllConnections();
      });
      await core.close();
    }
  });

  it("haraka-plugin-p0f's P0FClient gets OK and this machine's OS", async (t) => {
    let P0FClient: new (path: string) => { query(ip: string, cb: (e: Error | null, r: Record<string, unknown> | null) => void): void; shutdown(): void; sock: net.Socket };
    try {
      P0FClient = createRequire(import.meta.url)('haraka-plugin-p0f').P0FClient;
    } catch {
      t.skip('haraka-plugin-p0f not installed (npm install --no-save haraka-plugin-p0f@1.0.15)');
      return;
    }
    await nodeGet(web.port);
    const client = new P0FClient(sock);
    try {
      const r = await new Promise<Record<string, unknown> | null>((resolve, reject) => client.query('127.0.0.1', (e, res) => (e ? reject(e) : resolve(res))));
      assert.ok(r, 'status OK (not "no match")');
      assert.equal(r.os_name, LINUX ? 'Linux' : r.os_name);
      assert.ok((r.total_conn as number) >= 1);
      assert.equal(r.distance, 0);
      const none = await new Promise<unknown>((resolve, reject) => client.query('192.0.2.99', (e, res) => (e ? reject(e) : resolve(res))));
      assert.equal(none, null, 'no match for a host never seen');
    } finally {
      client.shutdown();
      client.sock.destroy();
    }
  });

  it("PHP's p0f 2 query (the old guide's code) from inside a web request gets genre Linux", async (t) => {
    if (!haveCommand('php')) {
      t.skip('php-cli not installed');
      return;
    }
    const page = path.join(tmp.dir, 'p0f.php');
    fs.writeFileSync(page, PHP_PAGE, { mode: 0o644 });
    php = spawn('php', ['-S', `127.0.0.1:${phpPort}`, page], {
      uid: WWW.uid,
      gid: WWW.gid,
      env: { ...process.env, POF_SOCK: sock },
      stdio: 'ignore',
    });
    await waitFor('php -S to listen', () =>
      new Promise<boolean>((resolve) => {
        const c = net.connect(phpPort, '127.0.0.1');
        c.on('connect', () => (c.destroy(), resolve(true)));
        c.on('error', () => resolve(false));
      }),
    );
    const r = await curl(`http://127.0.0.1:${phpPort}/`);
    assert.match(r.body, /^genre=Linux\|/, r.body);
    assert.match(r.body, /distance=0$/);
  });

  it('answers p0f 2 and v3 queries for a connection / host that never happened with "no match"', async () => {
    const q = encodeV2Query({ type: 'fingerprint', id: 7, src: '127.0.0.1', srcPort: 1, dst: '127.0.0.1', dstPort: 2 });
    const a = await talk(sock, q, 144);
    const d = decodeV2Response(a.buf);
    assert.ok(d.ok && d.type === 'no match');
    const v3 = decodeV3Response((await talk(sock, encodeV3Query(Buffer.from([192, 0, 2, 1])), 232)).buf);
    assert.ok(v3.ok && v3.status === 'no match');
    const r = await runPof(['query', '192.0.2.1', '-s', sock]);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /No matching host/);
  });

  it('garbage, short, oversized and slow clients stall neither other clients nor the capture', async () => {
    const bad: net.Socket[] = [];
    try {
      // garbage: answered "bad query", the connection stays usable
      const g = await talk(sock, Buffer.alloc(21 * 3, 0x41), 232 * 3);
      for (let i = 0; i < 3; i++) {
        const d = decodeV3Response(g.buf.subarray(i * 232));
        assert.ok(d.ok && d.status === 'bad query');
      }
      // short: 10 bytes of a v3 query, then silence
      const s1 = await connect(sock);
      s1.write(encodeV3Query(Buffer.from([127, 0, 0, 1])).subarray(0, 10));
      bad.push(s1);
      // oversized JSON line, never ended
      const s2 = await connect(sock);
      s2.on('error', () => undefined);
      s2.write('{"addr":"' + 'x'.repeat(20000));
      bad.push(s2);
      // slow: one byte of a query every 200 ms
      const s3 = await connect(sock);
      s3.on('error', () => undefined);
      bad.push(s3);
      const q = encodeV3Query(Buffer.from([127, 0, 0, 1]));
      let i = 0;
      const drip = setInterval(() => {
        if (i < q.length && !s3.destroyed) s3.write(q.subarray(i, ++i));
      }, 200);
      // a client that connects and never says anything
      bad.push(await connect(sock));

      // meanwhile a normal client is answered at once, many times
      const c = new PofClient({ path: sock, timeoutMs: 1000 });
      try {
        const t0 = performance.now();
        for (let k = 0; k < 50; k++) {
          const h = await c.queryHost('127.0.0.1');
          assert.ok(h && h.osName === 'Linux');
        }
        assert.ok(performance.now() - t0 < 2000, 'answers came promptly');
        // and the capture goes on: a new connection shows up in the host record
        const before = (await c.queryHost('127.0.0.1'))!.totalConn;
        await nodeGet(web.port);
        await waitFor('a new flow counted', async () => (await c.queryHost('127.0.0.1'))!.totalConn > before);
      } finally {
        clearInterval(drip);
        await c.close();
      }
    } finally {
      for (const s of bad) s.destroy();
    }
  });

  it('serves 200 clients at once (queued beyond -S 10)', async () => {
    const one = async (): Promise<boolean> => {
      const s = await connect(sock);
      try {
        s.write(encodeV3Query(Buffer.from([127, 0, 0, 1])));
        const d = decodeV3Response(await readN(s, 232, 20000));
        return d.ok && d.status === 'ok';
      } finally {
        s.destroy();
      }
    };
    const results = await Promise.all(Array.from({ length: 200 }, one));
    assert.equal(results.filter(Boolean).length, 200);
  });

  it('SIGHUP reloads the signatures and keeps the hosts', async () => {
    const c = new PofClient({ path: sock, timeoutMs: 2000 });
    try {
      const before = await c.queryHost('127.0.0.1');
      assert.ok(before);
      process.kill(pof.pid, 'SIGHUP');
      await waitFor('the reload message', () => /SIGHUP: reloaded \d+ signatures/.test(fs.readFileSync(logFile, 'utf8') + pof.stderr()));
      const afterHup = await c.queryHost('127.0.0.1');
      assert.ok(afterHup);
      assert.equal(afterHup.firstSeen, before.firstSeen);
      assert.ok(afterHup.totalConn >= before.totalConn);
      // still capturing after the reload
      await nodeGet(web.port);
      await waitFor('a flow after the reload', async () => (await c.queryHost('127.0.0.1'))!.totalConn > afterHup.totalConn);
    } finally {
      await c.close();
    }
  });

  it('SIGHUP with a file www-data can no longer read: one line says why, the old signatures stay', async () => {
    const logged = (): string => fs.readFileSync(logFile, 'utf8') + pof.stderr();
    const before = logged().length;
    fs.chmodSync(sigFile, 0o600); // root's alone now
    try {
      process.kill(pof.pid, 'SIGHUP');
      const line = await waitFor('the refusal', () => logged().slice(before).split('\n').find((l) => l.includes('SIGHUP: signatures not reloaded')));
      assert.equal(
        line,
        `[!] SIGHUP: signatures not reloaded, the old ones stay: cannot read signature file '${sigFile}': permission denied ` +
          `(pof runs as ${WWW.name} since start-up: the file must be readable to ${WWW.name})`,
      );
      await waitFor('the log reopened', () => logged().slice(before).includes('SIGHUP: log file reopened'));
      // Still fingerprinting with the old database.
      const r = await runPof(['query', '127.0.0.1', '-s', sock]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^Detected OS\s+= Linux\b/m);
    } finally {
      fs.chmodSync(sigFile, 0o644);
    }
  });

  it('SIGHUP with a broken file: one line, its first problem and how many more', async () => {
    const logged = (): string => fs.readFileSync(logFile, 'utf8') + pof.stderr();
    const good = fs.readFileSync(sigFile);
    const before = logged().length;
    fs.writeFileSync(sigFile, '[tcp:request]\nlabel = s:unix:Linux:x\nsig = nonsense\nsig = 4:64:0:*:mss*20,10:mss,sok,ts,nop,ws:df,id+:0\nbogus line\n');
    try {
      process.kill(pof.pid, 'SIGHUP');
      const line = await waitFor('the refusal', () => logged().slice(before).split('\n').find((l) => l.includes('SIGHUP: signatures not reloaded')));
      assert.match(line, new RegExp(`^\\[!\\] SIGHUP: signatures not reloaded, the old ones stay: ${sigFile.replace(/[.]/g, '\\.')}:2: label: .* \\(and \\d+ more; pof check lists them all\\)$`));
    } finally {
      fs.writeFileSync(sigFile, good);
    }
  });

  it('SIGTERM closes capture and server and removes the socket', async () => {
    const r = await pof.stop('SIGTERM');
    assert.deepEqual(r, { code: 0, signal: null });
    assert.equal(fs.existsSync(sock), false);
    assert.match(pof.stderr(), /SIGTERM: processed \d+ packets .*kernel dropped \d+/);
  });
});
