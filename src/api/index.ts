/** The query API: codecs, per-connection verdicts, server and client; the shared store, metrics and the HTTP endpoint. */
export * from './types.js';
export * from './v3.js';
export * from './v2.js';
export * from './json-types.js';
export * from './json.js';
export * from '../state/conn-verdicts.js';
export * from './lookup.js';
export * from './server.js';
export * from './client.js';
export { StorePublisher, type StorePublisherOptions, type StorePublisherStats } from './store/publisher.js';
export { StoreReader, type StoreReaderOptions, type StoreReaderStats, type StoreAnswer, type StoreConnQuery } from './store/reader.js';
export { connStoreKey, hostStoreKey, parseStoreUrl, DEFAULT_KEY_PREFIX, DEFAULT_CONN_TTL_S, DEFAULT_HOST_TTL_S, type StoreUrl } from './store/keys.js';
export { PofMetrics, type MetricSources, type PofMetricsOptions, type ApiProtocol } from './metrics/registry.js';
export { createHttpEndpoint, parseHttpAddress, type HttpEndpoint, type HttpEndpointOptions, type HttpRoute } from './http-endpoint.js';
