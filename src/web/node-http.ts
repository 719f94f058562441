/**
 * node:http: a request-listener wrapper and a connect-style handler.
 *
 *   http.createServer(withPof((req, res) => {
 *     res.end(`your OS: ${req.pof?.vars.pof_genre}`);
 *   }, { socket: '/run/pof/pof.sock' }));
 *
 * `req.pof` is set before the wrapped listener runs (within timeoutMs).
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';

import { createPofCore, type PofCore, type PofOptions } from './core.js';
import { claimServers } from './listen-hook.js';
import type { PofResult } from './result.js';
import { secureResult } from './secure-result.js';

declare module 'http' {
  interface IncomingMessage {
    /** pof's verdict for the request's connection (set by pof's middleware). */
    pof?: PofResult;
  }
}

/** Options, or a core already made (to share one cache and client between adapters). */
export type PofSetup = PofOptions | PofCore;

export function isPofCore(x: unknown): x is PofCore {
  return typeof x === 'object' && x !== null && typeof (x as PofCore).get === 'function' && typeof (x as PofCore).peek === 'function';
}

export function coreOf(setup: PofSetup | undefined): PofCore {
  return isPofCore(setup) ? setup : createPofCore(setup ?? {});
}

/** Sets req.pof, then calls next() (the one step every adapter shares). */
export function attachPof(core: PofCore, req: IncomingMessage, next: () => void): void {
  const r = core.get(req.socket);
  // On a connection pof decrypts, with its TLS, HTTP/2 and request facts.
  if (r instanceof Promise) {
    void r.then((v) => {
      req.pof = secureResult(req, v);
      next();
    });
  } else {
    req.pof = secureResult(req, r);
    next();
  }
}

export interface PofRequestListener<Req extends IncomingMessage = IncomingMessage, Res extends ServerResponse = ServerResponse> {
  (req: Req, res: Res): void;
  readonly core: PofCore;
  /** Turns saved SYNs on for a server right away (done as it starts listening, for a server made with this listener). */
  attach(server: Server): void;
}

/** Wraps a request listener so that every request carries req.pof. */
export function withPof<Req extends IncomingMessage = IncomingMessage, Res extends ServerResponse = ServerResponse>(
  listener: (req: Req, res: Res) => void,
  setup?: PofSetup,
): PofRequestListener<Req, Res> {
  if (typeof listener !== 'function') throw new TypeError('withPof: the first argument must be a request listener');
  const core = coreOf(setup);
  const inner = listener;
  const pofRequestListener = ((req: Req, res: Res): void => {
    attachPof(core, req, () => inner(req, res));
  }) as PofRequestListener<Req, Res>;
  Object.defineProperty(pofRequestListener, 'core', { value: core });
  Object.defineProperty(pofRequestListener, 'attach', { value: (server: Server) => core.attachServer(server) });
  // The server it is given to gets saved SYNs as it starts listening (listen-hook.ts).
  if (core.options.savedSyn || core.options.proxyProtocol || core.options.tls) claimServers(pofRequestListener, core);
  return pofRequestListener;
}

/** A connect-style middleware `(req, res, next)` (connect, polka, Express 4 and 5). */
export function pofHandler(setup?: PofSetup): ((req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => void) & { core: PofCore } {
  const core = coreOf(setup);
  const pofHandler = (req: IncomingMessage, _res: ServerResponse, next: (err?: unknown) => void): void => attachPof(core, req, () => next());
  const mw = Object.assign(pofHandler, { core });
  if (core.options.savedSyn || core.options.proxyProtocol || core.options.tls) claimServers(mw, core);
  return mw;
}
