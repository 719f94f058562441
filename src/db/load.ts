/** Loading a signature file: read, parse, refuse it whole if anything is wrong. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { PofError } from '../errors.js';
import { parseSignatures } from './parse.js';
import type { Diagnostic, SignatureDb } from './types.js';

/** The database pof ships: signatures/pof.fp in the package. */
export const DEFAULT_SIGNATURES = fileURLToPath(new URL('../../signatures/pof.fp', import.meta.url));

/** `FILE:LINE: field: message` */
export function formatDiagnostic(d: Diagnostic): string {
  return `${d.file}:${d.line}: ${d.field}: ${d.message}`;
}

/** Reads a file as text, or throws PofError('E_IO') with a one-line message. */
export function readSignatureText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const why = err.code === 'ENOENT' ? 'no such file' : err.code === 'EISDIR' ? 'is a directory' : err.code === 'EACCES' ? 'permission denied' : (err.code ?? err.message);
    throw new PofError('E_IO', `cannot read signature file '${path}': ${why}`, { cause: e });
  }
}

/**
 * Loads a p0f.fp file (by default the one pof ships). Throws PofError('E_IO') if it cannot be read, and
 * PofError('E_SIGNATURES') listing every problem, one `FILE:LINE: field:
 * message` per line, if it has any.
 */
export function loadSignatures(path: string = DEFAULT_SIGNATURES): SignatureDb {
  const text = readSignatureText(path);
  const r = parseSignatures(text, path);
  if (!r.ok) throw new PofError('E_SIGNATURES', r.diagnostics.map(formatDiagnostic).join('\n'));
  return r.db;
}
