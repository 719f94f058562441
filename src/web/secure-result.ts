/**
 * A decrypted connection's result: the core's (what pof knows of the TCP
 * connection and its client) with what only the decrypting end sees,
 * for every adapter (attachPof, Koa):
 *   - tls: the ClientHello's fingerprints (read by pofTls),
 *   - h2: the HTTP/2 fingerprint, its pseudo-header order from the
 *     connection's first request,
 *   - http, httpSig, badSw, language: from the connection's first GET or
 *     HEAD request, matched as the engine matches cleartext requests
 *     (http-request-sig.ts). A connection's own request wins over what pof
 *     saw in clear from its address. badSw is 2 when the request is
 *     dishonest, 1 when the User-Agent names an OS (ua_os) that the
 *     connection's TCP verdict cannot be, as p0f scores it.
 *
 * Made once per connection (and again if the core's result changes) and
 * kept on its socket; a plain connection costs one property lookup.
 */
import type net from 'node:net';
import { familyOfName, labelFamilies, osAgrees } from '../db/families.js';
import { h2Fingerprint, pseudoHeaderOrder } from '../fingerprint/h2.js';
import { requestSig, type RequestSig } from './http-request-sig.js';
import type { PofResult } from './result.js';
import { h2FactsOf, helloFactsOf, type PofH2 } from './tls-facts.js';

/** What secureResult reads of a request (Node's IncomingMessage and Http2ServerRequest have it). */
export interface SecureRequest {
  socket: net.Socket;
  method?: string;
  url?: string;
  httpVersion: string;
  rawHeaders: string[];
}

interface Kept {
  /** The core's result it was made from. */
  base: PofResult;
  out: PofResult;
  /** The signature of the connection's first GET or HEAD request, once there was one. */
  sig: RequestSig | null;
}

const kSecure = Symbol('pof secure result');
type WithKept = net.Socket & { [kSecure]?: Kept };

/** The OS a User-Agent names (ua_os) cannot be the one the TCP verdict names. */
function uaOsDiffers(uaOs: string, r: PofResult): boolean {
  if (!r.os || r.os.userland) return false;
  const ua = familyOfName(uaOs);
  const tcp = labelFamilies(r.os.name, r.os.flavor);
  if (ua === null || tcp.length === 0) return uaOs !== r.os.name;
  return !osAgrees([ua], tcp);
}

/** `r` with what the decrypting end knows of the request's connection; `r` itself for a connection pof does not decrypt. */
export function secureResult(req: SecureRequest, r: PofResult): PofResult {
  const socket = req.socket as WithKept;
  const hello = helloFactsOf(socket);
  if (!hello) return r;
  const kept = socket[kSecure];
  if (kept && kept.base === r && kept.sig) return kept.out;
  let s = kept?.sig ?? null;
  if (!s) {
    const made = requestSig(hello.ctx.http, req.method, req.url, req.httpVersion, req.rawHeaders);
    if (made.ok) s = made.sig;
    else if (kept && kept.base === r) return kept.out;
  }

  const out: PofResult = { ...r, vars: { ...r.vars }, via: [...r.via], tls: hello.tls, h2: kept?.out.h2 ?? null };
  if (!out.h2 && req.httpVersion === '2.0') {
    const f = h2FactsOf(socket);
    if (f?.start) {
      const pseudoHeaders = pseudoHeaderOrder(req.rawHeaders, 2);
      const h2: PofH2 = {
        fingerprint: h2Fingerprint(f.start, pseudoHeaders),
        settings: f.start.settings,
        windowUpdate: f.start.windowUpdate,
        priorities: f.start.priorities,
        pseudoHeaders,
      };
      out.h2 = h2;
    }
  }
  if (s) {
    out.http = s.app;
    out.httpSig = s.rawSig;
    out.badSw = s.dishonest ? 2 : s.uaOs !== null && uaOsDiffers(s.uaOs, r) ? 1 : 0;
    out.uaMismatch = out.badSw > 0;
    if (s.language !== null) out.language = s.language;
  }
  socket[kSecure] = { base: r, out, sig: s };
  return out;
}
