/**
 * SYN-flood traffic for tests and benchmarks: `count` SYNs from random
 * sources to one server, with a SYN from one of ten regular clients every
 * 100 packets. One template frame is rewritten in place (no allocation per
 * packet). Returns the regular clients' addresses.
 */
import type { PacketRecord } from '../../src/capture/types.js';
import { ethernet, record, tcp4 } from './packet-build.js';

export function floodRecords(count: number, seed: number, onPacket: (rec: PacketRecord) => void): string[] {
  const frame = ethernet(
    tcp4({ src: '10.0.0.1', dst: '192.0.2.80', ttl: 64, df: true, id: 1 }, {
      sport: 40000,
      dport: 80,
      flags: 0x02,
      win: 64240,
      options: [{ mss: 1460 }, 'sok', { ts: [1, 0] }, 'nop', { ws: 7 }],
    }),
  );
  const rec = record(frame, 1);
  const buf = rec.data;
  const ip = rec.offset + 14;
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
    buf.writeUInt16BE(1024 + (rnd() % 60000), ip + 20);
    buf.writeUInt32BE(rnd(), ip + 24);
    rec.tsSec = 1_700_000_000 + Math.floor(i / 10_000);
    rec.tsUsec = (i * 100) % 1_000_000;
    onPacket(rec);
  }
  return regulars;
}
