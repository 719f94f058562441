/**
 * morgan tokens for pof's variables:
 *
 *   import morgan from 'morgan';
 *   pofMorgan(morgan);
 *   app.use(pofExpress({ socket: '/run/pof/pof.sock' }));
 *   app.use(morgan(':remote-addr ":pof[genre]" ":pof[details]" :pof[distance]'));
 *   app.use(morgan('pof-combined'));   // combined + pof's fields
 *
 * `:pof[NAME]` takes a mod_pof or pof variable with or without its
 * `pof_` prefix (genre, details, distance, link, nat, err, os, app, ...);
 * `:pof` alone is the OS label. Unknown is '-', as morgan prints it.
 */
import type { IncomingMessage } from 'node:http';

import { isPofValueName, pofValue } from './result.js';

/** What pofMorgan needs of morgan (morgan itself, or anything shaped like it). */
export interface MorganLike {
  token(name: string, fn: (req: IncomingMessage, res: never, arg?: string | number | boolean) => string | undefined): unknown;
  format(name: string, fmt: string): unknown;
}

export const MORGAN_POF_FORMAT =
  ':remote-addr - :remote-user [:date[clf]] ":method :url HTTP/:http-version" :status :res[content-length] ":referrer" ":user-agent" ":pof[genre]" ":pof[details]" :pof[distance] ":pof[link]"';

/** The token function alone: (req, res, arg) => value or undefined. */
export function pofToken(req: IncomingMessage, _res: unknown, arg?: string | number | boolean): string | undefined {
  const raw = arg === undefined ? 'os' : String(arg);
  const name = raw.startsWith('pof_') ? raw : `pof_${raw}`;
  if (!isPofValueName(name)) return undefined;
  const v = pofValue(req.pof, name);
  return v === '' ? undefined : v;
}

/** Registers the `pof` token and the `pof-combined` format; returns morgan. */
export function pofMorgan<M extends MorganLike>(morgan: M): M {
  morgan.token('pof', pofToken);
  morgan.format('pof-combined', MORGAN_POF_FORMAT);
  return morgan;
}
