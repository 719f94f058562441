/**
 * One suite, every adapter: the request carries the fingerprint (canned
 * lookup, in-process engine, real daemon socket), keep-alive asks once, and
 * a dead or silent pof never fails or stalls a request.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type net from 'node:net';
import { after, before, describe, it } from 'node:test';

import { engineLookup } from '../../src/api/lookup.js';
import { PofApiServer } from '../../src/api/server.js';
import type { PofResult } from '../../src/web/result.js';
import type { Adapter, RunningApp } from './adapters.js';
import { cannedLookup, makeEngine, request, tempDir } from './helpers.js';

function tupleOf(s: net.Socket): { ipVer: 4; cli: string; cliPort: number; srv: string; srvPort: number } {
  return { ipVer: 4, cli: s.remoteAddress!.replace(/^::ffff:/, ''), cliPort: s.remotePort!, srv: s.localAddress!.replace(/^::ffff:/, ''), srvPort: s.localPort! };
}

async function getPof(app: RunningApp, agent?: http.Agent): Promise<{ pof: PofResult; ms: number; status: number }> {
  const r = await request(`${app.url}/pof`, agent ? { agent } : { agent: false });
  assert.equal(r.status, 200, r.body);
  return { pof: (JSON.parse(r.body) as { pof: PofResult }).pof, ms: r.ms, status: r.status };
}

export function adapterSuite(adapter: Adapter): void {
  describe(adapter.name, () => {
    it('a request carries the fingerprint (canned lookup)', async () => {
      const lookup = cannedLookup();
      const app = await adapter.start({ lookup });
      try {
        const { pof } = await getPof(app);
        assert.equal(pof.found, true);
        assert.equal(pof.err, null);
        assert.deepEqual(pof.vars, {
          pof_type: '0',
          pof_genre: 'Windows',
          pof_details: '7 or 8',
          pof_distance: '11',
          pof_link: 'Ethernet or modem',
          pof_tos: '',
          pof_uptime: '25',
          pof_score: '',
          pof_mflags: '',
          pof_fw: '',
          pof_nat: '1',
          pof_err: '',
        });
        assert.equal(pof.os?.label, 'Windows 7 or 8');
        assert.equal(pof.http?.label, 'Firefox 10.x or newer');
        assert.equal(pof.uaMismatch, true);
        assert.equal(pof.language, 'English');
        assert.equal(pof.nat, true);
        assert.equal(pof.firstSeen, 1700000000);
        assert.equal(pof.conn?.cli, '127.0.0.1');
        assert.equal(pof.conn?.srv, '127.0.0.1');
        assert.equal(pof.conn?.srvPort, Number(new URL(app.url).port));
        assert.deepEqual(pof.via, ['engine']);
      } finally {
        await app.close();
      }
    });

    it('keep-alive: 100 requests on one connection cause exactly one lookup', async () => {
      const lookup = cannedLookup();
      let connections = 0;
      const app = await adapter.start({ lookup }, () => connections++);
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      try {
        for (let i = 0; i < 100; i++) {
          const { pof } = await getPof(app, agent);
          assert.equal(pof.vars.pof_genre, 'Windows');
        }
        assert.equal(connections, 1);
        assert.equal(lookup.asked, 1);
        assert.equal(app.core.stats.lookups, 1);
        assert.equal(app.core.stats.cached, 99);
      } finally {
        agent.destroy();
        await app.close();
      }
    });

    it("in-process engine: the connection's own SYN decides, even when it arrives late", async () => {
      const { engine, conns, feedSyn } = makeEngine();
      let n = 0;
      const app = await adapter.start({ engine, conns, timeoutMs: 500 }, (s) => {
        const t = tupleOf(s);
        // Every other connection's SYN reaches the engine 30 ms after the request.
        if (n++ % 2) setTimeout(() => feedSyn(t), 30);
        else feedSyn(t);
      });
      try {
        for (let i = 0; i < 2; i++) {
          const { pof } = await getPof(app);
          assert.equal(pof.vars.pof_genre, 'Linux');
          assert.equal(pof.vars.pof_details, '3.10 to 4.18');
          assert.equal(pof.vars.pof_distance, '7');
          assert.equal(pof.vars.pof_link, 'Ethernet');
          assert.equal(pof.mtu, 1500);
          assert.equal(pof.rawSig, '4:57+7:0:1460:mss*20,7:mss,sok,ts,nop,ws:df,id+:0');
          assert.deepEqual(pof.via, ['engine']);
        }
      } finally {
        await app.close();
      }
    });

    describe('end to end through a PofApiServer socket', () => {
      const dir = tempDir();
      const sys = makeEngine();
      let server: PofApiServer;
      before(async () => {
        server = await PofApiServer.listen({ path: dir.path('pof.sock'), lookup: engineLookup(sys.engine, sys.conns) });
      });
      after(async () => {
        await server.close();
        dir.cleanup();
      });

      it('the daemon answers for the connection', async () => {
        const app = await adapter.start({ socket: dir.path('pof.sock'), timeoutMs: 1000 }, (s) => sys.feedSyn(tupleOf(s), { ttl: 50 }));
        try {
          const { pof } = await getPof(app);
          assert.equal(pof.vars.pof_genre, 'Linux');
          assert.equal(pof.vars.pof_distance, '14');
          assert.equal(pof.vars.pof_type, '0');
          assert.deepEqual(pof.via, ['daemon']);
          assert.equal(pof.err, null);
        } finally {
          await app.close();
        }
      });

      it('a connection the daemon never saw: pof_type 2, within the timeout', async () => {
        const empty = makeEngine();
        const server2 = await PofApiServer.listen({ path: dir.path('empty.sock'), lookup: engineLookup(empty.engine, empty.conns) });
        const app = await adapter.start({ socket: dir.path('empty.sock'), timeoutMs: 40 });
        try {
          const { pof, ms } = await getPof(app);
          assert.equal(pof.found, false);
          assert.equal(pof.vars.pof_type, '2');
          assert.match(pof.vars.pof_err, /no verdict within 40 ms/);
          assert.ok(ms < 1000, `took ${ms} ms`);
        } finally {
          await app.close();
          await server2.close();
        }
      });
    });

    it('daemon down: the request succeeds within the timeout and pof_err says why', async () => {
      const dir = tempDir();
      const app = await adapter.start({ socket: dir.path('nobody-here.sock'), timeoutMs: 20 });
      try {
        const first = await getPof(app);
        assert.equal(first.pof.found, false);
        assert.equal(first.pof.vars.pof_type, '');
        assert.match(first.pof.vars.pof_err, /ENOENT/);
        assert.ok(first.ms < 500, `first request took ${first.ms} ms`);
        // Known down now: later connections do not even wait.
        const second = await getPof(app);
        assert.match(second.pof.vars.pof_err, /pof daemon unavailable \(ENOENT/);
        assert.ok(second.ms < 500, `second request took ${second.ms} ms`);
      } finally {
        await app.close();
        dir.cleanup();
      }
    });
  });
}
