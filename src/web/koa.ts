/**
 * Koa 3: `app.use(pofKoa({ socket: '/run/pof/pof.sock' }))`; handlers read
 * `ctx.state.pof` (and `ctx.req.pof`). Also `import { pofKoa } from 'pof/koa'`.
 *
 * Typed with Node's types and the two fields used of Koa's context, not
 * Koa's own types: apps without Koa type-check pof's declarations as well,
 * and Koa's app.use() takes it. A Koa server is made inside a callback pof
 * cannot see: with savedSyn, `mw.attach(app.listen(port))` gives its first
 * connection a saved SYN too (else saved SYNs start with the next one).
 */
import type { IncomingMessage } from 'node:http';
import type net from 'node:net';

import type { PofCore } from './core.js';
import { coreOf, type PofSetup } from './node-http.js';
import type { PofResult } from './result.js';
import { secureResult } from './secure-result.js';

export interface PofKoaState {
  pof?: PofResult;
}

/** What pofKoa uses of Koa's context. */
export interface KoaLikeContext {
  req: IncomingMessage;
  state: PofKoaState;
}

export interface PofKoaMiddleware {
  (ctx: KoaLikeContext, next: () => Promise<unknown>): Promise<void>;
  readonly core: PofCore;
  /** Turns saved SYNs on for a server right away: `mw.attach(app.listen(port))`. */
  attach(server: net.Server): void;
}

export function pofKoa(setup?: PofSetup): PofKoaMiddleware {
  const core = coreOf(setup);
  const pofKoaMiddleware = async (ctx: KoaLikeContext, next: () => Promise<unknown>): Promise<void> => {
    const r = core.get(ctx.req.socket);
    const v = secureResult(ctx.req, r instanceof Promise ? await r : r);
    ctx.state.pof = v;
    ctx.req.pof = v;
    await next();
  };
  Object.defineProperty(pofKoaMiddleware, 'core', { value: core });
  Object.defineProperty(pofKoaMiddleware, 'attach', { value: (server: net.Server) => core.attachServer(server) });
  return pofKoaMiddleware as PofKoaMiddleware;
}

export type { PofCore, PofOptions } from './core.js';
export type { PofResult } from './result.js';
