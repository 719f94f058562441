import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Label, TcpSignature } from '../../src/db/types.js';
import type { TcpObservation } from '../../src/fingerprint/tcp.js';
import { newFlow, type Flow } from '../../src/state/flows.js';
import { HostTable, type Host } from '../../src/state/hosts.js';
import { addNatScore, NatReason, reasonNames, scoreNat, verifyToolClass } from '../../src/state/nat.js';

function flowFor(client: Host, server: Host, cliPort = 40000): Flow {
  const k = { ipVer: 4 as const, encap: false, a0: 0, a1: 0, a2: 0, a3: 0, b0: 0, b1: 0, b2: 0, b3: 0, aPort: cliPort, bPort: 80 };
  return newFlow(client, server, k, 0, 0);
}

function hosts(): { c: Host; s: Host } {
  const t = new HostTable({ maxHosts: 10, idleLimitS: 60 });
  return { c: t.create(0x0a000001, '10.0.0.1', 4, 0), s: t.create(0x0a000002, '10.0.0.2', 4, 0) };
}

const label = (id: number, name: string): Label => ({ id, line: id, generic: false, cls: 'unix', name, flavor: null, sys: [] });
const sigOf = (l: Label, line: number): TcpSignature =>
  ({ line, label: l, badTtl: false } as unknown as TcpSignature);

function obs(matched: TcpSignature | null, over: Partial<TcpObservation> = {}): TcpObservation {
  return {
    ipVer: 4, ttl: 64, ipOptLen: 0, quirks: 0, optKey: '2,4,8,1,3', eolPad: 0, mss: 1460, win: 29200, wscale: 7,
    payClass: 0, totHdr: 60, ts1: 0, recvMs: 0, matched, fuzzy: false, dist: 0, ...over,
  };
}

test('reason names print in p0f order', () => {
  assert.deepEqual(reasonNames(NatReason.MSS | NatReason.UNK_DIFF | NatReason.TTL), ['sig_diff', 'ttl', 'mtu']);
});

test('a score of 1 alone is not reported; 2+ is a host change; a lasting pattern is ip sharing', () => {
  const { c, s } = hosts();
  const f = flowFor(c, s);
  assert.equal(addNatScore(true, f, NatReason.PORT, 1, 5), null);
  const ev = addNatScore(true, f, NatReason.TTL, 4, 6);
  assert.equal(ev?.kind, 'host change');
  assert.deepEqual(ev?.reasons, ['ttl']);
  assert.deepEqual(ev?.rawHits, [0, 1, 1, 2]);
  assert.equal(c.lastChg, 6);
  // nine scores of at least 1 make "ip sharing", with every reason seen since the last alarm
  let last = null;
  for (let i = 0; i < 7; i++) last = addNatScore(true, f, NatReason.PORT, 1, 7);
  assert.equal(last?.kind, 'ip sharing');
  assert.deepEqual(last?.reasons, ['ttl', 'port']);
  assert.deepEqual(last?.rawHits, [0, 1, 1, 9]);
  assert.equal(c.lastNat, 7);
  assert.equal(c.natReasons, 0);
  assert.equal(c.natC1 | c.natC2 | c.natC3 | c.natC6, 0);
});

test('a different OS name on a later SYN scores 8 (os_diff) and updates the host', () => {
  const { c, s } = hosts();
  const linux = sigOf(label(1, 'Linux'), 10);
  const win = sigOf(label(2, 'Windows'), 20);
  const f = flowFor(c, s);
  assert.equal(scoreNat(true, obs(linux), f, 1), null);
  c.lastSyn = obs(linux);
  assert.equal(c.lastOs?.name, 'Linux');
  const ev = scoreNat(true, obs(win, { ttl: 128 }), flowFor(c, s, 40001), 2);
  assert.equal(ev?.kind, 'host change');
  assert.deepEqual(ev?.reasons, ['os_diff']);
  assert.equal(c.lastOs?.name, 'Windows');
});

test('unknown signatures: quirk and layout changes, TTL, MSS and port drops are scored', () => {
  const { c, s } = hosts();
  c.lastSyn = obs(null, { ttl: 64 });
  c.lastPort = 50000;
  const ev = scoreNat(true, obs(null, { ttl: 60, mss: 1400, optKey: '2' }), flowFor(c, s, 40000), 3);
  assert.equal(ev?.kind, 'host change');
  assert.deepEqual(ev?.reasons, ['sig_diff', 'ttl', 'port', 'mtu']);
});

test('consistent timestamps halve the score', () => {
  const { c, s } = hosts();
  c.lastSyn = obs(null, { ts1: 1000, recvMs: 0, ttl: 64 });
  // TTL changed (4) but the timestamp advanced plausibly: 4 / 2 = 2, still a host change
  const ev = scoreNat(true, obs(null, { ts1: 2000, recvMs: 1000, ttl: 63 }), flowFor(c, s), 1);
  assert.equal(ev?.kind, 'host change');
  assert.deepEqual(ev?.rawHits, [0, 0, 1, 1]);
});

test('userland tools are checked against the host OS through sys', () => {
  const { c, s } = hosts();
  const f = flowFor(c, s);
  assert.equal(verifyToolClass(true, f, [{ kind: 'class', cls: 'win' }], 1), null); // no OS known yet
  c.lastOs = label(1, 'Linux');
  assert.equal(verifyToolClass(true, f, [{ kind: 'class', cls: 'unix' }], 1), null);
  const ev = verifyToolClass(true, f, [{ kind: 'name', name: 'Windows' }], 1);
  assert.deepEqual(ev?.reasons, ['app_vs_os']);
});

test('the bit-mask history counts exactly what a 32-entry score list would (property)', async () => {
  const fc = (await import('fast-check')).default;
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 0, max: 20 }), { maxLength: 200 }), (scores) => {
      const { c, s } = hosts();
      const f = flowFor(c, s);
      const list: number[] = new Array(32).fill(0);
      for (const sc of scores) {
        list.shift();
        list.push(sc);
        const ev = addNatScore(true, f, 0, sc, 1);
        const want = [list.filter((x) => x >= 6).length, list.filter((x) => x >= 3).length, list.filter((x) => x >= 2).length, list.filter((x) => x >= 1).length];
        if (sc === 0) {
          if (ev !== null) return false;
          continue;
        }
        const sharing = want[0]! > 2 || want[1]! > 4 || want[2]! > 6 || want[3]! > 8;
        if (sharing) {
          if (ev?.kind !== 'ip sharing' || ev.rawHits.join() !== want.join()) return false;
          list.fill(0);
        } else if (sc === 1) {
          if (ev !== null) return false;
        } else if (ev?.kind !== 'host change' || ev.rawHits.join() !== want.join()) return false;
      }
      return true;
    }),
  );
});
