/** The web side: middleware core and adapters, access logs, the proxy, saved SYNs. */
export * from './result.js';
export * from './core.js';
export * from './sources.js';
export * from './saved-syn.js';
export * from './node-http.js';
export * from './express.js';
export * from './fastify.js';
export * from './koa.js';
export * from './log-format.js';
export * from './log-file.js';
export * from './access-log.js';
export * from './morgan.js';
export * from './pino.js';
export * from './proxy.js';
export * from './logpipe.js';
