/**
 * The web side (`pof/web`): middleware core and adapters, access logs, the
 * proxy, saved SYNs. Its declarations import no web framework's types;
 * `pof/express`, `pof/fastify` (with Fastify's types) and `pof/koa` give
 * one adapter each.
 */
export * from './result.js';
export * from './core.js';
export * from './sources.js';
export * from './saved-syn.js';
export * from './node-http.js';
export * from './express.js';
export * from './fastify-plugin.js';
export * from './koa.js';
export * from './log-format.js';
export * from './log-file.js';
export * from './access-log.js';
export * from './morgan.js';
export * from './pino.js';
export * from './proxy.js';
export * from './logpipe.js';
export { parseProxyHeader, headerTuple, type ProxyHeader, type ProxyAddress, type ProxyTlvs, type ProxySsl, type ProxyParseResult } from './proxy-protocol.js';
export { writeV2, type V2Spec } from './proxy-protocol-write.js';
export { ProxyProtocolReader, withProxyProtocol, proxyHeaderOf, proxyTupleOf, type ProxyProtocolOptions, type ProxyProtocolMode, type ProxyAccept, type ProxyRefusal, type RefuseReason } from './proxy-protocol-reader.js';
export { CidrList, parseCidrList } from '../net/cidr.js';
