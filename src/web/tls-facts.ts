/**
 * What the web side learns from a connection it decrypts, kept on its
 * sockets: the ClientHello's fingerprints (on the raw TCP socket, read
 * before TLS: tls-server.ts) and the HTTP/2 start (on the TLS socket, read
 * before HTTP/2: h2-start-reader.ts). A TLS socket finds its raw socket's
 * facts through `_parent`, as Node links them; an HTTP/2 request's socket
 * (Node's proxy of the session's socket) reaches the TLS socket's.
 */
import type net from 'node:net';
import type { TlsFamily } from '../db/tls-types.js';
import type { H2Priority, H2Setting, H2Start } from '../fingerprint/h2.js';
import type { HttpSigIndex } from '../fingerprint/http-sig.js';
import type { HelloMiss } from './tls-hello-reader.js';

/** The ClientHello's fingerprints (req.pof.tls). */
export interface PofTls {
  /** JA4 (TCP), e.g. t13d3112h2_e8f1e7e78f70_b26ce05bbdd6. */
  ja4: string;
  /** JA4_r: the same lists unhashed. */
  ja4_r: string;
  /** JA3: the MD5 of ja3_full, 32 hex digits. */
  ja3: string;
  /** JA3's string, e.g. 771,4866-4867-...,0-11-10-...,29-23-30,0-1-2. */
  ja3_full: string;
  /** The server name asked for (SNI), or null. */
  sni: string | null;
  /** The ALPN protocols the client offered, in its order, or null. */
  alpn: string[] | null;
  /** The TLS client (signatures/tls.fp), e.g. 'curl 7.x or 8.x (OpenSSL 1.1.1 or 3.x)'; null when unknown. */
  client: string | null;
  /** Its family ('openssl', 'chromium', ...), or null. */
  family: TlsFamily | null;
}

/** The HTTP/2 fingerprint (req.pof.h2). */
export interface PofH2 {
  /** Akamai's form: SETTINGS|WINDOW_UPDATE|PRIORITY|pseudo-header order. */
  fingerprint: string;
  settings: H2Setting[];
  /** The first connection-level WINDOW_UPDATE increment; 0 when none. */
  windowUpdate: number;
  priorities: H2Priority[];
  /** The first request's pseudo-headers as letters, e.g. 'm,a,s,p'. */
  pseudoHeaders: string;
}

/** Why an HTTP/2 connection has no start read. */
export type H2Miss = 'not-h2' | 'no-settings' | 'bad-frame' | 'too-large' | 'timeout' | 'busy';

/** What a connection's decrypted requests are matched against. */
export interface SecureContext {
  /** The [http:request] signatures, for the decrypted requests. */
  http: HttpSigIndex;
}

/** Kept on the raw socket once its hello was read (or given up on). */
export interface HelloFacts {
  ctx: SecureContext;
  tls: PofTls | null;
  /** Why tls is null. */
  miss: HelloMiss | null;
}

/** Kept on the TLS socket of an HTTP/2 connection. */
export interface H2Facts {
  /** What came before the first request (possibly cut short: see miss). */
  start: H2Start | null;
  miss: H2Miss | null;
}

const kHello = Symbol('pof tls hello');
const kH2 = Symbol('pof h2 start');

type WithFacts = net.Socket & { [kHello]?: HelloFacts; [kH2]?: H2Facts; _parent?: WithFacts | null };

export function setHelloFacts(raw: net.Socket, f: HelloFacts): void {
  (raw as WithFacts)[kHello] = f;
}

/** The hello facts of a raw socket, a TLS socket over it or an HTTP/2 request's socket; undefined for a connection not read. */
export function helloFactsOf(socket: net.Socket | null | undefined): HelloFacts | undefined {
  const s = socket as WithFacts | null | undefined;
  if (!s) return undefined;
  return s[kHello] ?? s._parent?.[kHello];
}

export function setH2Facts(tlsSocket: net.Socket, f: H2Facts): void {
  (tlsSocket as WithFacts)[kH2] = f;
}

export function h2FactsOf(socket: net.Socket | null | undefined): H2Facts | undefined {
  return (socket as WithFacts | null | undefined)?.[kH2];
}
