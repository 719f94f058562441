/**
 * The adapters under test, each started the same way: a server whose
 * GET /pof answers with the request's pof result as JSON, read the way that
 * framework's users read it (req.pof, res.locals.pof, request.pof,
 * ctx.state.pof). suite.ts runs one set of tests against every one.
 */
import http from 'node:http';
import type net from 'node:net';

import express from 'express';
import Fastify from 'fastify';
import Koa from 'koa';

import type { PofCore } from '../../src/web/core.js';
import { pofExpress } from '../../src/web/express.js';
import { pofFastify } from '../../src/web/fastify.js';
import { pofKoa, type PofKoaState } from '../../src/web/koa.js';
import { coreOf, pofHandler, withPof, type PofSetup } from '../../src/web/node-http.js';

export interface RunningApp {
  url: string;
  server: http.Server;
  core: PofCore;
  close(): Promise<void>;
}

export interface Adapter {
  name: string;
  start(setup: PofSetup, beforeRequest?: (socket: net.Socket) => void): Promise<RunningApp>;
}

function listen(server: http.Server, beforeRequest?: (socket: net.Socket) => void): Promise<string> {
  // Runs before the framework sees the connection (tests feed the engine here).
  if (beforeRequest) server.prependListener('connection', beforeRequest);
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as net.AddressInfo).port}`));
  });
}

function closeServer(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

const json = (res: http.ServerResponse, v: unknown): void => {
  const body = JSON.stringify(v);
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
};

export const ADAPTERS: Adapter[] = [
  {
    name: 'node:http withPof',
    async start(setup, before) {
      const listener = withPof((req, res) => json(res, { pof: req.pof }), setup);
      const server = http.createServer(listener);
      const url = await listen(server, before);
      return { url, server, core: listener.core, close: async () => { await closeServer(server); await listener.core.close(); } };
    },
  },
  {
    name: 'node:http pofHandler (connect style)',
    async start(setup, before) {
      const mw = pofHandler(setup);
      const server = http.createServer((req, res) => mw(req, res, () => json(res, { pof: req.pof })));
      const url = await listen(server, before);
      return { url, server, core: mw.core, close: async () => { await closeServer(server); await mw.core.close(); } };
    },
  },
  {
    name: 'Express 5',
    async start(setup, before) {
      const app = express();
      const mw = pofExpress(setup);
      app.use(mw);
      app.get('/pof', (_req, res) => {
        res.json({ pof: res.locals.pof });
      });
      const server = http.createServer(app);
      const url = await listen(server, before);
      return { url, server, core: mw.core, close: async () => { await closeServer(server); await mw.core.close(); } };
    },
  },
  {
    name: 'Fastify 5',
    async start(setup, before) {
      const core = coreOf(setup);
      const app = Fastify();
      await app.register(pofFastify, { core });
      app.get('/pof', async (request) => ({ pof: request.pof }));
      if (before) app.server.prependListener('connection', before);
      await app.listen({ port: 0, host: '127.0.0.1' });
      const port = (app.server.address() as net.AddressInfo).port;
      return {
        url: `http://127.0.0.1:${port}`,
        server: app.server,
        core,
        close: async () => {
          app.server.closeAllConnections();
          await app.close();
        },
      };
    },
  },
  {
    name: 'Koa 3',
    async start(setup, before) {
      const app = new Koa<PofKoaState>();
      const mw = pofKoa(setup);
      app.use(mw);
      app.use((ctx) => {
        ctx.body = { pof: ctx.state.pof };
      });
      const server = http.createServer(app.callback());
      const url = await listen(server, before);
      return { url, server, core: mw.core, close: async () => { await closeServer(server); await mw.core.close(); } };
    },
  },
];
