/** Which signature database the sensor loads. */
import { fileURLToPath } from 'node:url';
import { loadSignatures } from '../db/load.js';
import type { SignatureDb } from '../db/types.js';

/** The database pof ships: signatures/pof.fp in the package. */
export const DEFAULT_DB_PATH = fileURLToPath(new URL('../../signatures/pof.fp', import.meta.url));

export function loadDb(path: string | undefined): SignatureDb {
  return loadSignatures(path ?? DEFAULT_DB_PATH);
}
