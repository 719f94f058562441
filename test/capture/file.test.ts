import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { readCaptureBuffer, readCaptureFile } from '../../src/capture/file.js';
import { isPofError } from '../../src/errors.js';
import { writePcap, writePcapng } from '../helpers/capture-write.js';
import { toRec, type Rec } from './_collect.js';

const dir = mkdtempSync(join(tmpdir(), 'pof-capture-test-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function fixture(name: string, content: Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

const data = (n: number, seed: number) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 13 + seed) & 255));

const pcapFile = writePcap(
  Array.from({ length: 50 }, (_, i) => ({ data: data(i * 7, i), tsSec: 1700000000 + i, tsUsec: i * 1000 })),
  { nanos: true, bigEndian: true },
);
const pcapngFile = writePcapng([
  {
    interfaces: [{ linkType: 1 }, { linkType: 101, tsresol: 9 }],
    packets: Array.from({ length: 40 }, (_, i) => ({ iface: i % 2, data: data(i * 5, i), tsSec: i, tsUsec: i })),
  },
  { bigEndian: true, useSpb: true, interfaces: [{ linkType: 113 }], packets: [{ iface: 0, data: data(9, 9) }] },
]);

function read(path: string, chunkSize?: number): { summary: unknown; recs: Rec[] } {
  const recs: Rec[] = [];
  const summary = readCaptureFile(path, (r) => recs.push(toRec(r)), chunkSize === undefined ? {} : { chunkSize });
  return { summary, recs };
}

describe('readCaptureFile', () => {
  for (const [name, content, format, packets] of [
    ['t.pcap', pcapFile, 'pcap', 50],
    ['t.pcapng', pcapngFile, 'pcapng', 41],
  ] as const) {
    test(`${format}: tiny chunk sizes give identical output`, () => {
      const path = fixture(name, content);
      const want = read(path);
      assert.deepEqual(want.summary, { format, packets });
      assert.deepEqual(want.recs, (() => {
        const recs: Rec[] = [];
        readCaptureBuffer(content, (r) => recs.push(toRec(r)));
        return recs;
      })());
      for (const chunkSize of [1, 2, 3, 4, 5, 7, 16, 63, 64, 1000, content.length - 1, content.length + 1]) {
        assert.deepEqual(read(path, chunkSize), want, `chunkSize ${chunkSize}`);
      }
    });
  }

  test('damage is reported with the file name', () => {
    const path = fixture('cut.pcap', pcapFile.subarray(0, pcapFile.length - 3));
    for (const chunkSize of [undefined, 1, 100]) {
      const { summary, recs } = read(path, chunkSize);
      assert.equal(recs.length, 49);
      assert.deepEqual(summary, {
        format: 'pcap',
        packets: 49,
        problem: { file: path, offset: pcapFile.length - 16 - 49 * 7, message: 'truncated record: 356 of 359 bytes present' },
      });
    }
  });

  test('missing file: E_CAPTURE_IO naming the file and the reason', () => {
    const path = join(dir, 'nope.pcap');
    assert.throws(() => read(path), (e: unknown) => {
      assert.ok(isPofError(e));
      assert.equal(e.code, 'E_CAPTURE_IO');
      assert.equal(e.message, `${path}: cannot open: no such file or directory (ENOENT)`);
      return true;
    });
  });

  test('a directory: E_CAPTURE_IO', () => {
    assert.throws(() => read(dir), (e: unknown) => isPofError(e) && e.code === 'E_CAPTURE_IO' && e.message.startsWith(dir));
  });

  test('not a capture, and empty: E_CAPTURE_FORMAT', () => {
    const text = fixture('t.txt', Buffer.from('hello, world\n'));
    assert.throws(() => read(text), { code: 'E_CAPTURE_FORMAT', message: `${text}: not a pcap or pcapng capture (starts with 0x68656c6c)` });
    const empty = fixture('empty.pcap', Buffer.alloc(0));
    assert.throws(() => read(empty), { code: 'E_CAPTURE_FORMAT', message: `${empty}: not a pcap or pcapng capture (empty file)` });
  });

  test('chunkSize must be a positive integer', () => {
    const path = fixture('t2.pcap', pcapFile);
    assert.throws(() => read(path, 0), RangeError);
    assert.throws(() => read(path, 1.5), RangeError);
  });
});

describe('readCaptureFile("-") reads stdin', () => {
  const fileUrl = new URL('../../src/capture/file.ts', import.meta.url).href;

  /** Run a child that reads stdin; `nonblock` makes its fd 0 non-blocking first. */
  function child(nonblock: boolean, feed: (stdin: NodeJS.WritableStream) => void): Promise<{ out: string; err: string; code: number | null }> {
    const script = [
      `import { readCaptureFile } from ${JSON.stringify(fileUrl)};`,
      nonblock ? 'process.stdin.pause();' : '',
      'const recs = [];',
      "const summary = readCaptureFile('-', (r) => recs.push([r.linkType, r.tsSec, r.tsUsec, r.data.toString('hex', r.offset, r.offset + r.caplen)]), { chunkSize: 100 });",
      'process.stdout.write(JSON.stringify({ summary, recs }));',
    ].join('\n');
    return new Promise((resolve, reject) => {
      const c = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      let out = '';
      let err = '';
      c.stdout.on('data', (d: Buffer) => (out += d.toString()));
      c.stderr.on('data', (d: Buffer) => (err += d.toString()));
      c.on('error', reject);
      c.on('close', (code) => resolve({ out, err, code }));
      feed(c.stdin);
    });
  }

  const expected = () => {
    const recs: unknown[] = [];
    const summary = readCaptureBuffer(pcapngFile, (r) =>
      recs.push([r.linkType, r.tsSec, r.tsUsec, r.data.toString('hex', r.offset, r.offset + r.caplen)]),
    );
    return { summary: { ...summary, problem: undefined }, recs };
  };

  test('piped all at once', async () => {
    const r = await child(false, (s) => s.end(pcapngFile));
    assert.equal(r.code, 0, r.err);
    const got = JSON.parse(r.out);
    assert.deepEqual({ ...got, summary: { ...got.summary, problem: undefined } }, expected());
  });

  test('non-blocking stdin fed slowly waits out EAGAIN', async () => {
    const r = await child(true, (s) => {
      const parts = [pcapngFile.subarray(0, 2), pcapngFile.subarray(2, 301), pcapngFile.subarray(301)];
      let i = 0;
      const next = () => {
        if (i === parts.length) return s.end();
        s.write(parts[i++]!);
        setTimeout(next, 150);
      };
      setTimeout(next, 150);
    });
    assert.equal(r.code, 0, r.err);
    const got = JSON.parse(r.out);
    assert.deepEqual({ ...got, summary: { ...got.summary, problem: undefined } }, expected());
  });

  test('damage and format errors name stdin', async () => {
    const r = await child(false, (s) => s.end(pcapngFile.subarray(0, 100)));
    assert.equal(r.code, 0, r.err);
    const got = JSON.parse(r.out);
    assert.equal(got.summary.problem.file, 'stdin');
    const bad = await child(false, (s) => s.end('nope'));
    assert.notEqual(bad.code, 0);
    assert.match(bad.err, /stdin: not a pcap or pcapng capture \(starts with 0x6e6f7065\)/);
  });
});
