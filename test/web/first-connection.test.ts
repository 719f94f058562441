// Saved SYNs from a server's first connection: an Express app started the
// usual way (app.listen, or http.createServer(app)) gets TCP_SAVE_SYN on its
// listening socket as it starts listening, so its very first request has
// its own verdict; servers that do not serve pof's handler are left alone.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import http from 'node:http';
import net from 'node:net';
import { describe, it } from 'node:test';

import express from 'express';
import Fastify from 'fastify';
import Koa from 'koa';

import { readSavedSyn, savedSynAvailable } from '../../src/web/saved-syn.js';
import { pofExpress } from '../../src/web/express.js';
import { pofFastify } from '../../src/web/fastify.js';
import { pofKoa } from '../../src/web/koa.js';
import { pofHandler, withPof } from '../../src/web/node-http.js';
import type { PofResult } from '../../src/web/result.js';
import { request } from './helpers.js';

const skip = process.platform !== 'linux' ? 'Linux only' : !savedSynAvailable() ? 'saved-SYN addon not built (npm run build:native)' : false;

/** The result the server gave for its first request, on its first connection. */
async function firstResult(server: net.Server): Promise<PofResult> {
  if (!server.listening) await once(server, 'listening');
  const { port } = server.address() as net.AddressInfo;
  try {
    const r = await request(`http://127.0.0.1:${port}/`, { agent: false });
    assert.equal(r.status, 200, r.body);
    return JSON.parse(r.body) as PofResult;
  } finally {
    server.close();
    (server as http.Server).closeAllConnections?.();
  }
}

function assertOwnVerdict(r: PofResult): void {
  assert.equal(r.err, null);
  assert.deepEqual(r.via, ['saved-syn']);
  assert.equal(r.vars.pof_genre, 'Linux');
  assert.equal(r.distance, 0);
}

describe('the first connection of an app has a saved SYN', { skip }, () => {
  it('Express 5, app.listen()', async () => {
    const app = express();
    app.use(pofExpress({ savedSyn: true }));
    app.get('/', (req, res) => {
      res.json(req.pof);
    });
    assertOwnVerdict(await firstResult(app.listen(0, '127.0.0.1')));
  });

  it('Express 5, http.createServer(app), the middleware on a route inside a router', async () => {
    const app = express();
    const router = express.Router();
    router.get('/', pofExpress({ savedSyn: true }), (_req, res) => {
      res.json(res.locals.pof);
    });
    app.use(express.json());
    app.use('/', router);
    assertOwnVerdict(await firstResult(http.createServer(app).listen(0, '127.0.0.1')));
  });

  it('node:http withPof and pofHandler', async () => {
    const listener = withPof((req, res) => res.end(JSON.stringify(req.pof)), { savedSyn: true });
    assertOwnVerdict(await firstResult(http.createServer(listener).listen(0, '127.0.0.1')));
    const mw = pofHandler({ savedSyn: true });
    const app = express();
    app.use(mw);
    app.use((req: http.IncomingMessage, res: http.ServerResponse) => res.end(JSON.stringify(req.pof)));
    assertOwnVerdict(await firstResult(app.listen(0, '127.0.0.1')));
  });

  it('Fastify 5: the plugin attaches its instance\'s server', async () => {
    const app = Fastify();
    await app.register(pofFastify, { savedSyn: true });
    app.get('/', async (request) => request.pof);
    await app.listen({ port: 0, host: '127.0.0.1' });
    try {
      assertOwnVerdict(await firstResult(app.server));
    } finally {
      await app.close();
    }
  });

  it('Koa 3: mw.attach(app.listen()) before the first connection', async () => {
    const app = new Koa();
    const mw = pofKoa({ savedSyn: true });
    app.use(mw);
    app.use((ctx) => {
      ctx.body = ctx.state.pof;
    });
    const server = app.listen(0, '127.0.0.1');
    mw.attach(server);
    assertOwnVerdict(await firstResult(server));
  });

  it('a server that does not serve pof keeps TCP_SAVE_SYN off', async () => {
    const app = express();
    app.use(pofExpress({ savedSyn: true }));
    const other = express();
    other.get('/', (_req, res) => res.end('other'));
    const srv = other.listen(0, '127.0.0.1');
    await once(srv, 'listening');
    const got = once(srv, 'connection') as Promise<[net.Socket]>;
    const c = net.connect((srv.address() as net.AddressInfo).port, '127.0.0.1');
    try {
      const [s] = await got;
      assert.equal(readSavedSyn(s), null);
    } finally {
      c.destroy();
      srv.close();
      srv.closeAllConnections();
    }
  });
});
