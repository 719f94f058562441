/**
 * Who the sensor runs as. It starts as root to open the capture and bind
 * the API socket, then gives root up for good (-u USER): supplementary
 * groups, then the group, then the user, and checks that root cannot be
 * taken back. Node has no chroot(2), so unlike p0f there is no jail in the
 * user's home directory (docs/daemon.md says what to do instead).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { PofError } from '../errors.js';

export interface UserInfo {
  name: string;
  uid: number;
  gid: number;
  home: string;
}

/** One passwd(5) line, or null. */
export function parsePasswdLine(line: string): UserInfo | null {
  const f = line.split(':');
  if (f.length < 7 || !/^\d+$/.test(f[2]!) || !/^\d+$/.test(f[3]!)) return null;
  return { name: f[0]!, uid: Number(f[2]), gid: Number(f[3]), home: f[5]! };
}

/** The gid of one group(5) line, or null. */
function parseGroupLine(line: string): { name: string; gid: number } | null {
  const f = line.split(':');
  if (f.length < 3 || !/^\d+$/.test(f[2]!)) return null;
  return { name: f[0]!, gid: Number(f[2]) };
}

/** Asks NSS (getent) first, so LDAP/sssd users work; falls back to the flat file. */
function nssLookup(db: 'passwd' | 'group', key: string): string | null {
  try {
    const out = execFileSync('getent', [db, key], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000 });
    const line = out.split('\n')[0];
    if (line) return line;
  } catch {
    // getent missing, or "not found" (exit 2): try the file
  }
  let text = '';
  try {
    text = readFileSync(`/etc/${db}`, 'utf8');
  } catch {
    return null;
  }
  const numeric = /^\d+$/.test(key);
  for (const line of text.split('\n')) {
    const f = line.split(':');
    if (f[0] === key || (numeric && f[2] === key)) return line;
  }
  return null;
}

/** Resolves a user name (or numeric uid) to its ids; PofError('E_USAGE') if unknown. */
export function lookupUser(name: string): UserInfo {
  if (!name || name.includes(':') || name.includes('\n')) throw new PofError('E_USAGE', `bad user name '${name}'`);
  const line = nssLookup('passwd', name);
  const u = line ? parsePasswdLine(line) : null;
  if (!u) throw new PofError('E_USAGE', `user '${name}' not found`);
  return u;
}

/** Resolves a group name (or numeric gid). */
export function lookupGroup(name: string): number {
  if (/^\d+$/.test(name)) return Number(name);
  if (!name || name.includes(':') || name.includes('\n')) throw new PofError('E_USAGE', `bad group name '${name}'`);
  const line = nssLookup('group', name);
  const g = line ? parseGroupLine(line) : null;
  if (!g) throw new PofError('E_USAGE', `group '${name}' not found`);
  return g.gid;
}

/** Refuses what p0f refuses: a target user that is root in disguise. */
export function checkTargetUser(u: UserInfo): void {
  if (u.uid === 0 || u.gid === 0) {
    throw new PofError('E_USAGE', `user '${u.name}' must be non-root (uid and primary gid not 0) to be worth switching to`);
  }
}

export interface ProcessIds {
  getuid(): number;
  geteuid(): number;
  getgid(): number;
  getegid(): number;
  setuid(id: number): void;
  setgid(id: number): void;
  setgroups(groups: number[]): void;
  initgroups(user: string, extraGroup: number): void;
  getgroups(): number[];
}

function nodeIds(): ProcessIds {
  // initgroups(3) is in Node but missing from some @types/node versions.
  const p = process as NodeJS.Process & { initgroups?: (user: string, extraGroup: number) => void };
  if (!p.setuid || !p.setgid || !p.getuid || !p.geteuid || !p.getgid || !p.getegid || !p.setgroups || !p.initgroups || !p.getgroups) {
    throw new PofError('E_USAGE', '-u is not supported on this platform');
  }
  return {
    getuid: p.getuid.bind(p),
    geteuid: p.geteuid.bind(p),
    getgid: p.getgid.bind(p),
    getegid: p.getegid.bind(p),
    setuid: p.setuid.bind(p),
    setgid: p.setgid.bind(p),
    setgroups: p.setgroups.bind(p),
    initgroups: p.initgroups.bind(p),
    getgroups: p.getgroups.bind(p),
  };
}

