/**
 * End-to-end helpers: start the real CLI as a child process, make real TCP
 * connections on loopback, wait for things. The tests need root (live
 * capture, privilege drop) and the native addon; `e2eSkip` says why not.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { addonAvailable } from '../../src/capture/live.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const MAIN = path.join(ROOT, 'src', 'cli', 'main.ts');

export const e2eSkip: string | false =
  process.platform !== 'linux'
    ? 'Linux only'
    : process.getuid?.() !== 0
      ? 'needs root (live capture, privilege drop)'
      : !addonAvailable()
        ? 'native addon not built (npm run build:native)'
        : false;

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function waitFor<T>(what: string, fn: () => T | Promise<T>, timeoutMs = 10000, stepMs = 25): Promise<NonNullable<T>> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v as NonNullable<T>;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(stepMs);
  }
}

/** A directory every user may traverse (sockets for www-data / nobody live below it). */
export function publicTempDir(): { dir: string; cleanup(): void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pof-e2e-'));
  fs.chmodSync(dir, 0o755);
  return { dir, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

export interface PofProc {
  proc: ChildProcess;
  pid: number;
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit once the process is gone. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * True once process `pid` holds a packet socket (its capture is open) and,
 * with `dropped`, runs as a user other than root. pof opens the capture,
 * drops privileges and attaches the engine in one synchronous run, so this
 * is when it is ready: how to tell with -q, which prints nothing at start-up.
 */
export function capturing(pid: number, dropped: boolean): boolean {
  try {
    const inodes = new Set(
      fs
        .readFileSync(`/proc/${pid}/net/packet`, 'utf8')
        .split('\n')
        .slice(1)
        .map((l) => l.trim().split(/\s+/)[8])
        .filter(Boolean),
    );
    const open = fs.readdirSync(`/proc/${pid}/fd`).some((fd) => {
      const m = /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/${pid}/fd/${fd}`, { encoding: 'utf8' }));
      return m !== null && inodes.has(m[1]!);
    });
    return open && (!dropped || procIds(pid).uid[0] !== 0);
  } catch {
    return false; // gone, or between two reads
  }
}

/** -q among the flags (alone or grouped, as in -qKU). */
const quietFlag = (args: string[]): boolean => args.some((a) => /^-[A-Za-z]*q[A-Za-z]*$/.test(a));

/** Runs `pof ARGS` (through tsx) and waits until it is ready (see capturing()) unless told not to. */
export async function startPof(args: string[], opts: { wait?: boolean; timeoutMs?: number } = {}): Promise<PofProc> {
  const proc = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (err += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.on('exit', (code, signal) => resolve({ code, signal })),
  );
  let gone = false;
  void exited.then(() => (gone = true));
  const p: PofProc = {
    proc,
    pid: proc.pid!,
    stdout: () => out,
    stderr: () => err,
    exited,
    async stop(signal = 'SIGTERM') {
      if (!gone) proc.kill(signal);
      const t = setTimeout(() => proc.kill('SIGKILL'), 10000);
      const r = await exited;
      clearTimeout(t);
      return r;
    },
  };
  if (opts.wait !== false) {
    await waitFor(
      'pof to start',
      () => {
        if (gone) throw new Error(`pof exited during start-up:\n${err}`);
        return err.includes('Entered main event loop') || (quietFlag(args) && capturing(proc.pid!, args.includes('-u')));
      },
      opts.timeoutMs ?? 20000,
    );
  }
  return p;
}

/** The CLI run to completion (pof query, pof -d ...). */
export function runPof(args: string[], timeoutMs = 30000): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', MAIN, ...args], { cwd: ROOT, timeout: timeoutMs }, (e, stdout, stderr) => {
      const code = e ? (typeof (e as { code?: unknown }).code === 'number' ? ((e as { code: number }).code) : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** `Uid:` and `Gid:` of a process (real, effective, saved, fs). */
export function procIds(pid: number): { uid: number[]; gid: number[]; groups: number[] } {
  const s = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const nums = (key: string): number[] => {
    const m = new RegExp(`^${key}:\\s*(.*)$`, 'm').exec(s);
    return m ? m[1]!.trim().split(/\s+/).filter(Boolean).map(Number) : [];
  };
  return { uid: nums('Uid'), gid: nums('Gid'), groups: nums('Groups') };
}

/** A small HTTP server on 127.0.0.1 that closes every connection after answering. */
export async function webServer(): Promise<{ port: number; close(): Promise<void> }> {
  const srv = http.createServer((_q, r) => {
    r.setHeader('Connection', 'close');
    r.end('hello\n');
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return {
    port: (srv.address() as AddressInfo).port,
    close: () => new Promise<void>((r) => srv.close(() => r())),
  };
}

/** A port nobody listens on right now. */
export async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** curl to a URL; gives the body and curl's local port. */
export function curl(url: string): Promise<{ body: string; localPort: number }> {
  return new Promise((resolve, reject) => {
    execFile('curl', ['-s', '-S', '--max-time', '10', '-w', '\n%{local_port}', url], (e, stdout, stderr) => {
      if (e) return reject(new Error(`curl failed: ${stderr || e.message}`));
      const i = stdout.lastIndexOf('\n');
      resolve({ body: stdout.slice(0, i), localPort: Number(stdout.slice(i + 1)) });
    });
  });
}

/** A GET with Node's http client; gives the local port. */
export function nodeGet(port: number, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, agent: false, headers }, (res) => {
      const local = req.socket?.localPort ?? -1;
      res.resume();
      res.on('end', () => resolve(local));
    });
    req.on('error', reject);
  });
}

export function haveCommand(cmd: string): boolean {
  return (process.env.PATH ?? '').split(':').some((d) => d && fs.existsSync(path.join(d, cmd)));
}
