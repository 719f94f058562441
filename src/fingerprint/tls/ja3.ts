/**
 * JA3 (Salesforce): the ClientHello's version, cipher suites, extension
 * types, supported groups (elliptic curves) and point formats, in decimal
 * and wire order, each list '-' joined, the five fields ',' joined; GREASE
 * values (RFC 8701) left out of the ciphers, extensions and groups; the
 * fingerprint is the MD5 of that string.
 */
import { digestHex } from './digest.js';
import { putDecimal, putDecimalList, scratchBytes } from './scratch.js';
import { isGrease } from './grease.js';
import type { ClientHello } from './hello.js';

export interface Ja3 {
  /** MD5 of the string, lower-case hex. */
  ja3: string;
  /** The string itself, e.g. 771,4865-4866,0-23-65281,29-23,0 */
  ja3_full: string;
}

const COMMA = 0x2c;

/** Write the JA3 string into the scratch bytes; its length. */
function put(hello: ClientHello): number {
  const b = scratchBytes(6 * (hello.ciphers.length + hello.extensions.length + hello.groups.length + hello.pointFormats.length) + 16);
  let p = putDecimal(b, 0, hello.version);
  b[p++] = COMMA;
  p = putDecimalList(b, p, hello.ciphers, isGrease);
  b[p++] = COMMA;
  p = putDecimalList(b, p, hello.extensions, isGrease);
  b[p++] = COMMA;
  p = putDecimalList(b, p, hello.groups, isGrease);
  b[p++] = COMMA;
  return putDecimalList(b, p, hello.pointFormats, null);
}

/** The JA3 string of a ClientHello. */
export function ja3String(hello: ClientHello): string {
  const n = put(hello);
  return scratchBytes(n).toString('latin1', 0, n);
}

/** JA3 and its string. */
export function ja3(hello: ClientHello): Ja3 {
  const n = put(hello);
  const b = scratchBytes(n);
  return { ja3: digestHex('md5', b.subarray(0, n)), ja3_full: b.toString('latin1', 0, n) };
}
