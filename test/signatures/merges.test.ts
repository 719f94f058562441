/**
 * Merged labels (one label naming two or more OS families, because their
 * SYNs are byte-identical) against User-Agents of those families, for
 * every merge in signatures/pof.fp, found from the loaded database: a new
 * merge is tested without touching this file, and a merge naming a family
 * without a User-Agent below fails until one is added.
 *
 * Each signature line of a merged label is turned into a SYN, checked to
 * reach that very line through the real engine, and followed on the same
 * connection by a browser request whose User-Agent names each family of
 * the label: no bad_sw, no NAT record. A User-Agent of a family outside
 * the label still raises bad_sw, as in p0f.
 *
 * p0f's own database has no merged label, so with it every OS comparison
 * stays p0f's (checked below; test-compat checks the records).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { familiesOf, isMerged, type OsFamily } from '../../src/db/families.js';
import { loadSignatures } from '../../src/db/load.js';
import type { SignatureDb, TcpSignature } from '../../src/db/types.js';
import { Engine } from '../../src/engine.js';
import { parseUserAgent } from '../../src/fingerprint/ua.js';
import type { Observation } from '../../src/observation.js';
import { HttpModule } from '../../src/state/http-module.js';
import { ethernet, LinkType, record, tcp4, tcp6, type TcpSpec } from '../helpers/packet-build.js';
import { synCandidates, type SynPacket } from './sig-packet.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const db: SignatureDb = loadSignatures(path.resolve(here, '../../signatures/pof.fp'));

const crlf = (lines: string[]): string => lines.join('\r\n') + '\r\n\r\n';

const firefox = (platform: string): string =>
  crlf([
    'GET / HTTP/1.1',
    'Host: example.test',
    `User-Agent: Mozilla/5.0 (${platform}; rv:128.0) Gecko/20100101 Firefox/128.0`,
    'Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8',
    'Accept-Language: en-US,en;q=0.5',
    'Accept-Encoding: gzip, deflate',
    'Connection: keep-alive',
  ]);

const safari = (ua: string): string =>
  crlf([
    'GET / HTTP/1.1',
    'Host: example.test',
    'Upgrade-Insecure-Requests: 1',
    'Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8',
    `User-Agent: ${ua}`,
    'Accept-Language: en-GB,en;q=0.9',
    'Accept-Encoding: gzip, deflate',
    'Connection: keep-alive',
  ]);

const chrome = (platform: string, ua: string, mobile: boolean): string =>
  crlf([
    'GET / HTTP/1.1',
    'Host: example.test',
    'Connection: keep-alive',
    'sec-ch-ua: "Not_A Brand";v="8", "Chromium";v="120", "Google Chrome";v="120"',
    `sec-ch-ua-mobile: ?${mobile ? 1 : 0}`,
    `sec-ch-ua-platform: "${platform}"`,
    'Upgrade-Insecure-Requests: 1',
    `User-Agent: ${ua}`,
    'Accept: text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8',
    'Accept-Encoding: gzip, deflate',
    'Accept-Language: en-US,en;q=0.9',
  ]);

/** A real browser request per OS family, as that family's browsers send it. */
const REQUEST_BY_FAMILY: Partial<Record<OsFamily, string>> = {
  macos: safari('Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15'),
  ios: safari('Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1'),
  android: chrome('Android', 'Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36', true),
  windows: chrome('Windows', 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36', false),
  linux: firefox('X11; Linux x86_64'),
  freebsd: firefox('X11; FreeBSD amd64'),
  openbsd: firefox('X11; OpenBSD amd64'),
};

const RESPONSE = crlf([
  'HTTP/1.1 200 OK',
  'Server: nginx/1.26.2',
  'Date: Tue, 14 Nov 2023 22:13:21 GMT',
  'Content-Type: text/html',
  'Content-Length: 615',
  'Connection: keep-alive',
]);

const SYN_ACK = 0x12;
const ACK = 0x10;
const PSH_ACK = 0x18;

function wire(p: SynPacket, tcp: TcpSpec, fromServer: boolean): Buffer {
  if (p.v6) return tcp6(fromServer ? { ...p.ip, src: p.ip.dst, dst: p.ip.src, ttl: 64, flow: 0 } : p.ip, tcp);
  return tcp4(fromServer ? { ...p.ip, src: p.ip.dst, dst: p.ip.src, ttl: 64, id: 0 } : p.ip, tcp);
}

/** The SYN, the server's answer, then one request and response on that connection. */
function run(syn: SynPacket, request: string | null): Observation[] {
  const out: Observation[] = [];
  const engine = new Engine({ db }, (o) => out.push(o));
  engine.addModule(new HttpModule());
  const c = syn.tcp;
  const seq = c.seq!;
  const segs: Array<[TcpSpec, boolean]> = [[c, false]];
  if (request !== null) {
    const base = { sport: c.dport!, dport: c.sport! };
    segs.push(
      [{ ...base, seq: 9000, ack: seq + 1, flags: SYN_ACK, win: 65160, options: [{ mss: 1460 }, 'sok', { ts: [7, 0x01020304] }, 'nop', { ws: 7 }] }, true],
      [{ sport: c.sport, dport: c.dport, seq: seq + 1, ack: 9001, flags: ACK, win: 2052 }, false],
      [{ sport: c.sport, dport: c.dport, seq: seq + 1, ack: 9001, flags: PSH_ACK, win: 2052, payload: request }, false],
      [{ ...base, seq: 9001, ack: seq + 1 + request.length, flags: PSH_ACK, win: 509, payload: RESPONSE }, true],
    );
  }
  segs.forEach(([t, fromServer], i) => engine.handle(record(ethernet(wire(syn, t, fromServer)), LinkType.ETHERNET, { tsSec: 1700000000 + i })));
  return out;
}

/** The SYN observation's signature line, or null. */
function matchedLine(obs: Observation[]): number | null {
  const o = obs.find((x) => x.mod === 'syn');
  return o?.detail?.kind === 'tcp' && o.detail.match ? o.detail.match.line : null;
}

/** A packet for this line that the engine files under it. */
function packetFor(sig: TcpSignature): SynPacket | null {
  for (const p of synCandidates(sig)) if (matchedLine(run(p, null)) === sig.line) return p;
  return null;
}

function httpRequest(obs: Observation[]): { badSw: number; app: string | null } {
  const o = obs.find((x) => x.mod === 'http request');
  assert.ok(o && o.detail?.kind === 'http', 'no http request observation');
  return { badSw: o.detail.badSw, app: o.detail.app?.name ?? null };
}

const natRecords = (obs: Observation[]): string[] => obs.filter((o) => o.mod === 'host change' || o.mod === 'ip sharing').map((o) => `${o.mod}: ${o.fields.map(([k, v]) => `${k}=${v}`).join(' ')}`);

const merged = db.tcpRequest.filter((s) => isMerged(s.label));
const mergedLabels = [...new Set(merged.map((s) => s.label))];

describe('merged labels in pof.fp', () => {
  test('there are merges to test (macOS or iOS among them)', () => {
    assert.ok(mergedLabels.length >= 2, `merged labels: ${mergedLabels.map((l) => l.name).join(', ')}`);
    assert.ok(mergedLabels.some((l) => l.name === 'macOS or iOS'));
    assert.ok(mergedLabels.some((l) => familiesOf(l).includes('android') && familiesOf(l).includes('linux')));
  });

  for (const label of mergedLabels) {
    const fams = familiesOf(label);
    const title = `${label.name}${label.flavor ? ' ' + label.flavor : ''} (line ${label.line}: ${fams.join(', ')})`;
    describe(title, () => {
      const outsider: OsFamily = fams.includes('windows') ? 'linux' : 'windows';

      test('every family has a browser request to test it with, whose User-Agent names that family', () => {
        for (const f of [...fams, outsider]) {
          const req = REQUEST_BY_FAMILY[f];
          assert.ok(req, `add a request for family ${f} to REQUEST_BY_FAMILY`);
          const ua = /User-Agent: (.*)\r\n/.exec(req)![1]!;
          assert.deepEqual(parseUserAgent(ua).os?.families, [f], ua);
        }
      });

      for (const sig of merged.filter((s) => s.label === label)) {
        test(`line ${sig.line}: ${sig.text}`, () => {
          const syn = packetFor(sig);
          assert.ok(syn, `could not build a SYN that reaches line ${sig.line}`);
          for (const f of fams) {
            const obs = run(syn, REQUEST_BY_FAMILY[f]!);
            assert.equal(matchedLine(obs), sig.line);
            const h = httpRequest(obs);
            assert.ok(h.app, `the ${f} request matched no application signature`);
            assert.equal(h.badSw, 0, `${f} User-Agent against "${label.name}": bad_sw`);
            assert.deepEqual(natRecords(obs), [], `${f} User-Agent against "${label.name}"`);
          }
          // A family the label does not name is still an OS mismatch.
          const h = httpRequest(run(syn, REQUEST_BY_FAMILY[outsider]!));
          assert.equal(h.badSw, 1, `${outsider} User-Agent against "${label.name}" should raise bad_sw`);
        });
      }
    });
  }
});

describe("p0f's own database", { skip: fs.existsSync('/etc/p0f/p0f.fp') ? false : 'no /etc/p0f/p0f.fp (apt-get install p0f)' }, () => {
  test('has no merged label, so its OS comparisons keep their meaning', () => {
    const p0f = loadSignatures('/etc/p0f/p0f.fp');
    const m = p0f.labels.filter((l) => isMerged(l)).map((l) => `${l.line}: ${l.name} ${l.flavor ?? ''}`);
    assert.deepEqual(m, []);
  });
});
