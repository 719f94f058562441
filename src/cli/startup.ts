/**
 * The sensor's start-up steps that touch files (the -o log, the socket's
 * directory, the pid file), made so that none can hang the process and
 * each failure is one line. They run off the event loop, so SIGTERM and
 * SIGINT are heard while one waits; `unlessStopped` races a step against
 * the stop. The one that may wait for ever is opening a -o FIFO that has
 * no reader yet (p0f waits too): on a stop it is let go, or the thread
 * pool's blocked thread would keep the process from exiting. A pid file
 * is opened without waiting (a FIFO there is an error).
 */
import fs from 'node:fs';
import { chown, mkdir, open, stat } from 'node:fs/promises';
import path from 'node:path';
import { PofError } from '../errors.js';
import { FdWriter } from '../output/writer.js';
import type { UserInfo } from './privileges.js';

/** How the sensor was told to stop. */
export interface StopReason {
  code: number;
  why: string;
}

/** A start-up step lost its race against SIGTERM / SIGINT. */
export class StartupStopped extends Error {
  constructor(readonly reason: StopReason) {
    super(`stopped by ${reason.why} during start-up`);
  }
}

/** What a step may need when the stop comes first. */
export interface StepAbort<T> {
  /** Given what the step makes if it finishes after all (to close it). */
  late?: (v: T) => void;
  /** Called at once: lets a step that waits go on (see releaseFifo). */
  release?: () => void;
}

/** `step`, unless `stopped` comes first: then a StartupStopped rejection. */
export function unlessStopped<T>(step: Promise<T>, stopped: Promise<StopReason>, abort: StepAbort<T> = {}): Promise<T> {
  const { late, release } = abort;
  let lost = false;
  void step.then(
    (v) => {
      if (lost) late?.(v);
    },
    () => undefined,
  );
  return Promise.race([
    step,
    stopped.then((r) => {
      lost = true;
      release?.();
      throw new StartupStopped(r);
    }),
  ]);
}

/** "no such file or directory (ENOENT)" out of a Node system error. */
export function osReason(e: unknown): string {
  const err = e as NodeJS.ErrnoException | undefined;
  if (err && typeof err.code === 'string') {
    const m = /^[A-Z0-9_]+: ([^,]+)/.exec(err.message);
    return m ? `${m[1]} (${err.code})` : err.code;
  }
  return e instanceof Error ? e.message : String(e);
}

/** Opens the -o log for appending, off the event loop (a FIFO's open waits for its reader; see releaseFifo). */
export async function openLogAppend(file: string): Promise<FdWriter> {
  const fd = await new Promise<number>((resolve, reject) => fs.open(file, 'a', (e, fd) => (e ? reject(e) : resolve(fd)))).catch((e: unknown) => {
    throw new PofError('E_IO', `cannot open log file ${file}: ${osReason(e)}`, { cause: e });
  });
  return new FdWriter(fd);
}

/**
 * Lets an open(2) for writing that waits for a FIFO's reader go on: opens
 * the FIFO for reading, without waiting, and closes it again. Nothing for
 * other files.
 */
export function releaseFifo(file: string): void {
  try {
    if (!fs.statSync(file).isFIFO()) return;
    fs.closeSync(fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK));
  } catch {
    // gone or not ours to open: nothing waits on it then
  }
}

/** Most directory levels made for the API socket (/run/p0f/ in the old guides needs one). */
const MAX_SOCKET_DIR_LEVELS = 8;

/**
 * Creates the socket's directory when it is missing, owned by the -u user
 * so that it can remove the socket on exit. One level at a time: Node's
 * recursive mkdir retries for ever where mkdir(2) says ENOENT of a parent
 * that exists (/proc/nope).
 */
export async function makeSocketDir(sock: string, user: UserInfo | null): Promise<void> {
  const dir = path.dirname(sock);
  const missing: string[] = [];
  for (let d = dir; missing.length <= MAX_SOCKET_DIR_LEVELS; d = path.dirname(d)) {
    const st = await stat(d).catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return null;
      throw new PofError('E_API', `cannot use the API socket directory ${dir}: ${d === dir ? '' : `${d}: `}${osReason(e)}`, { cause: e });
    });
    if (st) {
      if (!st.isDirectory()) throw new PofError('E_API', `cannot create the API socket directory ${dir}: ${d} is not a directory`);
      break;
    }
    missing.unshift(d);
    if (path.dirname(d) === d) break;
  }
  if (!missing.length) return;
  if (missing.length > MAX_SOCKET_DIR_LEVELS) {
    throw new PofError('E_API', `cannot create the API socket directory ${dir}: more than ${MAX_SOCKET_DIR_LEVELS} missing levels`);
  }
  for (const d of missing) {
    try {
      await mkdir(d, { mode: 0o755 });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') continue;
      throw new PofError('E_API', `cannot create the API socket directory ${d}: ${osReason(e)}`, { cause: e });
    }
  }
  if (user) {
    await chown(dir, user.uid, user.gid).catch((e: unknown) => {
      throw new PofError('E_API', `cannot give the API socket directory ${dir} to ${user.name}: ${osReason(e)}`, { cause: e });
    });
  }
}

/** Writes the pid file (before privileges are dropped), off the event loop and never waiting for a reader. */
export async function writePidFile(file: string): Promise<void> {
  const { O_WRONLY, O_CREAT, O_TRUNC, O_NONBLOCK } = fs.constants;
  try {
    const fh = await open(file, O_WRONLY | O_CREAT | O_TRUNC | O_NONBLOCK, 0o644);
    try {
      await fh.writeFile(`${process.pid}\n`);
    } finally {
      await fh.close();
    }
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code === 'ENXIO' ? 'it is a FIFO (ENXIO)' : osReason(e);
    throw new PofError('E_IO', `cannot write pid file ${file}: ${why}`, { cause: e });
  }
}
