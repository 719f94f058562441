/** The query API: codecs, per-connection verdicts, server and client. */
export * from './types.js';
export * from './v3.js';
export * from './v2.js';
export * from './json-types.js';
export * from './json.js';
export * from '../state/conn-verdicts.js';
export * from './lookup.js';
export * from './server.js';
export * from './client.js';
