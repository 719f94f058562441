/**
 * The daemon's decisions without root: socket ownership and mode, the
 * default interface, the privilege-drop sequence (on fake process ids),
 * rebuilding the command line for -d. Runs everywhere.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { InterfaceInfo } from '../../src/capture/live.js';
import { rebuildArgs } from '../../src/cli/daemon.js';
import { defaultInterface, formatInterfaces } from '../../src/cli/interfaces.js';
import { dropPrivileges, parseMode, parsePasswdLine, planSocket, type ProcessIds, type UserInfo } from '../../src/cli/privileges.js';
import { parseArgs } from '../../src/cli/args.js';
import { SENSOR_FLAGS } from '../../src/cli/sensor-flags.js';
import { PofError } from '../../src/errors.js';

const www: UserInfo = { name: 'www-data', uid: 33, gid: 33, home: '/var/www' };
const groups = (g: string): number => ({ web: 1001, adm: 4 })[g] ?? assert.fail(`group ${g}`);

describe('planSocket', () => {
  const cases: Array<[string, Parameters<typeof planSocket>[0], { mode: number; uid: number; gid: number } | RegExp]> = [
    ['root, nothing asked: 0600 root-owned', { creatorUid: 0 }, { mode: 0o600, uid: -1, gid: -1 }],
    ['-u: the user and its group, 0660', { creatorUid: 0, user: www }, { mode: 0o660, uid: 33, gid: 33 }],
    ['-u and --socket-group', { creatorUid: 0, user: www, group: 'web' }, { mode: 0o660, uid: 33, gid: 1001 }],
    ['--socket-group without -u: 0660', { creatorUid: 0, group: 'adm' }, { mode: 0o660, uid: -1, gid: 4 }],
    ["explicit 0666 as root: allowed (p0f's mode)", { creatorUid: 0, mode: '0666' }, { mode: 0o666, uid: -1, gid: -1 }],
    ['explicit 0640 with -u', { creatorUid: 0, user: www, mode: '640' }, { mode: 0o640, uid: 33, gid: 33 }],
    ['setuid bits refused', { creatorUid: 0, mode: '4660' }, /setuid/],
    ['not octal', { creatorUid: 0, mode: '0899' }, /octal/],
  ];
  for (const [name, input, want] of cases) {
    it(name, () => {
      if (want instanceof RegExp) assert.throws(() => planSocket(input, groups), (e: unknown) => e instanceof PofError && want.test(e.message));
      else {
        const p = planSocket(input, groups);
        assert.deepEqual({ mode: p.mode, uid: p.uid, gid: p.gid }, want);
      }
    });
  }
  it('parseMode', () => {
    assert.equal(parseMode('0660'), 0o660);
    assert.equal(parseMode('0o600'), 0o600);
    assert.equal(parseMode('666'), 0o666);
    assert.throws(() => parseMode('rw-rw----'));
  });
});

function dev(name: string, over: Partial<InterfaceInfo> = {}): InterfaceInfo {
  return {
    name,
    description: null,
    addresses: [{ family: 'IPv4', address: '192.0.2.1', netmask: null, broadcast: null, destination: null }],
    flags: 0,
    loopback: false,
    up: true,
    running: true,
    wireless: false,
    connection: 'connected',
    ...over,
  };
}

describe('defaultInterface (without -i)', () => {
  it("takes 'any' where libpcap lists it (Linux)", () => {
    assert.equal(defaultInterface([dev('eth0'), dev('lo', { loopback: true }), dev('any')]), 'any');
  });
  it('else, as p0f, the first up, running, addressed non-loopback interface', () => {
    assert.equal(defaultInterface([dev('lo', { loopback: true }), dev('eth0')]), 'eth0');
    assert.equal(defaultInterface([dev('eth1', { running: false }), dev('wlan0', { addresses: [] }), dev('eth0')]), 'eth0');
    assert.equal(defaultInterface([dev('eth1', { running: false }), dev('wlan0', { addresses: [] })]), 'wlan0');
  });
  it("skips pseudo devices and falls back to 'any'", () => {
    assert.equal(defaultInterface([dev('lo', { loopback: true }), dev('nflog'), dev('usbmon0'), dev('dbus-system'), dev('down0', { up: false })]), 'any');
    assert.equal(defaultInterface([]), 'any');
  });
  it('pof -L lists names, flags and addresses', () => {
    const s = formatInterfaces([dev('eth0'), dev('lo', { loopback: true, addresses: [] })]);
    assert.match(s, /0: Name +: eth0\n/);
    assert.match(s, /Flags +: up, running, loopback/);
    assert.match(s, /IP address +: 192\.0\.2\.1/);
  });
});

function fakeIds(opts: { root?: boolean; sticky?: boolean; initgroupsFails?: boolean } = {}): ProcessIds & { calls: string[] } {
  let uid = opts.root === false ? 1000 : 0;
  let gid = uid;
  let gr = [0];
  const calls: string[] = [];
  return {
    calls,
    getuid: () => uid,
    geteuid: () => uid,
    getgid: () => gid,
    getegid: () => gid,
    getgroups: () => gr,
    initgroups(user, extra) {
      calls.push(`initgroups ${user} ${extra}`);
      if (opts.initgroupsFails) throw new Error('EPERM');
      gr = [extra, 4];
    },
    setgroups(g) {
      calls.push(`setgroups ${g.join(',')}`);
      gr = g;
    },
    setgid(g) {
      calls.push(`setgid ${g}`);
      gid = g;
    },
    setuid(u) {
      calls.push(`setuid ${u}`);
      if (u === 0 && uid !== 0 && !opts.sticky) throw new Error('EPERM');
      if (!opts.sticky || u !== 0) uid = u;
    },
  };
}

describe('dropPrivileges', () => {
  it('groups, then gid, then uid, then checks root cannot come back', () => {
    const ids = fakeIds();
    dropPrivileges(www, ids);
    assert.deepEqual(ids.calls, ['initgroups www-data 33', 'setgid 33', 'setuid 33', 'setuid 0']);
    assert.equal(ids.getuid(), 33);
  });
  it('falls back to setgroups([gid]) when initgroups fails', () => {
    const ids = fakeIds({ initgroupsFails: true });
    dropPrivileges(www, ids);
    assert.deepEqual(ids.calls.slice(0, 2), ['initgroups www-data 33', 'setgroups 33']);
  });
  it('refuses root targets and non-root callers', () => {
    assert.throws(() => dropPrivileges({ ...www, uid: 0 }, fakeIds()), /non-root/);
    assert.throws(() => dropPrivileges({ ...www, gid: 0 }, fakeIds()), /non-root/);
    assert.throws(() => dropPrivileges(www, fakeIds({ root: false })), /started as root/);
  });
  it('fails loudly if root can be regained', () => {
    const ids = fakeIds({ sticky: true });
    ids.setuid = (u) => {
      ids.calls.push(`setuid ${u}`);
    };
    assert.throws(() => dropPrivileges(www, ids), PofError);
  });
  it('parsePasswdLine', () => {
    assert.deepEqual(parsePasswdLine('www-data:x:33:33:www-data:/var/www:/usr/sbin/nologin'), www);
    assert.equal(parsePasswdLine('broken'), null);
  });
});

describe('rebuildArgs (the -d child gets the same options minus -d)', () => {
  it('unbundles p0f 2 flags and keeps values and the filter', () => {
    const { flags, rest } = parseArgs(['-qKUd', '-Q', '/run/p0f.sock', '-u', 'www-data', '--socket-mode=0660', 'tcp', 'port', '80'], SENSOR_FLAGS);
    const args = rebuildArgs(flags, rest, ['d']);
    assert.deepEqual(args, ['-q', '-K', '-U', '-Q', '/run/p0f.sock', '-u', 'www-data', '--socket-mode=0660', '--', 'tcp', 'port', '80']);
    const again = parseArgs(args, SENSOR_FLAGS);
    assert.equal(again.flags.has('d'), false);
    assert.deepEqual(again.rest, ['tcp', 'port', '80']);
  });
  it('a filter that starts with a dash survives', () => {
    const args = rebuildArgs(new Map([['i', 'lo']]), ['-', 'x'], []);
    assert.deepEqual(parseArgs(args, SENSOR_FLAGS).rest, ['-', 'x']);
  });
});
