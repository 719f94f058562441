/**
 * What the engine does with the decoder's UDP results for now: nothing but
 * count them as not TCP. p0f's packet counter, which paces cache expiry,
 * counts only what p0f's "tcp" filter lets through, so no UDP packet may
 * advance it, not even one dropped as a fragment or for its length.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EXPIRE_INTERVAL } from '../../src/config.js';
import { parseSignatures } from '../../src/db/parse.js';
import { Engine } from '../../src/engine.js';
import { ethernet, ipv4, record, tcp4, udp, LinkType } from '../helpers/packet-build.js';

function engine(): Engine {
  const parsed = parseSignatures('classes = unix\n[tcp:request]\nlabel = s:unix:Linux:test\nsig = *:64:0:*:mss*44,7:mss,sok,ts,nop,ws:df,id+:0\n', 'inline');
  assert.ok(parsed.ok);
  return new Engine({ db: parsed.db, details: false, connMaxAgeS: 30 }, () => {});
}

const syn = ethernet(tcp4({}, { flags: 0x02, options: [{ mss: 1460 }] }));
const later = 1700000000 + 3600;
/** Packets that arrive long after the SYN, one short of the expiry rhythm. */
const RHYTHM = EXPIRE_INTERVAL - 1;

/** A SYN (one counted packet, one flow), then `frame` RHYTHM times an hour later. */
function afterSyn(frame: Uint8Array): Engine {
  const e = engine();
  e.handle(record(syn, LinkType.ETHERNET, { tsSec: 1700000000 }));
  assert.equal(e.flows.size, 1);
  for (let i = 0; i < RHYTHM; i++) e.handle(record(frame, LinkType.ETHERNET, { tsSec: later }));
  return e;
}

describe('the engine and UDP', () => {
  const datagram = ethernet(ipv4(udp(Buffer.from('hello'), { sport: 50000, dport: 443 }), { proto: 17 }));

  it('counts a UDP datagram as not TCP, and it does not advance the expiry rhythm', () => {
    const e = afterSyn(datagram);
    assert.equal(e.stats.drops['not-tcp'], RHYTHM);
    assert.equal(e.stats.tcp, 1);
    assert.equal(e.flows.size, 1, 'no expiry ran');
  });

  it('a UDP fragment is a fragment that does not advance the rhythm either', () => {
    const frag = ethernet(ipv4(udp(Buffer.alloc(100)), { proto: 17, mf: true }));
    const e = afterSyn(frag);
    assert.equal(e.stats.drops.fragment, RHYTHM);
    assert.equal(e.flows.size, 1, 'no expiry ran');
  });

  it('nor does UDP captured short of its IP length', () => {
    const cut = record(ethernet(ipv4(udp(Buffer.alloc(200)), { proto: 17 })), LinkType.ETHERNET, { tsSec: later, caplen: 96 });
    const e = engine();
    e.handle(record(syn, LinkType.ETHERNET, { tsSec: 1700000000 }));
    for (let i = 0; i < RHYTHM; i++) e.handle(cut);
    assert.equal(e.stats.drops['ip-length'], RHYTHM);
    assert.equal(e.flows.size, 1, 'no expiry ran');
  });

  it('while a TCP fragment does, as in p0f (the SYN plus these make the rhythm)', () => {
    const e = afterSyn(ethernet(tcp4({ mf: true })));
    assert.equal(e.stats.drops.fragment, RHYTHM);
    assert.equal(e.flows.size, 0, 'expiry ran at the rhythm');
  });
});
