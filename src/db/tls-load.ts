/** Loading the TLS client database: read, parse, refuse it whole if anything is wrong. */
import { fileURLToPath } from 'node:url';
import { PofError } from '../errors.js';
import { formatDiagnostic, readSignatureText } from './load.js';
import { parseTlsDb } from './tls-parse.js';
import type { TlsDb } from './tls-types.js';

/** The TLS client database pof ships: signatures/tls.fp in the package. */
export const DEFAULT_TLS_DB = fileURLToPath(new URL('../../signatures/tls.fp', import.meta.url));

/**
 * Loads a TLS client database (by default the one pof ships). Throws
 * PofError('E_IO') if it cannot be read, and PofError('E_SIGNATURES')
 * listing every problem, one `FILE:LINE: field: message` per line.
 */
export function loadTlsDb(path: string = DEFAULT_TLS_DB): TlsDb {
  const r = parseTlsDb(readSignatureText(path), path);
  if (!r.ok) throw new PofError('E_SIGNATURES', r.diagnostics.map(formatDiagnostic).join('\n'));
  return r.db;
}
