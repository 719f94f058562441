/**
 * The old guide's invocation exactly as written, without -i:
 * `pof -qKU -Q SOCK -u www-data`. It runs in a network namespace made here
 * (so that its interfaces are ones we control): namespace A has lo and
 * one end of a veth pair (10.99.0.1), namespace B the other end
 * (10.99.0.2). pof, on every interface ('any') without -i, must see curl's
 * connection from B to a web server in A, and answer the guide's p0f 2
 * query for it. Needs root and `ip`; skipped otherwise.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { decodeV2Response, encodeV2Query } from '../../src/api/v2.js';
import { talk } from '../api/net-helpers.js';
import { capturing, e2eSkip, haveCommand, MAIN, procIds, publicTempDir, ROOT, waitFor } from './helpers.js';

const A = `pofe2ea${process.pid}`;
const B = `pofe2eb${process.pid}`;
const skip = e2eSkip || (!haveCommand('ip') && 'needs iproute2 (ip)') || (!haveCommand('curl') && 'needs curl');

function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

describe('p0f 2 invocation without -i, in a network namespace', { skip, timeout: 60_000 }, () => {
  let tmp: ReturnType<typeof publicTempDir>;
  let made = false;
  const procs: ChildProcess[] = [];

  before(() => {
    tmp = publicTempDir();
    ip('netns', 'add', A);
    made = true;
    ip('netns', 'add', B);
    ip('link', 'add', 'pofva', 'netns', A, 'type', 'veth', 'peer', 'name', 'pofvb', 'netns', B);
    ip('-n', A, 'addr', 'add', '10.99.0.1/24', 'dev', 'pofva');
    ip('-n', B, 'addr', 'add', '10.99.0.2/24', 'dev', 'pofvb');
    for (const [ns, dev] of [[A, 'pofva'], [B, 'pofvb'], [A, 'lo'], [B, 'lo']] as const) ip('-n', ns, 'link', 'set', dev, 'up');
  });

  after(() => {
    for (const p of procs) if (p.exitCode === null) p.kill('SIGKILL');
    if (made) {
      spawnSync('ip', ['netns', 'del', A], { stdio: 'ignore' });
      spawnSync('ip', ['netns', 'del', B], { stdio: 'ignore' });
    }
    tmp?.cleanup();
  });

  it('sees a connection over the veth, fingerprints it, answers the p0f 2 query', async () => {
    const sock = path.join(tmp.dir, 'run', 'p0f.sock');
    let err = '';
    const pof = spawn('ip', ['netns', 'exec', A, process.execPath, '--import', 'tsx', MAIN, '-qKU', '-Q', sock, '-u', 'www-data'], {
      cwd: ROOT,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    procs.push(pof);
    pof.stderr!.on('data', (d) => (err += d));
    await waitFor('pof to start', () => {
      if (pof.exitCode !== null) throw new Error(`pof exited: ${err}`);
      return capturing(pof.pid!, true);
    }, 20000);
    assert.equal(err, '', '-q: nothing at start-up');
    assert.equal(fs.statSync(sock).uid, 33);

    const web = spawn('ip', ['netns', 'exec', A, process.execPath, '-e', "require('http').createServer((q,r)=>r.end('hi')).listen(8080,'10.99.0.1',()=>console.log('up'))"], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    procs.push(web);
    await new Promise<void>((r) => web.stdout!.once('data', () => r()));
    const out = execFileSync('ip', ['netns', 'exec', B, 'curl', '-s', '--max-time', '5', '-w', '\n%{local_port}', 'http://10.99.0.1:8080/'], { encoding: 'utf8' });
    const cliPort = Number(out.split('\n').pop());
    assert.ok(cliPort > 0);

    const q = encodeV2Query({ type: 'fingerprint', id: 1, src: '10.99.0.2', srcPort: cliPort, dst: '10.99.0.1', dstPort: 8080 });
    const d = await waitFor('the connection in the cache', async () => {
      const a = decodeV2Response((await talk(sock, q)).buf);
      return a.ok && a.type === 'ok' ? a : null;
    });
    assert.equal(d.type, 'ok');
    if (d.type === 'ok') {
      assert.equal(d.info.genre, 'Linux');
      assert.equal(d.info.dist, 0);
    }

    // the sensor itself (`ip netns exec` execs it: same pid) runs as www-data
    assert.ok(fs.readFileSync(`/proc/${pof.pid}/cmdline`, 'utf8').includes(MAIN));
    assert.deepEqual(procIds(pof.pid!).uid, [33, 33, 33, 33]);

    pof.kill('SIGTERM');
    await new Promise<void>((r) => (pof.exitCode !== null ? r() : pof.once('exit', () => r())));
    assert.equal(fs.existsSync(sock), false);
  });
});
