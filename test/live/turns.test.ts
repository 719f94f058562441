// A burst of packets is handed to JS a few milliseconds of work at a time,
// with turns of the event loop between, so that sockets (the daemon's
// queries) and timers are served while a flood is being walked. Needs root
// and the addon; skips cleanly otherwise.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';

import { addonAvailable, LIVE_TURN_MS, openLive } from '../../src/capture/live.js';
import { freePort } from '../web/net-helpers.js';

const skip = !addonAvailable() ? 'native addon not built (npm run build:native)' : process.getuid?.() !== 0 ? 'needs root for live capture' : false;

async function until(cond: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
}

describe('live capture: bounded work per turn', { skip }, () => {
  it('walks a burst over many turns of the event loop, never more than a turn budget at a time', async () => {
    const N = 3000;
    const COST_MS = 0.05; // each packet's handler is made to take this long
    const port = await freePort();
    const cap = openLive({ iface: 'lo', filter: `udp dst port ${port}` });
    let seen = 0;
    let sinceTurn = 0;
    let mostPerTurn = 0;
    let turns = 0;
    let ticking = true;
    const tick = (): void => {
      turns++;
      sinceTurn = 0;
      if (ticking) setImmediate(tick);
    };
    cap.onPackets(() => {
      seen++;
      mostPerTurn = Math.max(mostPerTurn, ++sinceTurn);
      const end = performance.now() + COST_MS;
      while (performance.now() < end);
    });
    try {
      // A child sends the burst as fast as it can, whatever this loop is doing.
      const r = spawnSync('python3', [
        '-c',
        `import socket\ns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\nfor i in range(${N}): s.sendto(b'x' * 32, ('127.0.0.1', ${port}))`,
      ]);
      assert.equal(r.status, 0, String(r.stderr));
      setImmediate(tick);
      await until(() => seen >= N, 20_000);
      assert.equal(seen, N, 'every packet delivered');
      // A turn walks packets for LIVE_TURN_MS, looking at the clock every 64:
      // at COST_MS each, some 80 + 64; all 3000 at once before the bound.
      const bound = Math.ceil(LIVE_TURN_MS / COST_MS) + 64;
      assert.ok(mostPerTurn <= bound, `at most ${bound} packets between two turns, saw ${mostPerTurn}`);
      assert.ok(turns >= Math.floor(N / bound), `${turns} turns of the loop while ${N} packets were walked`);
      assert.equal(cap.stats().delivered, N);
    } finally {
      ticking = false;
      cap.close();
    }
  });
});
