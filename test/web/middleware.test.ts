// The shared middleware suite, run against every adapter (node:http,
// connect style, Express 5, Fastify 5, Koa 3).
import { ADAPTERS } from './adapters.js';
import { adapterSuite } from './suite.js';

for (const a of ADAPTERS) adapterSuite(a);
