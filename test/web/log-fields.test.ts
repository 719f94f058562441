// morgan tokens and pino fields for pof's verdict, with the real libraries.
import assert from 'node:assert/strict';
import http from 'node:http';
import type net from 'node:net';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';

import morgan from 'morgan';
import pino from 'pino';

import { pofMorgan, pofToken } from '../../src/web/morgan.js';
import { withPof } from '../../src/web/node-http.js';
import { pofLogFields, pofSerializer } from '../../src/web/pino.js';
import { errorResult } from '../../src/web/result.js';
import { cannedLookup, request, until } from './helpers.js';

async function serveWith(handler: (req: http.IncomingMessage, res: http.ServerResponse) => void) {
  const listener = withPof(handler, { lookup: cannedLookup() });
  const server = http.createServer(listener);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: async () => {
      await new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      });
      await listener.core.close();
    },
  };
}

describe('morgan', () => {
  it(':pof[NAME] tokens and the pof-combined format', async () => {
    pofMorgan(morgan);
    const lines: string[] = [];
    const stream = { write: (s: string) => void lines.push(s) };
    const custom = morgan(':remote-addr ":pof[genre]" ":pof[pof_details]" :pof[distance] :pof :pof[nat] :pof[err] :pof[bogus]', { stream });
    const named = morgan('pof-combined', { stream });
    const app = await serveWith((req, res) => custom(req, res, () => named(req, res, () => res.end('ok'))));
    try {
      await request(app.url, { agent: false, headers: { 'user-agent': 'test-agent' } });
      await until(() => lines.length === 2);
      assert.equal(lines[0], '127.0.0.1 "Windows" "7 or 8" 11 Windows 7 or 8 1 - -\n');
      assert.match(lines[1]!, /^127\.0\.0\.1 - - \[.+\] "GET \/ HTTP\/1\.1" 200 - "-" "test-agent" "Windows" "7 or 8" 11 "Ethernet or modem"\n$/);
    } finally {
      await app.close();
    }
  });

  it('pofToken without a result is undefined (morgan prints "-")', () => {
    assert.equal(pofToken({} as http.IncomingMessage, null, 'genre'), undefined);
  });
});

describe('pino', () => {
  it('pofLogFields gives a flat pof object with unknowns left out', async () => {
    const out: string[] = [];
    const logger = pino(
      { base: null, timestamp: false },
      new Writable({
        write(chunk: Buffer, _e, cb) {
          out.push(chunk.toString());
          cb();
        },
      }),
    );
    const app = await serveWith((req, res) => {
      logger.info(pofLogFields(req), 'request');
      res.end('ok');
    });
    try {
      await request(app.url, { agent: false });
      await until(() => out.length === 1);
      const o = JSON.parse(out[0]!) as { msg: string; pof: Record<string, unknown> };
      assert.equal(o.msg, 'request');
      assert.deepEqual(o.pof, {
        genre: 'Windows',
        details: '7 or 8',
        os: 'Windows 7 or 8',
        quality: 0,
        distance: 11,
        link: 'Ethernet or modem',
        mtu: 1500,
        uptime_h: 25,
        app: 'Firefox 10.x or newer',
        ua_mismatch: 1,
        language: 'English',
        nat: true,
        first_seen: 1700000000,
        last_seen: 1700000100,
        raw_sig: '4:117+11:0:1460:8192,2:mss,nop,ws,nop,nop,sok:df,id+:0',
        via: 'engine',
      });
    } finally {
      await app.close();
    }
  });

  it('an error result keeps only the error', () => {
    assert.deepEqual(pofSerializer(errorResult(null, 'pof daemon unavailable (ENOENT on /run/pof.sock)')), { err: 'pof daemon unavailable (ENOENT on /run/pof.sock)' });
    assert.deepEqual(pofLogFields({} as http.IncomingMessage), {});
  });
});
