export type * from './types.js';
export { parseSignatures } from './parse.js';
export { loadSignatures, formatDiagnostic } from './load.js';
export { formatTcpSig, formatHttpSig, parseTcpSigText, parseHttpSigText, isDiagnostic } from './format.js';
export { tcpCoveredBy } from './tcp-sig.js';
export { httpCoveredBy } from './http-sig.js';
