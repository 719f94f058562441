/** The API socket's file: the group it is given, and a stale socket from an earlier run. */
import { lstat, readFile, unlink } from 'node:fs/promises';
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
