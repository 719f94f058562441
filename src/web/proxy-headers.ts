/**
 * Header names as the proxy and its backends read them.
 *
 * A backend that hands headers to an application as variables (CGI and its
 * kin: PHP's built-in server, PHP-FPM behind nginx with
 * underscores_in_headers, ...) folds each name: case ignored, and '-', '_'
 * and '.' alike become '_'. So `X_Pof_Nat`, `x.pof.nat` and `X-POF-NAT` all
 * arrive as HTTP_X_POF_NAT, the variable the proxy's own X-Pof-Nat fills.
 * The proxy therefore reads client header names the same way: a name that
 * folds to X-Pof-* is pof's (whichever field, sent or not, known today or
 * added later), and one that folds to an X-Forwarded-* the proxy sets is
 * the proxy's. Neither kind passes from a client.
 */

/** Hop-by-hop headers (RFC 9110 7.6.1). */
export const HOP: ReadonlySet<string> = new Set(['connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade']);

/**
 * First letters (lowercased) of the names the proxy drops or checks: HOP's,
 * host, content-length, and x (X-Pof-*, X-Forwarded-*). A name whose first
 * letter is not among them passes without being looked at further.
 */
export const SPECIAL_FIRST: ReadonlySet<number> = new Set([...HOP, 'host', 'content-length', 'x'].map((n) => n.charCodeAt(0)));

const DASH = 0x2d;
const UNDERSCORE = 0x5f;
const DOT = 0x2e;

/** A name's character as a backend folds it: ASCII letters in lower case, '_' and '.' as '-'. */
function folded(c: number): number {
  if (c >= 0x41 && c <= 0x5a) return c | 0x20;
  return c === UNDERSCORE || c === DOT ? DASH : c;
}

/** Whether `name`, folded, begins with `prefix` (lower case, '-' between words). */
function foldsToPrefix(name: string, prefix: string): boolean {
  if (name.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (folded(name.charCodeAt(i)) !== prefix.charCodeAt(i)) return false;
  return true;
}

const POF_PREFIX = 'x-pof-';
const FORWARDED_PREFIX = 'x-forwarded-';

/**
 * Whether a request header is pof's: its name, lower-cased with '_' and '.'
 * read as '-', starts with 'x-pof-'. Every such header from a client is
 * dropped, whatever it names.
 */
export function isPofHeaderName(name: string): boolean {
  return foldsToPrefix(name, POF_PREFIX);
}

/** The X-Forwarded-* headers the proxy sets. */
export type ForwardedField = 'for' | 'proto' | 'host';
const FORWARDED_FIELDS: readonly ForwardedField[] = ['for', 'proto', 'host'];

/**
 * Which X-Forwarded-* the proxy sets a name folds to (X_Forwarded_For,
 * x.forwarded.proto, ...), or null for any other name.
 */
export function forwardedField(name: string): ForwardedField | null {
  if (!foldsToPrefix(name, FORWARDED_PREFIX)) return null;
  const rest = name.length - FORWARDED_PREFIX.length;
  for (const f of FORWARDED_FIELDS) {
    if (f.length !== rest) continue;
    let i = 0;
    while (i < rest && folded(name.charCodeAt(FORWARDED_PREFIX.length + i)) === f.charCodeAt(i)) i++;
    if (i === rest) return f;
  }
  return null;
}

/** Names a Connection header lists: hop-by-hop too (RFC 9110 7.6.1); null when none. */
export function connectionTokens(v: string | string[] | undefined): Set<string> | null {
  const t = Array.isArray(v) ? v.join(',') : v;
  return t && t !== 'keep-alive' && t !== 'close' ? new Set(t.toLowerCase().split(',').map((s) => s.trim())) : null;
}

/** 'pof_ua_mismatch' -> 'X-Pof-Ua-Mismatch'. */
export function pofHeaderName(name: string): string {
  return 'X-Pof-' + name.slice(4).split('_').map((w) => (w ? w[0]!.toUpperCase() + w.slice(1) : w)).join('-');
}

/** Header-safe text: printable ASCII only. */
export function headerValue(v: string): string {
  return /^[\x20-\x7e]*$/.test(v) ? v : v.replace(/[^\x20-\x7e]/g, '?');
}
