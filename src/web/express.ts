/**
 * Express 5 (and 4): `app.use(pofExpress({ socket: '/run/pof.sock' }))`;
 * handlers read `req.pof`, and `res.locals.pof` for templates.
 */
import type { NextFunction, Request, RequestHandler, Response } from 'express';

import type { PofCore } from './core.js';
import { attachPof, coreOf, type PofSetup } from './node-http.js';

export type PofExpressMiddleware = RequestHandler & { readonly core: PofCore };

export function pofExpress(setup?: PofSetup): PofExpressMiddleware {
  const core = coreOf(setup);
  const pofExpressMiddleware = (req: Request, res: Response, next: NextFunction): void => {
    attachPof(core, req, () => {
      res.locals.pof = req.pof;
      next();
    });
  };
  Object.defineProperty(pofExpressMiddleware, 'core', { value: core });
  return pofExpressMiddleware as PofExpressMiddleware;
}
