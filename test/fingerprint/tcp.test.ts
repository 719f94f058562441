/**
 * TCP matching with p0f's rules, on hand-built signatures and observations.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Label, TcpSignature, WinSpec } from '../../src/db/types.js';
import { Quirk, TcpOpt } from '../../src/decode/types.js';
import {
  buildTcpIndex,
  detectWinMulti,
  guessDist,
  matchTcp,
  quirksText,
  tcpParams,
  type TcpObservation,
} from '../../src/fingerprint/tcp.js';

let labelId = 0;
function label(name: string, opts: { generic?: boolean; cls?: string | null; flavor?: string } = {}): Label {
  return {
    id: labelId++,
    line: 1,
    generic: opts.generic ?? false,
    cls: opts.cls === undefined ? 'unix' : opts.cls,
    name,
    flavor: opts.flavor ?? null,
    sys: [],
  };
}

const LAYOUT = [TcpOpt.MSS, TcpOpt.NOP, TcpOpt.WS, TcpOpt.NOP, TcpOpt.NOP, TcpOpt.SACKOK];

function sig(l: Label, over: Partial<TcpSignature> = {}, line = 10): TcpSignature {
  const optLayout = over.optLayout ?? LAYOUT;
  return {
    line,
    label: l,
    text: '',
    ver: 4,
    ittl: 128,
    badTtl: false,
    olen: 0,
    mss: null,
    win: { kind: 'value', value: 8192 },
    wscale: 8,
    eolPad: 0,
    quirks: Quirk.DF | Quirk.NZ_ID,
    pclass: 'zero',
    ...over,
    optLayout,
    optKey: optLayout.join(','),
  };
}

function obs(over: Partial<TcpObservation> = {}): TcpObservation {
  return {
    ipVer: 4,
    ttl: 128,
    ipOptLen: 0,
    quirks: Quirk.DF | Quirk.NZ_ID,
    optKey: LAYOUT.join(','),
    eolPad: 0,
    mss: 1460,
    win: 8192,
    wscale: 8,
    payClass: 0,
    totHdr: 52,
    ts1: 0,
    recvMs: 0,
    matched: null,
    fuzzy: false,
    dist: 0,
    ...over,
  };
}

function run(sigs: TcpSignature[], o: TcpObservation, synMss = 0): TcpObservation {
  matchTcp(buildTcpIndex(sigs), o, synMss);
  return o;
}

test('exact specific match gives the distance from the signature TTL', () => {
  const s = sig(label('Windows'));
  const o = run([s], obs({ ttl: 120 }));
  assert.equal(o.matched, s);
  assert.equal(o.fuzzy, false);
  assert.equal(o.dist, 8);
});

test('specific beats an earlier generic; generic used when nothing specific', () => {
  const g = sig(label('Windows', { generic: true }), {}, 1);
  const s = sig(label('Windows'), {}, 2);
  assert.equal(run([g, s], obs()).matched, s);
  const o = run([g], obs());
  assert.equal(o.matched, g);
  assert.equal(tcpParams(o, 0), 'generic');
});

test('fuzzy: df/id+ may vanish, id-/ecn may appear; nothing else', () => {
  const s = sig(label('Linux'));
  const lost = run([s], obs({ quirks: 0 }));
  assert.equal(lost.matched, s);
  assert.equal(lost.fuzzy, true);
  const gained = run([s], obs({ quirks: Quirk.DF | Quirk.NZ_ID | Quirk.ECN }));
  assert.equal(gained.fuzzy, true);
  assert.equal(run([s], obs({ quirks: Quirk.DF | Quirk.NZ_ID | Quirk.PUSH })).matched, null);
});

test('TTL above the signature or too far below makes the match fuzzy with a guessed distance', () => {
  const s = sig(label('Linux'), { ittl: 64 });
  const o = run([s], obs({ ttl: 100 }));
  assert.equal(o.matched, s);
  assert.equal(o.fuzzy, true);
  assert.equal(o.dist, guessDist(100));
  const far = run([s], obs({ ttl: 20 }));
  assert.equal(far.fuzzy, true);
  // 44 hops is beyond MAX_DIST, so the distance is guessed from the TTL
  assert.equal(far.dist, 12);
  assert.equal(tcpParams(far, 0), 'fuzzy');
  const none = run([], obs({ ttl: 200 }));
  assert.equal(none.dist, 55);
  assert.equal(tcpParams(none, 0), 'excess_dist');
});

test('random-TTL tools: TTL must not exceed the signature, never fuzzy on TTL', () => {
  const t = sig(label('NMap', { cls: null }), { ittl: 64, badTtl: true });
  assert.equal(run([t], obs({ ttl: 40 })).matched, t);
  assert.equal(run([t], obs({ ttl: 70 })).matched, null);
  // userland tools never match fuzzily, and then no distance is guessed
  const fz = run([t], obs({ ttl: 40, quirks: 0 }));
  assert.equal(fz.matched, null);
  assert.equal(fz.dist, 0);
});

test('window kinds: value, %N, mss*N, mtu*N, any', () => {
  const cases: Array<[WinSpec, Partial<TcpObservation>, boolean]> = [
    [{ kind: 'value', value: 8192 }, { win: 8192 }, true],
    [{ kind: 'value', value: 8192 }, { win: 8193 }, false],
    [{ kind: 'mod', value: 512 }, { win: 1024 }, true],
    [{ kind: 'mod', value: 512 }, { win: 1000 }, false],
    [{ kind: 'mss', mult: 4 }, { win: 1460 * 4, mss: 1460 }, true],
    [{ kind: 'mss', mult: 4 }, { win: 1460 * 5, mss: 1460 }, false],
    [{ kind: 'mtu', mult: 2 }, { win: 1500 * 2, mss: 1460 }, true],
    [{ kind: 'mss', mult: 2 }, { win: 1500 * 2, mss: 1460 }, false],
    [{ kind: 'any' }, { win: 12345 }, true],
  ];
  for (const [win, o, want] of cases) {
    const s = sig(label('X'), { win });
    assert.equal(run([s], obs(o)).matched === s, want, JSON.stringify([win, o]));
  }
});

test('window multiples: MSS-12 only with timestamps; peer MSS for SYN+ACKs', () => {
  assert.equal(detectWinMulti(obs({ win: 1388 * 10, mss: 1400, ts1: 5 }), 0), 10);
  assert.equal(detectWinMulti(obs({ win: 1388 * 10, mss: 1400, ts1: 0 }), 0), -1);
  // an MSS for a 1500-byte MTU is tried even when the packet's own differs
  assert.equal(detectWinMulti(obs({ win: 1448 * 10, mss: 1460, ts1: 0 }), 0), 10);
  assert.equal(detectWinMulti(obs({ win: 1380 * 3, mss: 1200 }), 1380), 3);
  assert.equal(detectWinMulti(obs({ win: 0 }), 0), -1);
  assert.equal(detectWinMulti(obs({ mss: 90 }), 0), -1);
});

test('mss, wscale, pclass, olen and eol padding are fixed unless wildcarded', () => {
  const s = sig(label('X'), { mss: 1460 });
  assert.equal(run([s], obs({ mss: 1400 })).matched, null);
  assert.equal(run([sig(label('X'), { wscale: null })], obs({ wscale: 2 })).matched?.label.name, 'X');
  assert.equal(run([sig(label('X'))], obs({ payClass: 1 })).matched, null);
  assert.equal(run([sig(label('X'), { pclass: 'any' })], obs({ payClass: 1 })).matched?.label.name, 'X');
  assert.equal(run([sig(label('X'))], obs({ ipOptLen: 4 })).matched, null);
  assert.equal(run([sig(label('X'))], obs({ eolPad: 1 })).matched, null);
});

test("'*' version signatures ignore quirks of the other IP version", () => {
  const s = sig(label('Linux'), { ver: 'any', quirks: Quirk.DF | Quirk.NZ_ID });
  const o = run([s], obs({ ipVer: 6, quirks: 0 }));
  assert.equal(o.matched, s);
  assert.equal(o.fuzzy, false);
});

test('quirk names print in p0f order', () => {
  assert.equal(quirksText(Quirk.OPT_BAD | Quirk.DF | Quirk.ZERO_SEQ | Quirk.FLOW), 'df,flow,seq-,bad');
  assert.equal(tcpParams(obs({ dist: 0 }), 0x08), 'tos:0x08');
});
