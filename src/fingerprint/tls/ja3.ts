/**
 * JA3 (Salesforce): the ClientHello's version, cipher suites, extension
 * types, supported groups (elliptic curves) and point formats, in decimal
 * and wire order, each list '-' joined, the five fields ',' joined; GREASE
 * values (RFC 8701) left out of the ciphers, extensions and groups; the
 * fingerprint is the MD5 of that string.
 */
import { createHash } from 'node:crypto';
import { isGrease } from './grease.js';
import type { ClientHello } from './hello.js';

export interface Ja3 {
  /** MD5 of the string, lower-case hex. */
  ja3: string;
  /** The string itself, e.g. 771,4865-4866,0-23-65281,29-23,0 */
  ja3_full: string;
}

function decList(values: number[], skipGrease: boolean): string {
  let s = '';
  let first = true;
  for (const v of values) {
    if (skipGrease && isGrease(v)) continue;
    s += first ? String(v) : '-' + v;
    first = false;
  }
  return s;
}

/** The JA3 string of a ClientHello. */
export function ja3String(hello: ClientHello): string {
  return (
    hello.version +
    ',' +
    decList(hello.ciphers, true) +
    ',' +
    decList(hello.extensions, true) +
    ',' +
    decList(hello.groups, true) +
    ',' +
    decList(hello.pointFormats, false)
  );
}

/** JA3 and its string. */
export function ja3(hello: ClientHello): Ja3 {
  const s = ja3String(hello);
  return { ja3: createHash('md5').update(s).digest('hex'), ja3_full: s };
}
