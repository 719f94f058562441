// `pof proxy -i`'s capture filter, compiled by libpcap and applied to a
// hand-built connection in front of the proxy's own engine: what the
// engine needs gets through (and no more: no bare ACKs, no responses), and
// a connection ends in its flow table even when the client never sends a
// FIN (benchmark clients, vanished ones).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { ConnVerdicts } from '../../src/state/conn-verdicts.js';
import { compileOfflineFilter } from '../../src/capture/filter.js';
import { addonAvailable } from '../../src/capture/live.js';
import type { PacketRecord } from '../../src/capture/types.js';
import { sensorFilter } from '../../src/cli/proxy.js';
import { TcpFlag } from '../../src/decode/types.js';
import { Engine } from '../../src/engine.js';
import { HttpModule } from '../../src/state/http-module.js';
import { ipv4, tcpSegment, type OptItem, type TcpSpec } from '../helpers/packet-build.js';
import { signatures } from '../web/helpers.js';

const skip = addonAvailable() ? false : 'native addon not built (npm run build:native)';
const LINKTYPE_RAW = 101;
const PORT = 8080;
const { SYN, ACK, FIN, RST, PSH } = TcpFlag;
const SYN_OPTS: readonly OptItem[] = [{ mss: 1460 }, 'sok', { ts: [1000, 0] }, 'nop', { ws: 7 }];

function packet(toProxy: boolean, spec: TcpSpec, tsUsec: number): PacketRecord {
  const [src, dst] = toProxy ? ['192.0.2.10', '198.51.100.1'] : ['198.51.100.1', '192.0.2.10'];
  const seg = tcpSegment({ sport: toProxy ? 40000 : PORT, dport: toProxy ? PORT : 40000, win: 64240, ...spec });
  const data = ipv4(seg, { src, dst, ttl: toProxy ? 57 : 64 });
  return { linkType: LINKTYPE_RAW, tsSec: 1700000000, tsUsec, data, offset: 0, caplen: data.length, wirelen: data.length };
}

/**
 * A client that sends its request, gets the answer and goes quiet: the
 * proxy ends the connection with `last`. Then, as some clients do, the
 * client sends another request on it, which the proxy's kernel answers
 * with a bare RST.
 */
function connection(last: number): PacketRecord[] {
  const req = 'GET / HTTP/1.1\r\nHost: example.com\r\nUser-Agent: curl/8.5.0\r\nAccept: */*\r\n\r\n';
  const resp = 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi';
  let t = 0;
  return [
    packet(true, { flags: SYN, seq: 100, options: SYN_OPTS }, (t += 10)),
    packet(false, { flags: SYN | ACK, seq: 500, ack: 101, options: SYN_OPTS }, (t += 10)),
    packet(true, { flags: ACK, seq: 101, ack: 501 }, (t += 10)),
    packet(true, { flags: PSH | ACK, seq: 101, ack: 501, payload: req }, (t += 10)),
    packet(false, { flags: PSH | ACK, seq: 501, ack: 101 + req.length, payload: resp }, (t += 10)),
    packet(true, { flags: ACK, seq: 101 + req.length, ack: 501 + resp.length }, (t += 10)),
    packet(false, { flags: last, seq: 501 + resp.length, ack: 101 + req.length }, (t += 10)),
    packet(true, { flags: PSH | ACK, seq: 101 + req.length, ack: 502 + resp.length, payload: req }, (t += 10)),
    packet(false, { flags: RST, seq: 502 + resp.length }, (t += 10)),
  ];
}

describe("pof proxy -i's capture filter", { skip }, () => {
  for (const [name, last] of [['FIN', FIN | ACK], ['RST', RST | ACK]] as const) {
    it(`the proxy's ${name} ends the connection in the engine, though the client never sent one`, () => {
      const pass = compileOfflineFilter(sensorFilter(PORT), LINKTYPE_RAW);
      const conns = new ConnVerdicts();
      const engine = new Engine({ db: signatures() }, (o) => conns.observe(o));
      engine.addModule(new HttpModule());
      const seen: boolean[] = [];
      for (const rec of connection(last)) {
        seen.push(pass(rec));
        if (seen.at(-1)) engine.handle(rec);
      }
      // The client's SYN and requests, not its bare ACKs; the proxy's
      // SYN+ACK and its FIN or RST+ACK, not its response nor its bare RST.
      assert.deepEqual(seen, [true, true, false, true, false, false, true, true, false]);
      const v = conns.get('192.0.2.10', 40000, '198.51.100.1', PORT);
      assert.equal(v?.client.tcp?.match?.name, 'Linux');
      assert.equal(v?.client.http?.app?.name, 'curl');
      assert.equal(engine.flows.size, 0, 'no flow left waiting for a response the filter never lets through');
    });
  }
});
