/**
 * SYN-flood traffic for tests and benchmarks: `count` SYNs from random
 * sources to one server, with a SYN from one of ten regular clients every
 * 100 packets. One template frame is rewritten in place (no allocation per
 * packet). Returns the regular clients' addresses.
 *
 * With `halfHellos`, each source (regulars too) also sends, right after its
 * SYN, the first part of a ClientHello (the first 600 of the 1,500 bytes
 * its record announces) and never the rest: a TLS gatherer's worst case,
 * every connection holding bytes it waits to complete. The server port is
 * then 443; `count` is still the number of sources (twice as many packets).
 */
import type { PacketRecord } from '../../src/capture/types.js';
import { ethernet, record, tcp4 } from './packet-build.js';

export interface FloodOptions {
  halfHellos?: boolean;
}

/** The first 600 bytes of a TLS record that announces a 1,500-byte ClientHello. */
function halfHello(): Buffer {
  const b = Buffer.alloc(600, 0x5a);
  b.set([22, 3, 1, 0x05, 0xdc, 1, 0x00, 0x05, 0xd8, 3, 3], 0);
  return b;
}

export function floodRecords(count: number, seed: number, onPacket: (rec: PacketRecord) => void, opts: FloodOptions = {}): string[] {
  const dport = opts.halfHellos ? 443 : 80;
  const frame = ethernet(
    tcp4({ src: '10.0.0.1', dst: '192.0.2.80', ttl: 64, df: true, id: 1 }, {
      sport: 40000,
      dport,
      flags: 0x02,
      win: 64240,
      options: [{ mss: 1460 }, 'sok', { ts: [1, 0] }, 'nop', { ws: 7 }],
    }),
  );
  const rec = record(frame, 1);
  const buf = rec.data;
  const ip = rec.offset + 14;
  const data = opts.halfHellos ? record(ethernet(tcp4({ src: '10.0.0.1', dst: '192.0.2.80', ttl: 64, df: true, id: 2 }, { sport: 40000, dport, flags: 0x18, payload: halfHello() })), 1) : null;
  const dip = (data?.offset ?? 0) + 14;
  const regulars = Array.from({ length: 10 }, (_, i) => `172.31.0.${i + 1}`);
  let x = seed >>> 0 || 1;
  const rnd = (): number => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x >>> 0;
  };
  for (let i = 0; i < count; i++) {
    if (i % 100 === 0) {
      buf.writeUInt32BE((0xac1f0000 | (1 + ((i / 100) % 10))) >>> 0, ip + 12);
    } else {
      buf.writeUInt32BE((0x0b000000 | (rnd() & 0x00ffffff)) >>> 0, ip + 12);
    }
    const sport = 1024 + (rnd() % 60000);
    const isn = rnd();
    buf.writeUInt16BE(sport, ip + 20);
    buf.writeUInt32BE(isn, ip + 24);
    rec.tsSec = 1_700_000_000 + Math.floor(i / 10_000);
    rec.tsUsec = (i * 100) % 1_000_000;
    onPacket(rec);
    if (data !== null) {
      const d = data.data;
      d.writeUInt32BE(buf.readUInt32BE(ip + 12), dip + 12);
      d.writeUInt16BE(sport, dip + 20);
      d.writeUInt32BE((isn + 1) >>> 0, dip + 24);
      data.tsSec = rec.tsSec;
      data.tsUsec = rec.tsUsec;
      onPacket(data);
    }
  }
  return regulars;
}
