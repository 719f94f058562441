/**
 * Test helpers: run the capture parser over a buffer, whole or cut into
 * chunks, and turn the reused PacketRecord into plain comparable objects.
 */
import { CaptureParser } from '../../src/capture/reader.js';
import type { CaptureSummary, PacketRecord } from '../../src/capture/types.js';

export interface Rec {
  linkType: number;
  tsSec: number;
  tsUsec: number;
  data: string;
  wirelen: number;
}

export interface Parsed {
  summary: CaptureSummary;
  recs: Rec[];
}

export function toRec(r: PacketRecord): Rec {
  return {
    linkType: r.linkType,
    tsSec: r.tsSec,
    tsUsec: r.tsUsec,
    data: r.data.toString('hex', r.offset, r.offset + r.caplen),
    wirelen: r.wirelen,
  };
}

/** Parse `buf` in one push. */
export function parseAll(buf: Buffer, name = 'test'): Parsed {
  return parseChunks(buf, [buf.length || 1], name);
}

/**
 * Parse `buf` pushed in chunks of the given lengths (cycled). Each chunk
 * goes through one scratch buffer that is poisoned after every push, as a
 * file reader reuses its chunk buffer, so a parser keeping a stale view
 * would show it.
 */
export function parseChunks(buf: Buffer, lengths: number[], name = 'test'): Parsed {
  const recs: Rec[] = [];
  const parser = new CaptureParser(name, (r) => {
    assertView(r);
    recs.push(toRec(r));
  });
  const scratch = Buffer.alloc(Math.max(1, ...lengths) + 8);
  let p = 0;
  for (let i = 0; p < buf.length; i++) {
    const n = Math.min(lengths[i % lengths.length]!, buf.length - p);
    // Put the chunk at an odd offset inside the scratch buffer.
    const at = i % 3;
    buf.copy(scratch, at, p, p + n);
    const more = parser.push(scratch, at, n);
    scratch.fill(0xee);
    p += n;
    if (!more) break;
  }
  return { summary: parser.end(), recs };
}

function assertView(r: PacketRecord): void {
  if (r.offset < 0 || r.caplen < 0 || r.offset + r.caplen > r.data.length) {
    throw new Error(`record view out of bounds: ${r.offset}+${r.caplen} > ${r.data.length}`);
  }
}

/** Seconds and microseconds of a raw pcapng time count, the obvious BigInt way. */
export function refSplit(raw: bigint, tsresol: number): [number, number] {
  const n = BigInt(tsresol & 0x7f);
  const per = tsresol & 0x80 ? 1n << n : 10n ** n;
  return [Number(raw / per), Number(((raw % per) * 1000000n) / per)];
}
