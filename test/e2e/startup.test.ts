/**
 * Start-up that cannot hang: a socket, log or pid path that cannot be made
 * is one line and exit 1 (quickly, even under /proc where Node's recursive
 * mkdir spins), and SIGTERM / SIGINT end the process while a start-up step
 * waits (a -o FIFO with no reader; a -d child still loading its
 * signatures). The path tests need no capture; the last one needs root.
 */
import assert from 'node:assert/strict';
import { execFile, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { e2eSkip, MAIN, publicTempDir, ROOT, startPof, waitFor } from './helpers.js';

const NOBODY = 65534;
const linuxOnly = process.platform !== 'linux' && 'Linux only';

/** Whether this kernel shows where threads wait (wchan); else the tests give start-up time instead. */
const wchanShown = (() => {
  try {
    return fs.readdirSync('/proc/self/task').some((t) => !['', '0'].includes(fs.readFileSync(`/proc/self/task/${t}/wchan`, 'utf8').trim()));
  } catch {
    return false;
  }
})();

/** A thread of the process waits in the kernel for a FIFO's other end. */
function waitsOnFifo(pid: number): boolean {
  try {
    return fs.readdirSync(`/proc/${pid}/task`).some((t) => {
      const w = fs.readFileSync(`/proc/${pid}/task/${t}/wchan`, 'utf8').trim();
      return w === 'wait_for_partner' || w === 'fifo_open';
    });
  } catch {
    return false;
  }
}

async function untilWaitingOnFifo(pid: number): Promise<void> {
  if (!wchanShown) return new Promise((r) => setTimeout(r, 4000));
  await waitFor(`pid ${pid} to wait on the FIFO`, () => waitsOnFifo(pid), 20000);
}

/** `pof ARGS` to its end, or SIGKILL after timeoutMs (a pof that hangs may ignore SIGTERM). */
function runPof(args: string[], timeoutMs: number): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const c = execFile(process.execPath, ['--import', 'tsx', MAIN, ...args], { cwd: ROOT, timeout: timeoutMs, killSignal: 'SIGKILL' }, (_e, _out, stderr) =>
      resolve({ code: c.exitCode, stderr }),
    );
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Lets anyone blocked opening the FIFO for writing go on (the test's own writer too). */
function release(fifo: string): void {
  try {
    fs.closeSync(fs.openSync(fifo, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK));
  } catch {
    // gone
  }
}

function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const st = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
      if (Number(st.slice(st.lastIndexOf(')') + 2).split(' ')[1]) === pid) out.push(Number(d));
    } catch {
      // exited meanwhile
    }
  }
  return out;
}

describe('pof start-up: paths that cannot be made', { skip: linuxOnly, timeout: 60_000 }, () => {
  const cases: Array<[string, string[], RegExp]> = [
    ['a socket under /proc/nope', ['-s', '/proc/nope/x.sock'], /^pof: cannot create the API socket directory \/proc\/nope: no such file or directory \(ENOENT\)$/],
    ['a socket several levels under /proc/nope', ['-s', '/proc/nope/a/b/x.sock'], /^pof: cannot create the API socket directory \/proc\/nope: /],
    ['a socket where a file is', ['-s', '/etc/passwd/x.sock'], /^pof: cannot create the API socket directory \/etc\/passwd: \/etc\/passwd is not a directory$/],
    ['a socket in a directory nobody may write', ['-s', '/proc/x.sock'], /^pof: cannot listen on API socket \/proc\/x\.sock: permission denied \(EACCES\)$/],
    ['a log under /proc/nope', ['-o', '/proc/nope/x.log'], /^pof: cannot open log file \/proc\/nope\/x\.log: no such file or directory \(ENOENT\)$/],
    ['a pid file under /proc/nope', ['--pid-file', '/proc/nope/x.pid'], /^pof: cannot write pid file \/proc\/nope\/x\.pid: no such file or directory \(ENOENT\)$/],
    ['-d, a log under /proc/nope', ['-d', '-o', '/proc/nope/x.log'], /^pof: cannot open log file \/proc\/nope\/x\.log: no such file or directory \(ENOENT\)$/],
    ['-d, a socket under /proc/nope (the child says so, the parent tells)', ['-d', '-s', '/proc/nope/x.sock'], /^pof: cannot create the API socket directory \/proc\/nope: no such file or directory \(ENOENT\)$/],
  ];
  for (const [name, args, want] of cases) {
    it(`${name}: one line, exit 1, at once`, async () => {
      const t0 = Date.now();
      const r = await runPof(['-i', 'lo', ...args], 10_000);
      assert.ok(Date.now() - t0 < 8000, `took ${Date.now() - t0} ms`);
      assert.equal(r.code, 1, r.stderr);
      const problems = r.stderr.split('\n').filter((l) => l && !l.startsWith('[+]'));
      assert.equal(problems.length, 1, r.stderr);
      assert.match(problems[0]!, want);
    });
  }
});

