/**
 * Starting and stopping the daemon for real: -d with the old guide's p0f 2
 * flags, the pid file, a stale socket from a crash, a socket still in use,
 * start-up failures reported by the -d parent, --json on the console, and
 * a privilege drop to a user made here (useradd) with a supplementary
 * group and --socket-group. Needs root and the addon.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { PofClient } from '../../src/api/client.js';
import { decodeV2Response, encodeV2Query } from '../../src/api/v2.js';
import { talk } from '../api/net-helpers.js';
import { e2eSkip, haveCommand, nodeGet, procIds, publicTempDir, runPof, startPof, waitFor, webServer } from './helpers.js';

const NOBODY = 65534;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('pof start-up and shutdown', { skip: e2eSkip, timeout: 180_000 }, () => {
  let tmp: ReturnType<typeof publicTempDir>;
  let web: Awaited<ReturnType<typeof webServer>>;

  before(async () => {
    tmp = publicTempDir();
    web = await webServer();
  });
  after(async () => {
    await web?.close();
    tmp?.cleanup();
  });

  it("-d with the guide's p0f 2 flags (-qKU -Q SOCK -u USER): ready when the parent returns, then SIGTERM cleans up", async () => {
    const dir = path.join(tmp.dir, 'd1');
    fs.mkdirSync(dir, { mode: 0o755 });
    const sock = path.join(dir, 'run', 'p0f.sock');
    const pidFile = path.join(dir, 'run', 'pof.pid');
    const log = path.join(dir, 'pof.log');
    const r = await runPof(['-qKU', '-Q', sock, '-u', 'nobody', '-i', 'lo', '-d', '--pid-file', pidFile, '-o', log, `tcp port ${web.port}`]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /running in the background, pid (\d+)/);
    const pid = Number(/pid (\d+)/.exec(r.stderr)![1]);
    try {
      await daemonChecks(pid);
    } finally {
      if (alive(pid)) process.kill(pid, 'SIGKILL'); // a failed check must not leave it running
    }
  });

  async function daemonChecks(pid: number): Promise<void> {
    const dir = path.join(tmp.dir, 'd1');
    const sock = path.join(dir, 'run', 'p0f.sock');
    const pidFile = path.join(dir, 'run', 'pof.pid');
    const log = path.join(dir, 'pof.log');
    // ready means ready: the socket answers right away
    const st = await talk(sock, encodeV2Query({ type: 'status', id: 1, src: '0.0.0.0', srcPort: 0, dst: '0.0.0.0', dstPort: 0 }), 56);
    assert.equal(st.buf.length, 56);
    assert.equal(fs.readFileSync(pidFile, 'utf8').trim(), String(pid));
    const ids = procIds(pid);
    assert.deepEqual(ids.uid, [NOBODY, NOBODY, NOBODY, NOBODY]);
    // its own session, no -d in its arguments, cwd /
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    assert.equal(Number(fields[3]), pid, 'session leader');
    assert.ok(!fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes('-d'));
    assert.equal(fs.readlinkSync(`/proc/${pid}/cwd`), '/');

    // a connection, then the p0f 2 query for it
    const port = await nodeGet(web.port);
    await waitFor('the SYN in the log', () => fs.readFileSync(log, 'utf8').includes(`cli=127.0.0.1/${port}|`));
    const a = await talk(sock, encodeV2Query({ type: 'fingerprint', id: 9, src: '127.0.0.1', srcPort: port, dst: '127.0.0.1', dstPort: web.port }));
    assert.equal(a.buf.length, 144);
    const d = decodeV2Response(a.buf);
    assert.ok(d.ok && d.type === 'ok' && d.info.genre === 'Linux', JSON.stringify(d));
    assert.ok(a.closed, 'p0f 2 connections are closed after the answer');
    // in the background, messages go to the log
    assert.match(fs.readFileSync(log, 'utf8'), /\] \[\+\] Entered main event loop\./);

    process.kill(pid, 'SIGTERM');
    await waitFor('the daemon to exit', () => !alive(pid));
    assert.equal(fs.existsSync(sock), false, 'socket removed');
    assert.equal(fs.existsSync(pidFile), false, 'pid file removed');
    assert.match(fs.readFileSync(log, 'utf8'), /SIGTERM: processed \d+ packets/);
  }

  it('-d: a start-up failure is reported by the parent, which exits 1', async () => {
    const sock = path.join(tmp.dir, 'fail.sock');
    const r = await runPof(['-i', 'nosuchif0', '-s', sock, '-d']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /no such capture device 'nosuchif0'/);
    assert.equal(fs.existsSync(sock), false, 'the socket is removed again');
  });

  it('pof -L lists the interfaces, loopback included', async () => {
    const r = await runPof(['-L']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Name +: lo\n/);
    assert.match(r.stdout, /Flags +: up, running, loopback/);
  });

  it('usage errors come out at once (-d without -o or -s, unknown user, -s and -Q together)', async () => {
    const a = await runPof(['-i', 'lo', '-d']);
    assert.equal(a.code, 2);
    assert.match(a.stderr, /-d needs -o or -s/);
    const b = await runPof(['-i', 'lo', '-s', path.join(tmp.dir, 'x.sock'), '-u', 'no-such-user-pof']);
    assert.equal(b.code, 2);
    assert.match(b.stderr, /user 'no-such-user-pof' not found/);
    const c = await runPof(['-i', 'lo', '-s', 'a', '-Q', 'b']);
    assert.equal(c.code, 2);
  });

  it('replaces a stale socket left by a crash, refuses one still in use', async () => {
    const sock = path.join(tmp.dir, 'stale.sock');
    if (haveCommand('python3')) {
      // bind without listen and exit: the file stays, nobody answers
      execFileSync('python3', ['-c', 'import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])', sock]);
    } else {
      fs.writeFileSync(sock, '');
    }
    if (!fs.statSync(sock).isSocket()) return; // no python3: nothing to test
    const first = await startPof(['-i', 'lo', '-s', sock, '-q', 'tcp port 9']);
    try {
      const c = new PofClient({ path: sock, timeoutMs: 2000 });
      assert.equal(await c.queryHost('192.0.2.5'), null);
      await c.close();
      const second = await runPof(['-i', 'lo', '-s', sock, '-q', 'tcp port 9']);
      assert.equal(second.code, 1);
      assert.match(second.stderr, /in use by another process/);
      assert.ok(fs.statSync(sock).isSocket(), 'the live socket is left alone');
    } finally {
      assert.equal((await first.stop()).code, 0);
    }
    assert.equal(fs.existsSync(sock), false);
  });

  it('--json prints one object per observation on the console; root keeps a 0600 socket unless told', async () => {
    const sock = path.join(tmp.dir, 'json.sock');
    const p = await startPof(['-i', 'lo', '-s', sock, '--json', `tcp port ${web.port}`]);
    try {
      assert.equal(fs.statSync(sock).mode & 0o777, 0o600);
      const port = await nodeGet(web.port);
      const line = await waitFor('a JSON syn line', () =>
        p
          .stdout()
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l) as { mod: string; cli: { port: number }; fields: Record<string, string | null> })
          .find((o) => o.mod === 'syn' && o.cli.port === port),
      );
      assert.match(line.fields.os ?? '', /^Linux/);
    } finally {
      await p.stop();
    }
    const p2 = await startPof(['-i', 'lo', '-s', sock, '-q', '--socket-mode', '0666', 'tcp port 9']);
    try {
      assert.equal(fs.statSync(sock).mode & 0o777, 0o666);
      assert.match(p2.stderr(), /world-writable/);
    } finally {
      await p2.stop();
    }
  });

  describe('with a user made for the test', () => {
    const user = 'pofe2e';
    const extra = 'pofe2ex';
    const sockGroup = 'pofe2es';
    let made = false;
    before(() => {
      if (!haveCommand('useradd')) return;
      spawnSync('userdel', [user], { stdio: 'ignore' });
      for (const g of [extra, sockGroup, user]) spawnSync('groupdel', [g], { stdio: 'ignore' });
      execFileSync('groupadd', [extra]);
      execFileSync('groupadd', [sockGroup]);
      execFileSync('useradd', ['--system', '--user-group', '--no-create-home', '--shell', '/usr/sbin/nologin', '-G', extra, user]);
      made = true;
    });
    after(() => {
      if (!made) return;
      spawnSync('userdel', [user], { stdio: 'ignore' });
      for (const g of [extra, sockGroup, user]) spawnSync('groupdel', [g], { stdio: 'ignore' });
    });

    it('drops to the user, its primary and supplementary groups; --socket-group decides who may connect', async (t) => {
      if (!made) return t.skip('useradd not available');
      const id = (flag: string, name = user): number => Number(execFileSync('id', [flag, name], { encoding: 'utf8' }).trim());
      const uid = id('-u');
      const gid = id('-g');
      const extraGid = Number(execFileSync('getent', ['group', extra], { encoding: 'utf8' }).split(':')[2]);
      const sockGid = Number(execFileSync('getent', ['group', sockGroup], { encoding: 'utf8' }).split(':')[2]);
      const sock = path.join(tmp.dir, 'u', 'pof.sock');
      const p = await startPof(['-i', 'lo', '-s', sock, '-u', user, '--socket-group', sockGroup, '-q', 'tcp port 9']);
      try {
        const ids = procIds(p.pid);
        assert.deepEqual(ids.uid, [uid, uid, uid, uid]);
        assert.deepEqual(ids.gid, [gid, gid, gid, gid]);
        assert.deepEqual([...ids.groups].sort(), [gid, extraGid].sort());
        const st = fs.statSync(sock);
        assert.equal(st.uid, uid);
        assert.equal(st.gid, sockGid);
        assert.equal(st.mode & 0o777, 0o660);
      } finally {
        assert.equal((await p.stop()).code, 0);
      }
      assert.equal(fs.existsSync(sock), false);
    });
  });
});
