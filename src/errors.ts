/**
 * Errors meant for users carry a stable code and a one-line message; the
 * CLI prints `pof: <message>` for them and never a stack trace.
 */
export type PofErrorCode =
  | 'E_USAGE'
  | 'E_CAPTURE_FORMAT'
  | 'E_CAPTURE_CORRUPT'
  | 'E_CAPTURE_IO'
  | 'E_SIGNATURES'
  | 'E_IO'
  | 'E_LIVE'
  | 'E_API'
  /** A question to the pof daemon got no answer in time. */
  | 'E_API_TIMEOUT'
  /** The daemon answered "bad query": it does not take that question. */
  | 'E_API_REFUSED'
  /** The shared store (Redis) could not be asked: down, refused, busy. */
  | 'E_STORE'
  /** The shared store gave no answer in time. */
  | 'E_STORE_TIMEOUT'
  | 'E_CONFIG';

export class PofError extends Error {
  readonly code: PofErrorCode;
  constructor(code: PofErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PofError';
    this.code = code;
  }
}

export function isPofError(e: unknown): e is PofError {
  return e instanceof PofError;
}
