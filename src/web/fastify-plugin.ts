/**
 * The Fastify 5 plugin: `await app.register(pofFastify, { socket: '/run/pof/pof.sock' })`;
 * handlers read `request.pof`. The plugin applies to the whole instance
 * (it is not encapsulated) and closes its client with the instance.
 *
 * Typed here with the few members used of Fastify's instance, not with
 * Fastify's types, so that pof/web's declarations need no Fastify; `pof/fastify`
 * (fastify.ts) gives the same plugin with Fastify's types and `request.pof`
 * declared on FastifyRequest.
 */
import type { IncomingMessage, Server } from 'node:http';

import type { PofCore } from './core.js';
import { attachPof, coreOf, type PofSetup } from './node-http.js';
import type { PofResult } from './result.js';

export type PofFastifyOptions = PofSetup & { core?: PofCore };

/** The request and instance members the plugin uses. */
interface FastifyLikeRequest {
  raw: IncomingMessage;
  pof: PofResult | null;
}
export interface FastifyLikeInstance {
  server: Server;
  decorate(name: string, value: unknown): unknown;
  decorateRequest(name: string, value: unknown): unknown;
  addHook(name: string, hook: (...args: never[]) => unknown): unknown;
}

export type PofFastifyPlugin = (instance: FastifyLikeInstance, opts: PofFastifyOptions, done: (err?: Error) => void) => void;

const pofFastifyPlugin: PofFastifyPlugin = (fastify, opts, done) => {
  let core: PofCore;
  try {
    // Fastify hands the options object over; a core may come as { core }.
    const { core: given, ...rest } = opts as PofFastifyOptions & Record<string, unknown>;
    core = given ?? coreOf(rest as PofSetup);
  } catch (e) {
    done(e as Error);
    return;
  }
  try {
    // Saved SYNs on as the instance's server starts listening (before its first connection).
    core.attachServer(fastify.server);
  } catch (e) {
    done(e as Error);
    return;
  }
  fastify.decorate('pofCore', core);
  fastify.decorateRequest('pof', null);
  fastify.addHook('onRequest', (request: FastifyLikeRequest, _reply: unknown, next: () => void) => {
    attachPof(core, request.raw, () => {
      request.pof = request.raw.pof!;
      next();
    });
  });
  fastify.addHook('onClose', (_instance: unknown, next: (err?: Error) => void) => {
    core.close().then(() => next(), next);
  });
  done();
};

// Not encapsulated: the hook and decorator reach every route (what the
// fastify-plugin helper does, without depending on it).
(pofFastifyPlugin as unknown as Record<symbol, unknown>)[Symbol.for('skip-override')] = true;
(pofFastifyPlugin as unknown as Record<symbol, unknown>)[Symbol.for('fastify.display-name')] = 'pof';

export const pofFastify = pofFastifyPlugin;
