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
export { pofTls, pofTlsOf, type PofTlsOptions, type PofTlsServer } from './tls-server.js';
export { helloFactsOf, h2FactsOf, type PofTls, type PofH2, type HelloFacts, type H2Facts, type H2Miss } from './tls-facts.js';
export { secureResult, type SecureRequest } from './secure-result.js';
export { ClientHelloReader, type TlsHelloOptions, type HelloMiss, type HelloOutcome, type TlsHelloStats } from './tls-hello-reader.js';
export { H2StartReader, type H2StartOptions, type H2Outcome, type H2StartStats } from './h2-start-reader.js';
export { requestSig, type RequestSig, type RequestSigResult } from './http-request-sig.js';
export { h2Fingerprint, pseudoHeaderOrder, readH2Start, type H2Start, type H2StartRead, type H2Setting, type H2Priority } from '../fingerprint/h2.js';
