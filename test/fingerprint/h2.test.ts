/**
 * The HTTP/2 start reader and the Akamai-form fingerprint: table tests on
 * the plaintext real clients sent (curl 7.88.1 with nghttp2 1.52, Node
 * 20's http2 client, taken off a TLS socket on loopback) and on built
 * frames; fast-check properties: never throws, reads back what built
 * frames hold however the bytes are cut, and a longer prefix never changes
 * a complete answer.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  H2_MAX_PRIORITIES,
  H2_MAX_SETTINGS,
  H2_PREFACE,
  H2FrameType,
  h2Fingerprint,
  pseudoHeaderOrder,
  readH2Start,
  type H2Priority,
  type H2Setting,
  type H2StartRead,
} from '../../src/fingerprint/h2.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

/** curl --http2: preface, SETTINGS (3:100, 4:33554432, 2:0), WINDOW_UPDATE 33488897, then HEADERS for GET /x. */
const CURL = hex(`
  505249202a20485454502f322e300d0a0d0a534d0d0a0d0a
  000012 04 00 00000000 0003 00000064 0004 02000000 0002 00000000
  000004 08 00 00000000 01ff0001
  000022 01 05 00000001 8204022f7887418b089d5c0b8170dc65f0859f7a8825b650c3abbcf2e153032a2f2a`);
/** Node's http2.connect(): preface, an empty SETTINGS, then HEADERS. */
const NODE = hex(`
  505249202a20485454502f322e300d0a0d0a534d0d0a0d0a
  000000 04 00 00000000
  000013 01 05 00000001 04022f6e82418b089d5c0b8170dc65f0859f87`);

function frame(type: number, flags: number, stream: number, body: Buffer): Buffer {
  const h = Buffer.alloc(9);
  h.writeUIntBE(body.length, 0, 3);
  h[3] = type;
  h[4] = flags;
  h.writeUInt32BE(stream, 5);
  return Buffer.concat([h, body]);
}
function settingsFrame(s: readonly H2Setting[], flags = 0): Buffer {
  const b = Buffer.alloc(6 * s.length);
  s.forEach((x, i) => {
    b.writeUInt16BE(x.id, 6 * i);
    b.writeUInt32BE(x.value, 6 * i + 2);
  });
  return frame(H2FrameType.SETTINGS, flags, 0, b);
}
function windowFrame(stream: number, inc: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(inc);
  return frame(H2FrameType.WINDOW_UPDATE, 0, stream, b);
}
function priorityFrame(p: H2Priority): Buffer {
  const b = Buffer.alloc(5);
  b.writeUInt32BE(((p.exclusive ? 0x80000000 : 0) | p.dependsOn) >>> 0);
  b[4] = p.weight - 1;
  return frame(H2FrameType.PRIORITY, 0, p.stream, b);
}
const headersFrame = (): Buffer => frame(H2FrameType.HEADERS, 5, 1, hex('828684'));

function complete(r: H2StartRead): Extract<H2StartRead, { kind: 'complete' }> {
  assert.equal(r.kind, 'complete', JSON.stringify(r));
  return r as Extract<H2StartRead, { kind: 'complete' }>;
}

describe('readH2Start on real clients', () => {
  it("reads curl's settings, window update and stops at its first HEADERS", () => {
    const r = complete(readH2Start(CURL));
    assert.equal(r.by, 'headers');
    assert.equal(r.end, 24 + 27 + 13);
    assert.deepEqual(r.start.settings, [
      { id: 3, value: 100 },
      { id: 4, value: 33554432 },
      { id: 2, value: 0 },
    ]);
    assert.equal(r.start.windowUpdate, 33488897);
    assert.deepEqual(r.start.priorities, []);
    assert.equal(h2Fingerprint(r.start, 'm,p,s,a'), '3:100;4:33554432;2:0|33488897|0|m,p,s,a');
  });

  it("gives Node's client an empty SETTINGS part and 00 for no window update", () => {
    const r = complete(readH2Start(NODE));
    assert.equal(h2Fingerprint(r.start, 'p,m,a,s'), '|00|0|p,m,a,s');
  });

  it('needs more for every cut of a real start before its HEADERS frame header', () => {
    const headersAt = 24 + 27 + 13;
    for (let n = 0; n < headersAt + 9; n++) {
      const r = readH2Start(CURL, 0, n);
      assert.equal(r.kind, 'need-more', `cut at ${n}`);
      if (r.kind === 'need-more') assert.equal(r.start === null, n < 24 + 27, `start at ${n}`);
    }
    assert.equal(readH2Start(CURL, 0, headersAt + 9).kind, 'complete');
  });
});

