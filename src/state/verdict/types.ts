/**
 * The truth verdict's vocabulary (docs/verdict.md): what each layer hands
 * in, the comparisons made, and the answer.
 *
 * Layers: the User-Agent (a claim: an OS and a client), and three that pof
 * observes: the TCP SYN's OS label, the TLS ClientHello's client family
 * and the HTTP request's header-layout signature. A reason names what
 * disagrees: the UA's OS or browser claim (or the TLS family's OS) against
 * one observed layer.
 */
import type { OsFamily } from '../../db/families.js';
import type { TlsLabel } from '../../db/tls-types.js';
import type { UserAgentInfo } from '../../fingerprint/ua.js';

export type VerdictKind = 'consistent' | 'mismatch' | 'unknown';

/**
 * `CLAIM:LAYER`. ua-os: the OS the User-Agent names; ua-browser: the
 * browser (or library) it names; tls-os: the OS that the TLS family ties
 * the client to (SChannel: Windows; Apple's stack: macOS or iOS; Conscrypt:
 * Android). LAYER is the observation that contradicts it.
 */
export type Reason =
  | 'ua-os:tcp'
  | 'ua-os:tls'
  | 'ua-os:http'
  | 'ua-browser:tcp'
  | 'ua-browser:tls'
  | 'ua-browser:http'
  | 'tls-os:tcp';

/** The order reasons are listed in (strongest evidence first). */
export const REASONS: readonly Reason[] = ['ua-os:tcp', 'ua-browser:tls', 'ua-os:tls', 'ua-browser:http', 'ua-browser:tcp', 'ua-os:http', 'tls-os:tcp'];

/** How much a comparison's outcome is worth: one strong disagreement is a mismatch, a weak one needs another. */
export type Strength = 'strong' | 'weak';

export interface Check {
  /** The pair compared, named as its disagreement would be. */
  pair: Reason;
  outcome: 'agree' | 'disagree';
  strength: Strength;
  /** One line for people: what each side said. */
  why: string;
}

/** Why a layer took no part. */
export type SkipReason =
  /** Nothing was seen: no SYN, no hello, no request, no User-Agent. */
  | 'absent'
  /** Seen but not identified: no signature matched, an unknown hello. */
  | 'unidentified'
  /** The request came through a proxy (Via, X-Forwarded-For, Forwarded): TCP and TLS describe the proxy. */
  | 'proxied'
  /** The User-Agent names a bot or scanner, or a fixed probe string: not a claim about this machine. */
  | 'not-a-claim'
  /** The User-Agent names no OS, or no client pof can compare. */
  | 'no-claim';

export interface Skip {
  layer: 'ua' | 'tcp' | 'tls' | 'http';
  why: SkipReason;
}

/** The TCP layer: the client SYN's label. */
export interface TcpEvidence {
  /** "Name flavor" as shown. */
  label: string;
  /** The label's OS families (db/families.ts familiesOf); empty for userland tools. */
  families: readonly OsFamily[];
  /** A userland tool's label (class '!': Nmap, ZMap, masscan ...). */
  userland: boolean;
  /** Matched a generic ('g') signature. */
  generic: boolean;
  /** Matched only with p0f's fuzzy rules (TTL or other slack). */
  fuzzy: boolean;
}

/** The HTTP layer: the request's signature match. */
export interface HttpEvidence {
  /** The [http:request] application matched ("Chrome 90 or newer"), or null. */
  app: string | null;
  /** The OS families the application runs on, when its `sys` list names only OSes; null when open (@unix, @win) or unknown. */
  appFamilies: readonly OsFamily[] | null;
  /** p0f's dishonest flag: the header layout is the app's but the User-Agent does not say so. */
  dishonest: boolean;
  /** The request carries Via, X-Forwarded-For or Forwarded. */
  proxied: boolean;
}

export interface VerdictInput {
  /** The parsed User-Agent of the request, or null when there is none (a connection without a request). */
  ua: UserAgentInfo | null;
  /** The client SYN's label, or null when no SYN was seen or none matched. */
  tcp: TcpEvidence | null;
  /** The ClientHello's label, or null when the connection had no TLS. */
  tls: TlsLabel | null;
  /** The request's HTTP signature, or null without a request. */
  http: HttpEvidence | null;
}

export interface Verdict {
  verdict: VerdictKind;
  /** The disagreements, in REASONS order (on a consistent or unknown verdict: weak ones that were not enough). */
  reasons: Reason[];
  /** Every comparison made. */
  checks: Check[];
  /** Layers that took no part, and why. */
  skipped: Skip[];
}
