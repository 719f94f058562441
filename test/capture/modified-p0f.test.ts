/**
 * libpcap's modified pcap format against p0f 3.09b, which reads captures
 * through libpcap: the sample capture's packets written as a modified file
 * (both byte orders, and with a snaplen that only libpcap's Ethernet rule
 * makes whole) are fingerprinted by pof as by p0f, and as pof fingerprints
 * the same packets in a plain pcap.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { readCaptureFile } from '../../src/capture/file.js';
import { writePcap, type PcapPacket, type PcapOptions } from '../helpers/capture-write.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const DEMO = path.join(root, 'samples', 'demo.pcap');
const P0F_FP = '/etc/p0f/p0f.fp';
const haveP0f = spawnSync('sh', ['-c', 'command -v p0f'], { stdio: 'ignore' }).status === 0 && fs.existsSync(P0F_FP);
// In CI a missing p0f fails the run rather than skipping it.
const skip = haveP0f || process.env.CI === 'true' ? false : 'p0f 3.09b not installed';
const env = { ...process.env, TZ: 'UTC' };

/** The sample's packets, with made-up per-record fields for the modified format. */
function demoPackets(): PcapPacket[] {
  const out: PcapPacket[] = [];
  readCaptureFile(DEMO, (r) => {
    out.push({
      data: Buffer.from(r.data.subarray(r.offset, r.offset + r.caplen)),
      tsSec: r.tsSec,
      tsUsec: r.tsUsec,
      wirelen: r.wirelen,
      ifindex: 2,
      protocol: 0x0008,
      pktType: out.length % 5,
    });
  });
  return out;
}

describe("libpcap's modified pcap format, as p0f 3.09b reads it", { skip }, () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pof-modified-'));
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));
  const packets = demoPackets();

  function write(name: string, opts: PcapOptions, only: PcapPacket[] = packets): string {
    const f = path.join(tmp, name);
    fs.writeFileSync(f, writePcap(only, { linkType: 1, ...opts }));
    return f;
  }

  function pofLog(file: string): string[] {
    const log = `${file}.pof.log`;
    const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(root, 'src/cli/main.ts'), '-r', file, '-f', P0F_FP, '-o', log, '-q'], {
      cwd: root,
      encoding: 'utf8',
      env,
    });
    assert.equal(r.status, 0, r.stderr);
    return fs.readFileSync(log, 'utf8').trim().split('\n');
  }

  function p0fLog(file: string): string[] {
    const log = `${file}.p0f.log`;
    const r = spawnSync('p0f', ['-r', file, '-o', log], { env, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    return fs.readFileSync(log, 'utf8').trim().split('\n');
  }

  /** What p0f 3.09b cannot see: the sample's SYNs inside a VLAN tag and a GRE tunnel. */
  const beyondP0f = (l: string): boolean => /cli=(10\.20\.0\.5|172\.16\.5\.5)\//.test(l);

  const plain = write('plain.pcap', {});
  const plainLog = pofLog(plain);

  for (const [name, opts] of [
    ['little-endian', { modified: true }],
    ['big-endian', { modified: true, bigEndian: true }],
  ] as const) {
    test(`${name}: the records pof writes are p0f's, and those of the plain pcap`, () => {
      const f = write(`modified-${name}.pcap`, opts);
      const ours = pofLog(f);
      assert.deepEqual(ours, plainLog);
      const theirs = p0fLog(f);
      assert.ok(theirs.some((l) => l.includes('mod=syn|')), `p0f read the file: ${theirs.join('\n')}`);
      assert.deepEqual(ours.filter((l) => !beyondP0f(l)), theirs);
    });
  }

  test("a snaplen 14 bytes short of the Ethernet SYNs: whole for libpcap, so for pof too", () => {
    // 74-byte SYN frames under a declared snaplen of 60: libpcap reads a
    // modified Ethernet capture with 14 bytes more, so their options are whole.
    // (Records far beyond the snaplen, which pof counts as damage, are left out.)
    const f = write('modified-snaplen.pcap', { modified: true, snaplen: 60 }, packets.filter((p) => p.data.length <= 200));
    const ours = pofLog(f);
    const theirs = p0fLog(f);
    assert.ok(ours.some((l) => l.includes('mod=syn|') && l.includes(',sok,ts,nop,ws:')), ours.join('\n'));
    assert.deepEqual(ours.filter((l) => !beyondP0f(l)), theirs);
  });
});
