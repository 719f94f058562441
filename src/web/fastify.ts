/**
 * `pof/fastify`: the Fastify 5 plugin (fastify-plugin.ts) with Fastify's own
 * types, and `request.pof` and `fastify.pofCore` declared on Fastify's
 * interfaces:
 *
 *   import { pofFastify } from 'pof/fastify';
 *   await app.register(pofFastify, { socket: '/run/pof/pof.sock' });
 *
 * Only this entry imports Fastify's types (an app using it has Fastify);
 * pof/web exports the same plugin typed without them.
 */
import type { FastifyPluginCallback } from 'fastify';

import type { PofCore } from './core.js';
import { pofFastify as plugin, type PofFastifyOptions } from './fastify-plugin.js';
import type { PofResult } from './result.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** pof's verdict for the request's connection. */
    pof: PofResult | null;
  }
  interface FastifyInstance {
    /** The pof core the plugin uses (stats, cache). */
    pofCore: PofCore;
  }
}

export type { PofFastifyOptions };
export type { PofOptions, PofCore } from './core.js';
export type { PofResult } from './result.js';

export const pofFastify = plugin as unknown as FastifyPluginCallback<PofFastifyOptions>;