describe('pof start-up: SIGTERM and SIGINT while a step waits', { skip: linuxOnly, timeout: 90_000 }, () => {
  let tmp: ReturnType<typeof publicTempDir>;
  before(() => (tmp = publicTempDir()));
  after(() => tmp?.cleanup());

  for (const sig of ['SIGTERM', 'SIGINT'] as const) {
    it(`${sig} while the -o FIFO waits for its reader: stopped at once, nothing left behind`, async () => {
      const fifo = path.join(tmp.dir, `log-${sig}.fifo`);
      const sock = path.join(tmp.dir, `${sig}.sock`);
      fs.rmSync(fifo, { force: true });
      spawnSyncOk('mkfifo', [fifo]);
      const p = await startPof(['-i', 'lo', '-o', fifo, '-s', sock], { wait: false });
      try {
        await untilWaitingOnFifo(p.pid);
        const t0 = Date.now();
        p.proc.kill(sig);
        const r = await Promise.race([p.exited, new Promise<null>((res) => setTimeout(() => res(null), 5000))]);
        assert.ok(r, `still running 5 s after ${sig}: ${p.stderr()}`);
        assert.ok(Date.now() - t0 < 3000, `${Date.now() - t0} ms`);
        assert.deepEqual(r, { code: 0, signal: null });
        assert.match(p.stderr(), new RegExp(`${sig} during start-up: stopped`));
        assert.equal(fs.existsSync(sock), false);
      } finally {
        if (p.proc.exitCode === null && p.proc.signalCode === null) await p.stop('SIGKILL');
        release(fifo);
      }
    });
  }

  it('SIGTERM to a -d parent while its child still loads the signatures: both end', async () => {
    const fifo = path.join(tmp.dir, 'sigs.fifo');
    fs.rmSync(fifo, { force: true });
    spawnSyncOk('mkfifo', [fifo]);
    const sigs = fs.readFileSync(path.join(ROOT, 'signatures', 'pof.fp'));
    // The parent reads the database once (to fail fast); its child then waits for a writer that never comes.
    const feeding = fs.promises.writeFile(fifo, sigs).catch(() => undefined);
    const parent = spawn(process.execPath, ['--import', 'tsx', MAIN, '-i', 'lo', '-d', '-s', path.join(tmp.dir, 'd.sock'), '-f', fifo], {
      cwd: ROOT,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    parent.stderr!.on('data', (d) => (err += d));
    const exited = new Promise<number | null>((r) => parent.on('exit', (code) => r(code)));
    let child = 0;
    try {
      await feeding;
      child = await waitFor('the background child', () => childrenOf(parent.pid!)[0] ?? 0, 20000);
      await untilWaitingOnFifo(child);
      const t0 = Date.now();
      parent.kill('SIGTERM');
      const code = await Promise.race([exited, new Promise<'late'>((r) => setTimeout(() => r('late'), 5000))]);
      assert.equal(code, 1, err);
      assert.match(err, new RegExp(`SIGTERM before the background process \\(pid ${child}\\) was ready`));
      await waitFor('the child to end', () => !alive(child), 3000);
      assert.ok(Date.now() - t0 < 4000);
    } finally {
      if (parent.exitCode === null) parent.kill('SIGKILL');
      if (child && alive(child)) process.kill(child, 'SIGKILL');
      release(fifo);
    }
  });
});

describe('pof start-up: SIGTERM at each stage cleans up', { skip: e2eSkip, timeout: 90_000 }, () => {
  let tmp: ReturnType<typeof publicTempDir>;
  before(() => (tmp = publicTempDir()));
  after(() => tmp?.cleanup());

  for (const [stage, line] of [
    ['signatures loaded', /Loaded \d+ signatures/],
    ['socket listening', /Listening on API socket/],
    ['capture open', /Intercepting traffic/],
  ] as const) {
    it(`after "${stage}": exit 0 within 3 s, no socket or pid file left`, async () => {
      const dir = path.join(tmp.dir, stage.replace(/\W/g, '-'));
      fs.mkdirSync(dir);
      fs.chownSync(dir, NOBODY, NOBODY); // so that nobody may remove the pid file
      const sock = path.join(dir, 'run', 'pof.sock');
      const pid = path.join(dir, 'pof.pid');
      const p = await startPof(['-i', 'lo', '-s', sock, '--pid-file', pid, '-o', path.join(dir, 'pof.log'), '-u', 'nobody'], { wait: false });
      try {
        await waitFor(stage, () => line.test(p.stderr()), 20000, 2);
        const t0 = Date.now();
        p.proc.kill('SIGTERM');
        const r = await p.exited;
        assert.ok(Date.now() - t0 < 3000, `${Date.now() - t0} ms`);
        assert.deepEqual(r, { code: 0, signal: null }, p.stderr());
        assert.equal(fs.existsSync(sock), false, 'socket removed');
        assert.equal(fs.existsSync(pid), false, 'pid file removed');
      } finally {
        if (p.proc.exitCode === null) await p.stop('SIGKILL');
      }
    });
  }
});

function spawnSyncOk(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  assert.equal(r.status, 0, `${cmd} ${args.join(' ')}: ${r.stderr}`);
}
