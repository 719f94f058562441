/**
 * Express 5 (and 4): `app.use(pofExpress({ socket: '/run/pof/pof.sock' }))`;
 * handlers read `req.pof`, and `res.locals.pof` for templates. Also
 * `import { pofExpress } from 'pof/express'`.
 *
 * The types here are Node's own, not Express's: an app that does not use
 * Express (or has no @types/express) type-checks pof's declarations all the
 * same, and Express's handlers take this one (its Request and Response are
 * Node's IncomingMessage and ServerResponse, extended).
 *
 * With savedSyn, the app's server gets TCP_SAVE_SYN as it starts
 * listening (see listen-hook.ts), so that its first connection has a
 * saved SYN too; `attach(server)` does it by hand for a server the hook
 * cannot tell serves the app.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type net from 'node:net';

import type { PofCore } from './core.js';
import { claimServers } from './listen-hook.js';
import { attachPof, coreOf, type PofSetup } from './node-http.js';

/** What pofExpress needs of Express's response: its per-request locals. */
export interface ExpressLikeResponse extends ServerResponse {
  locals: Record<string, unknown>;
}

export interface PofExpressMiddleware {
  (req: IncomingMessage, res: ExpressLikeResponse, next: (err?: unknown) => void): void;
  readonly core: PofCore;
  /** Turns saved SYNs on for a server right away (the hook does it for an app's own server). */
  attach(server: net.Server): void;
}

export function pofExpress(setup?: PofSetup): PofExpressMiddleware {
  const core = coreOf(setup);
  const pofExpressMiddleware = (req: IncomingMessage, res: ExpressLikeResponse, next: (err?: unknown) => void): void => {
    attachPof(core, req, () => {
      res.locals.pof = req.pof;
      next();
    });
  };
  Object.defineProperty(pofExpressMiddleware, 'core', { value: core });
  Object.defineProperty(pofExpressMiddleware, 'attach', { value: (server: net.Server) => core.attachServer(server) });
  const mw = pofExpressMiddleware as PofExpressMiddleware;
  if (core.options.savedSyn || core.options.proxyProtocol || core.options.tls) claimServers(mw, core);
  return mw;
}

export type { PofCore, PofOptions } from './core.js';
export type { PofResult } from './result.js';
