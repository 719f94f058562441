/**
 * Fastify 5 plugin: `await app.register(pofFastify, { socket: '/run/pof.sock' })`;
 * handlers read `request.pof`. The plugin applies to the whole instance
 * (it is not encapsulated) and closes its client with the instance.
 */
import type { FastifyInstance, FastifyPluginCallback } from 'fastify';

import type { PofCore } from './core.js';
import { attachPof, coreOf, type PofSetup } from './node-http.js';
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

export type PofFastifyOptions = PofSetup & { core?: PofCore };

const pofFastifyPlugin: FastifyPluginCallback<PofFastifyOptions> = (fastify: FastifyInstance, opts, done) => {
  let core: PofCore;
  try {
    // Fastify hands the options object over; a core may come as { core }.
    const { core: given, ...rest } = opts as PofFastifyOptions & Record<string, unknown>;
    core = given ?? coreOf(rest as PofSetup);
  } catch (e) {
    done(e as Error);
    return;
  }
  fastify.decorate('pofCore', core);
  fastify.decorateRequest('pof', null);
  fastify.addHook('onRequest', (request, _reply, next) => {
    attachPof(core, request.raw, () => {
      request.pof = request.raw.pof!;
      next();
    });
  });
  fastify.addHook('onListen', (next) => {
    core.attachServer(fastify.server);
    next();
  });
  fastify.addHook('onClose', (_instance, next) => {
    core.close().then(() => next(), next);
  });
  done();
};

// Not encapsulated: the hook and decorator reach every route (what the
// fastify-plugin helper does, without depending on it).
(pofFastifyPlugin as unknown as Record<symbol, unknown>)[Symbol.for('skip-override')] = true;
(pofFastifyPlugin as unknown as Record<symbol, unknown>)[Symbol.for('fastify.display-name')] = 'pof';

export const pofFastify = pofFastifyPlugin;