describe('readH2Start on built frames', () => {
  const pre = (...frames: Buffer[]): Buffer => Buffer.concat([H2_PREFACE, ...frames]);

  it('keeps PRIORITY frames in order, weight counted from 1', () => {
    const prios: H2Priority[] = [
      { stream: 3, exclusive: false, dependsOn: 0, weight: 201 },
      { stream: 5, exclusive: false, dependsOn: 0, weight: 101 },
      { stream: 9, exclusive: true, dependsOn: 7, weight: 1 },
      { stream: 13, exclusive: false, dependsOn: 0, weight: 256 },
    ];
    const r = complete(readH2Start(pre(settingsFrame([{ id: 4, value: 131072 }, { id: 5, value: 16384 }]), windowFrame(0, 12517377), ...prios.map(priorityFrame), headersFrame())));
    assert.equal(h2Fingerprint(r.start, 'm,p,a,s'), '4:131072;5:16384|12517377|3:0:0:201,5:0:0:101,9:1:7:1,13:0:0:256|m,p,a,s');
  });

  it('takes the first SETTINGS and the first stream-0 WINDOW_UPDATE only; passes over PING, stream window updates and unknown frames', () => {
    const r = complete(
      readH2Start(
        pre(
          settingsFrame([{ id: 1, value: 65536 }]),
          windowFrame(1, 999),
          frame(H2FrameType.PING, 0, 0, Buffer.alloc(8)),
          frame(0xfa, 0, 0, Buffer.from('hello')),
          windowFrame(0, 15663105),
          windowFrame(0, 5),
          settingsFrame([{ id: 2, value: 0 }]),
          headersFrame(),
        ),
      ),
    );
    assert.equal(h2Fingerprint(r.start, 'm,a,s,p'), '1:65536|15663105|0|m,a,s,p');
    assert.equal(r.start.frames, 7);
  });

  it('ends at a frame no client sends before its first request', () => {
    for (const t of [H2FrameType.DATA, H2FrameType.RST_STREAM, H2FrameType.GOAWAY, H2FrameType.PUSH_PROMISE, H2FrameType.CONTINUATION]) {
      const r = complete(readH2Start(pre(settingsFrame([]), frame(t, 0, 1, Buffer.alloc(8)))));
      assert.equal(r.by, 'other', `type ${t}`);
    }
  });

  it('refuses what is not a client start', () => {
    const cases: Array<[string, Buffer, string]> = [
      ['HTTP/1.1', Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'), 'not-h2'],
      ['a wrong first byte', Buffer.from('X'), 'not-h2'],
      ['a frame other than SETTINGS first', pre(windowFrame(0, 1)), 'no-settings'],
      ['HEADERS first', pre(headersFrame()), 'no-settings'],
      ['a SETTINGS ACK first', pre(settingsFrame([], 1)), 'no-settings'],
      ['SETTINGS on a stream', pre(frame(H2FrameType.SETTINGS, 0, 1, Buffer.alloc(6))), 'bad-frame'],
      ['SETTINGS of 7 bytes', pre(frame(H2FrameType.SETTINGS, 0, 0, Buffer.alloc(7))), 'bad-frame'],
      ['PRIORITY of 4 bytes', pre(settingsFrame([]), frame(H2FrameType.PRIORITY, 0, 3, Buffer.alloc(4))), 'bad-frame'],
      ['WINDOW_UPDATE of 5 bytes', pre(settingsFrame([]), frame(H2FrameType.WINDOW_UPDATE, 0, 0, Buffer.alloc(5))), 'bad-frame'],
      ['a frame over 16 KiB', pre(settingsFrame([]), frame(H2FrameType.PING, 0, 0, Buffer.alloc(16385))), 'bad-frame'],
    ];
    for (const [what, b, reason] of cases) assert.deepEqual(readH2Start(b), { kind: 'invalid', reason }, what);
  });

  it('gives up past the byte limit without a request', () => {
    const pings = Array.from({ length: 1000 }, () => frame(H2FrameType.PING, 0, 0, Buffer.alloc(8)));
    assert.deepEqual(readH2Start(pre(settingsFrame([]), ...pings)), { kind: 'invalid', reason: 'too-large' });
    assert.deepEqual(readH2Start(pre(settingsFrame([]), ...pings), 0, undefined, { limit: 100 }), { kind: 'invalid', reason: 'too-large' });
  });

  it('keeps at most the capped settings and PRIORITY frames, counting the rest', () => {
    const s = Array.from({ length: H2_MAX_SETTINGS + 3 }, (_, i) => ({ id: i, value: i }));
    const p = Array.from({ length: H2_MAX_PRIORITIES + 2 }, (_, i) => priorityFrame({ stream: 2 * i + 3, exclusive: false, dependsOn: 0, weight: 16 }));
    const r = complete(readH2Start(pre(settingsFrame(s), ...p, headersFrame())));
    assert.equal(r.start.settings.length, H2_MAX_SETTINGS);
    assert.equal(r.start.priorities.length, H2_MAX_PRIORITIES);
    assert.equal(r.start.dropped, 5);
  });

  it('reads from an offset and never past the end given', () => {
    const b = Buffer.concat([Buffer.from('junk'), CURL, Buffer.from('more')]);
    const r = complete(readH2Start(b, 4, 4 + CURL.length));
    assert.equal(r.end, 4 + 24 + 27 + 13);
    assert.equal(readH2Start(b, 4, 4 + 30).kind, 'need-more');
  });
});

describe('pseudoHeaderOrder', () => {
  it("reads Node's rawHeaders (name, value, ...) up to the first regular header", () => {
    assert.equal(pseudoHeaderOrder([':method', 'GET', ':path', '/x', ':scheme', 'https', ':authority', 'h', 'user-agent', 'curl'], 2), 'm,p,s,a');
    assert.equal(pseudoHeaderOrder([':method', ':authority', ':scheme', ':path']), 'm,a,s,p');
    assert.equal(pseudoHeaderOrder([':method', 'CONNECT', ':protocol', 'websocket', ':authority', 'h'], 2), 'm,a');
    assert.equal(pseudoHeaderOrder(['host', 'x', ':path', '/'], 2), '');
    assert.equal(pseudoHeaderOrder([':method', 'GET', ':method', 'POST'], 2), 'm');
    assert.equal(pseudoHeaderOrder([]), '');
  });
});

describe('readH2Start properties', () => {
  const settingArb = fc.record({ id: fc.integer({ min: 0, max: 0xffff }), value: fc.integer({ min: 0, max: 0xffffffff }) }).map((s) => ({ ...s }));
  const prioArb = fc.record({
    stream: fc.integer({ min: 1, max: 0x7fffffff }),
    exclusive: fc.boolean(),
    dependsOn: fc.integer({ min: 0, max: 0x7fffffff }),
    weight: fc.integer({ min: 1, max: 256 }),
  }).map((p) => ({ ...p }));
  const startArb = fc.record({
    settings: fc.array(settingArb, { maxLength: 40 }),
    window: fc.integer({ min: 0, max: 0x7fffffff }),
    prios: fc.array(prioArb, { maxLength: 40 }),
    pings: fc.integer({ min: 0, max: 3 }),
  });

  it('never throws on random bytes, and answers in its shapes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.boolean(), (a, prefixed) => {
        const b = prefixed ? Buffer.concat([H2_PREFACE, Buffer.from(a)]) : Buffer.from(a);
        const r = readH2Start(b);
        assert.ok(['complete', 'need-more', 'invalid'].includes(r.kind));
        if (r.kind === 'complete') {
          assert.ok(r.end <= b.length - 9);
          assert.match(h2Fingerprint(r.start, ''), /^[\d:;]*\|\d+\|[\d:,]+\|$/);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('reads back built frames, and every prefix either needs more or gives the same answer', () => {
    fc.assert(
      fc.property(startArb, fc.integer({ min: 0, max: 1000 }), (spec, cut) => {
        const frames = [settingsFrame(spec.settings)];
        if (spec.window > 0) frames.push(windowFrame(0, spec.window));
        for (let i = 0; i < spec.pings; i++) frames.push(frame(H2FrameType.PING, 0, 0, Buffer.alloc(8)));
        for (const p of spec.prios) frames.push(priorityFrame(p));
        frames.push(headersFrame());
        const b = Buffer.concat([H2_PREFACE, ...frames]);
        const full = complete(readH2Start(b));
        assert.deepEqual(full.start.settings, spec.settings.slice(0, H2_MAX_SETTINGS));
        assert.deepEqual(full.start.priorities, spec.prios.slice(0, H2_MAX_PRIORITIES));
        assert.equal(full.start.windowUpdate, spec.window);
        const n = cut % (b.length + 1);
        const part = readH2Start(b, 0, n);
        if (part.kind === 'complete') assert.deepEqual(part, full);
        else assert.equal(part.kind, 'need-more', `cut at ${n}`);
      }),
      { numRuns: 1000 },
    );
  });

  it('never throws on mutated real starts', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: CURL.length - 1 }), fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: CURL.length }), (at, v, n) => {
        const b = Buffer.from(CURL);
        b[at] = v;
        const r = readH2Start(b, 0, n);
        assert.ok(['complete', 'need-more', 'invalid'].includes(r.kind));
      }),
      { numRuns: 3000 },
    );
  });
});
