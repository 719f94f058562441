/**
 * pino fields for pof's verdict:
 *
 *   const logger = pino();
 *   app.get('/', (req, res) => { logger.info(pofLogFields(req), 'hello'); ... });
 *   // pino-http: pinoHttp({ customProps: (req) => pofLogFields(req) })
 *
 * Gives `{ pof: { genre, details, distance, link, nat, os, app, ... } }`,
 * unknown fields left out, numbers as numbers; on a connection pof
 * decrypts (pofTls) also ja4, ja3, tls_client, h2 and http_sig.
 */
import type { IncomingMessage } from 'node:http';

import type { PofResult } from './result.js';

export interface PofLogObject {
  genre?: string;
  details?: string;
  os?: string;
  quality?: number;
  distance?: number;
  link?: string;
  mtu?: number;
  uptime_h?: number;
  app?: string;
  ua_mismatch?: number;
  language?: string;
  nat?: boolean;
  first_seen?: number;
  last_seen?: number;
  raw_sig?: string;
  via?: string;
  ja4?: string;
  ja3?: string;
  tls_client?: string;
  h2?: string;
  http_sig?: string;
  err?: string;
}

/** A result as a flat object for structured logs (pino's serializers too). */
export function pofSerializer(r: PofResult | undefined | null): PofLogObject | undefined {
  if (!r) return undefined;
  const o: PofLogObject = {};
  if (r.os) {
    o.genre = r.os.name;
    if (r.os.flavor) o.details = r.os.flavor;
    o.os = r.os.label;
    o.quality = r.matchQuality;
  }
  if (r.distance !== null) o.distance = r.distance;
  if (r.link) o.link = r.link;
  if (r.mtu) o.mtu = r.mtu;
  if (r.uptime) o.uptime_h = Math.floor(r.uptime.minutes / 60);
  if (r.http) o.app = r.http.label;
  if (r.badSw) o.ua_mismatch = r.badSw;
  if (r.language) o.language = r.language;
  if (r.nat) o.nat = true;
  if (r.firstSeen !== null) o.first_seen = r.firstSeen;
  if (r.lastSeen !== null) o.last_seen = r.lastSeen;
  if (r.rawSig) o.raw_sig = r.rawSig;
  if (r.via.length) o.via = r.via.join('+');
  if (r.tls) {
    o.ja4 = r.tls.ja4;
    o.ja3 = r.tls.ja3;
    if (r.tls.client) o.tls_client = r.tls.client;
  }
  if (r.h2) o.h2 = r.h2.fingerprint;
  if (r.httpSig) o.http_sig = r.httpSig;
  if (r.err) o.err = r.err;
  return o;
}

/** `{ pof: {...} }` for a request carrying req.pof (nothing when it does not). */
export function pofLogFields(req: IncomingMessage): { pof?: PofLogObject } {
  const o = pofSerializer(req.pof);
  return o ? { pof: o } : {};
}
