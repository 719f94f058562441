/**
 * Koa 3: `app.use(pofKoa({ socket: '/run/pof.sock' }))`; handlers read
 * `ctx.state.pof` (and `ctx.req.pof`).
 */
import type { Middleware, ParameterizedContext } from 'koa';

import type { PofCore } from './core.js';
import { coreOf, type PofSetup } from './node-http.js';
import type { PofResult } from './result.js';

export interface PofKoaState {
  pof?: PofResult;
}

export type PofKoaMiddleware = Middleware<PofKoaState> & { readonly core: PofCore };

export function pofKoa(setup?: PofSetup): PofKoaMiddleware {
  const core = coreOf(setup);
  const pofKoaMiddleware = async (ctx: ParameterizedContext<PofKoaState>, next: () => Promise<unknown>): Promise<void> => {
    const r = core.get(ctx.req.socket);
    const v = r instanceof Promise ? await r : r;
    ctx.state.pof = v;
    ctx.req.pof = v;
    await next();
  };
  Object.defineProperty(pofKoaMiddleware, 'core', { value: core });
  return pofKoaMiddleware as PofKoaMiddleware;
}
