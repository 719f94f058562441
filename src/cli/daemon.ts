/**
 * Running in the background (-d) and the pid file. The parent re-runs pof
 * as a detached child (its own session, stdin and stdout on /dev/null,
 * stderr on the -o log or /dev/null) with the same options minus -d, and
 * waits on a pipe until the child says it is ready (capture open, socket
 * listening, privileges dropped) or why it failed; then it exits, 0 or 1.
 * So `pof -d ... && next-step` only goes on once queries can be answered.
 * SIGTERM or SIGINT to the waiting parent is passed on to the child, which
 * stops wherever its start-up is, and the parent exits 1 at once.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { PofError } from '../errors.js';
import { osReason } from './startup.js';

/** The child learns the pipe's descriptor from this variable. */
export const READY_FD_ENV = 'POF_READY_FD';
/** How long the parent waits for the child to be ready. */
export const DETACH_TIMEOUT_MS = 60_000;

/** The ready pipe's descriptor when this process is a -d child (and forgets it, so that its children do not inherit it). */
export function takeReadyFd(): number | null {
  const v = process.env[READY_FD_ENV];
  delete process.env[READY_FD_ENV];
  if (v === undefined || !/^\d+$/.test(v)) return null;
  return Number(v);
}

function sendLine(fd: number, line: string): void {
  try {
    fs.writeSync(fd, line.replace(/\n/g, ' ') + '\n');
  } catch {
    // parent gone: nothing to tell
  }
  try {
    fs.closeSync(fd);
  } catch {
    // already closed
  }
}

export function notifyReady(fd: number): void {
  sendLine(fd, `ready ${process.pid}`);
}

export function notifyFailure(fd: number, message: string): void {
  sendLine(fd, `error ${message}`);
}

export interface DetachOptions {
  /** Arguments for the child (the original ones without -d). */
  args: string[];
  /** Where the child's stderr goes (crash traces): the -o log, else /dev/null. */
  logFile?: string;
  stderr: (s: string) => void;
  timeoutMs?: number;
}

/** Starts the detached child and waits for its word. Returns the exit code for the parent. */
export function detach(o: DetachOptions): Promise<number> {
  let errFd: number | 'ignore' = 'ignore';
  if (o.logFile) {
    try {
      errFd = fs.openSync(o.logFile, 'a');
    } catch (e) {
      throw new PofError('E_IO', `cannot open log file ${o.logFile}: ${osReason(e)}`, { cause: e });
    }
  }
  const script = process.argv[1];
  if (!script) throw new PofError('E_USAGE', '-d: cannot tell how pof was started');
  const child = spawn(process.execPath, [...process.execArgv, script, ...o.args], {
    detached: true,
    stdio: ['ignore', 'ignore', errFd, 'pipe'],
    env: { ...process.env, [READY_FD_ENV]: '3' },
  });
  if (typeof errFd === 'number') fs.closeSync(errFd);
  const pipe = child.stdio[3] as NodeJS.ReadableStream & { destroy(): void };
  return new Promise<number>((resolve) => {
    let text = '';
    let settled = false;
    const settle = (code: number, msg?: string): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      if (msg) o.stderr(msg);
      child.removeAllListeners('exit');
      pipe.removeAllListeners('data');
      pipe.destroy();
      child.unref();
      resolve(code);
    };
    const timer = setTimeout(() => {
      settle(1, `pof: the background process (pid ${child.pid}) did not become ready within ${Math.round((o.timeoutMs ?? DETACH_TIMEOUT_MS) / 1000)} s; stopping it\n`);
      child.kill('SIGTERM');
    }, o.timeoutMs ?? DETACH_TIMEOUT_MS);
    pipe.on('data', (d: Buffer) => {
      text += d.toString('utf8');
      const nl = text.indexOf('\n');
      if (nl === -1) return;
      const line = text.slice(0, nl);
      if (line.startsWith('ready ')) settle(0, `[+] pof is running in the background, pid ${line.slice(6)}.\n`);
      else if (line.startsWith('error ')) settle(1, `pof: ${line.slice(6)}\n`);
      else settle(1, `pof: unexpected word from the background process: ${line}\n`);
    });
    const onSignal = (sig: NodeJS.Signals): void => {
      child.kill(sig);
      settle(1, `pof: ${sig} before the background process (pid ${child.pid}) was ready: passed on to it\n`);
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
    pipe.on('error', () => undefined);
    child.on('error', (e) => settle(1, `pof: cannot start the background process: ${e.message}\n`));
    child.on('exit', (code, sig) => settle(1, `pof: the background process exited (${sig ?? `status ${code}`}) before it was ready\n`));
  });
}

/** Rebuilds a command line from parsed flags, leaving some out. */
export function rebuildArgs(flags: ReadonlyMap<string, string | true>, rest: readonly string[], omit: readonly string[]): string[] {
  const out: string[] = [];
  for (const [k, v] of flags) {
    if (omit.includes(k)) continue;
    const name = k.length === 1 ? `-${k}` : `--${k}`;
    if (v === true) out.push(name);
    else if (k.length === 1) out.push(name, v);
    else out.push(`${name}=${v}`);
  }
  if (rest.length) out.push('--', ...rest);
  return out;
}

/** Removes the pid file if it still names this process; false if it could not. */
export function removePidFile(path: string): boolean {
  try {
    if (fs.readFileSync(path, 'utf8').trim() !== String(process.pid)) return true;
    fs.unlinkSync(path);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ENOENT';
  }
}
