/** The API socket's file: listening on it, its mode and group, a stale socket from an earlier run, and its removal. */
import { chmod, chown, lstat, readFile, stat, unlink } from 'node:fs/promises';
import net from 'node:net';
import { PofError } from '../errors.js';
import { intOption as intOpt } from '../options.js';

/** A group name or number as a gid; PofError('E_CONFIG') for an unknown name. */
export async function resolveGid(group: string | number): Promise<number> {
  if (typeof group === 'number') return intOpt('group', group, 0, 0, 0x7fffffff);
  if (/^\d+$/.test(group)) return Number(group);
  const text = await readFile('/etc/group', 'utf8').catch(() => '');
  for (const line of text.split('\n')) {
    const f = line.split(':');
    if (f[0] === group && f[2] !== undefined && /^\d+$/.test(f[2])) return Number(f[2]);
  }
  throw new PofError('E_CONFIG', `unknown group: ${group}`);
}

/** Removes a stale socket file; refuses a live socket or a file that is not a socket. */
export async function clearSocketPath(path: string): Promise<void> {
  let st;
  try {
    st = await lstat(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw new PofError('E_API', `cannot check API socket ${path}: ${(e as Error).message}`, { cause: e });
  }
  if (!st.isSocket()) throw new PofError('E_API', `${path} exists and is not a socket; not replacing it`);
  const live = await new Promise<boolean>((resolve) => {
    const c = net.connect(path);
    c.once('connect', () => {
      c.destroy();
      resolve(true);
    });
    c.once('error', () => resolve(false));
  });
  if (live) throw new PofError('E_API', `API socket ${path} is in use by another process`);
  await unlink(path).catch(() => undefined);
}

/**
 * Listens on the socket file `path`, replacing a stale one (clearSocketPath).
 * Rejects with PofError('E_API') naming the path and why, once.
 */
export async function listenOnSocketFile(server: net.Server, path: string): Promise<void> {
  await clearSocketPath(path);
  await new Promise<void>((resolve, reject) => {
    const onErr = (e: NodeJS.ErrnoException): void => {
      // "listen EACCES: permission denied /x.sock" -> "permission denied (EACCES)"
      const why = e.code ? `${e.message.replace(/^\w+ [A-Z0-9_]+: /, '').replace(` ${path}`, '')} (${e.code})` : e.message;
      reject(new PofError('E_API', `cannot listen on API socket ${path}: ${why}`, { cause: e }));
    };
    server.once('error', onErr);
    server.listen({ path, backlog: 511 }, () => {
      server.off('error', onErr);
      resolve();
    });
  });
}

/** Gives the socket file its mode (and group); returns its inode, for removeSocketFile. */
export async function setSocketFileAccess(path: string, mode: number, gid: number | undefined): Promise<number> {
  try {
    await chmod(path, mode);
    if (gid !== undefined) await chown(path, -1, gid);
    return (await stat(path)).ino;
  } catch (e) {
    throw new PofError('E_API', `cannot set up API socket ${path}: ${(e as Error).message}`, { cause: e });
  }
}

/** Removes the socket file, if it is still the one made (inode `ino`; -1: none was). */
export async function removeSocketFile(path: string, ino: number): Promise<void> {
  if (ino === -1) return;
  const st = await stat(path).catch(() => null);
  if (st && st.ino === ino) await unlink(path).catch(() => undefined);
}