/**
 * Becomes `u` for good: supplementary groups from the group database
 * (initgroups; just the primary group if the user is not in it), then gid,
 * then uid. Throws PofError('E_CONFIG') if any step fails or root can be
 * regained. Needs root.
 */
export function dropPrivileges(u: UserInfo, ids: ProcessIds = nodeIds()): void {
  checkTargetUser(u);
  if (ids.geteuid() !== 0) throw new PofError('E_USAGE', `-u ${u.name} needs pof to be started as root`);
  const fail = (step: string, e: unknown): never => {
    throw new PofError('E_CONFIG', `cannot drop privileges to '${u.name}': ${step} failed: ${(e as Error).message}`, { cause: e });
  };
  try {
    ids.initgroups(u.name, u.gid);
  } catch {
    try {
      ids.setgroups([u.gid]);
    } catch (e) {
      fail('setgroups', e);
    }
  }
  try {
    ids.setgid(u.gid);
  } catch (e) {
    fail(`setgid(${u.gid})`, e);
  }
  try {
    ids.setuid(u.uid);
  } catch (e) {
    fail(`setuid(${u.uid})`, e);
  }
  if (ids.getuid() !== u.uid || ids.geteuid() !== u.uid || ids.getgid() !== u.gid || ids.getegid() !== u.gid) {
    throw new PofError('E_CONFIG', `cannot drop privileges to '${u.name}': ids did not change`);
  }
  if (ids.getgroups().includes(0)) throw new PofError('E_CONFIG', `cannot drop privileges to '${u.name}': still in group 0`);
  let regained = false;
  try {
    ids.setuid(0);
    regained = true;
  } catch {
    // expected: EPERM
  }
  if (regained) throw new PofError('E_CONFIG', `privileges not dropped: could switch back to root after becoming '${u.name}'`);
}

export interface SocketPlanInput {
  /** --socket-mode as given (octal text), if given. */
  mode?: string;
  /** --socket-group, if given. */
  group?: string;
  /** The -u user, if any. */
  user?: UserInfo;
  /** uid the socket is created with (the process's euid). */
  creatorUid: number;
}

export interface SocketPlan {
  mode: number;
  /** chown(2) target; -1 leaves a part unchanged. */
  uid: number;
  gid: number;
  /** The mode was asked for with --socket-mode. */
  explicit: boolean;
}

/** Parses an octal file mode such as 660, 0660 or 0o660. */
export function parseMode(text: string): number {
  const m = /^(?:0o?)?([0-7]{1,4})$/.exec(text);
  if (!m) throw new PofError('E_USAGE', `--socket-mode wants an octal mode such as 0660 (got '${text}')`);
  return parseInt(m[1]!, 8);
}

/**
 * Owner, group and mode of the API socket. With -u the socket belongs to
 * the user (and its group, or --socket-group) with mode 0660, so the user's
 * processes (PHP as www-data...) can connect; without -u it stays the
 * creator's with 0600, or 0660 for --socket-group. A root-owned socket that
 * anyone may write to (p0f's 0666) is only made when --socket-mode asks.
 */
export function planSocket(i: SocketPlanInput, resolveGroup: (g: string) => number = lookupGroup): SocketPlan {
  const explicit = i.mode !== undefined;
  const gid = i.group !== undefined ? resolveGroup(i.group) : i.user ? i.user.gid : -1;
  const mode = explicit ? parseMode(i.mode!) : i.user || i.group !== undefined ? 0o660 : 0o600;
  const uid = i.user ? i.user.uid : -1;
  const ownerUid = uid === -1 ? i.creatorUid : uid;
  if (ownerUid === 0 && mode & 0o002 && !explicit) {
    throw new PofError('E_USAGE', 'refusing a world-writable API socket owned by root (give --socket-mode explicitly)');
  }
  if (mode & 0o7000) throw new PofError('E_USAGE', `--socket-mode ${i.mode}: setuid/setgid/sticky bits make no sense on a socket`);
  return { mode, uid, gid, explicit };
}
