/**
 * Which TLS families a User-Agent's client can send, and whether a
 * different one contradicts it.
 *
 * A browser is bound to its stack: Chromium-based browsers send
 * BoringSSL with Chromium's settings everywhere but on iOS, where Apple
 * requires WebKit and every browser (Chrome's CriOS, Firefox's FxiOS,
 * Edge's EdgiOS) uses Apple's networking; Firefox sends NSS; Safari,
 * Apple's stack; Internet Explorer and the EdgeHTML Edge, SChannel. For
 * these a known TLS family outside the list is a strong disagreement.
 *
 * Libraries and tools can be built against several stacks (curl with
 * OpenSSL, GnuTLS, LibreSSL or SChannel; OkHttp on Android or a JVM), so
 * for them the list only says what agrees; anything else is no evidence.
 * Bots and scanners are not judged.
 */
import type { TlsFamily } from '../../db/tls-types.js';
import type { UserAgentInfo } from '../../fingerprint/ua.js';

export interface TlsExpectation {
  families: readonly TlsFamily[];
  /** A browser: another known family contradicts the claim. */
  binding: boolean;
  /** What the claim is, for messages: 'Chrome', 'Firefox on iOS'. */
  claim: string;
}

const CHROMIUM: readonly TlsFamily[] = ['chromium'];
const APPLE: readonly TlsFamily[] = ['apple'];

/** The TLS families a client's User-Agent allows, or null when it allows anything (or names nothing pof can compare). */
export function tlsExpectation(ua: UserAgentInfo): TlsExpectation | null {
  const c = ua.client;
  if (!c) return null;
  const onIos = ua.os !== null && ua.os.families.length === 1 && ua.os.families[0] === 'ios';
  if (c.kind === 'browser' || c.kind === 'app' || (c.kind === 'tool' && c.engine !== null)) {
    if (onIos || c.engine === 'webkit') {
      // Every iOS browser, Safari, and WebKit apps on Apple systems. Other
      // WebKit browsers (the old Android browser) have no expectation.
      if (onIos || c.family === 'safari' || c.family === 'chrome' || c.family === 'firefox' || c.family === 'edge' || c.family === 'opera') {
        return { families: APPLE, binding: true, claim: onIos ? `${c.name} on iOS` : c.name };
      }
      return null;
    }
    switch (c.engine) {
      case 'blink':
        // UC Browser has shipped its own network stack: no expectation.
        return c.family === 'uc' ? null : { families: CHROMIUM, binding: true, claim: c.name };
      case 'gecko':
        return c.family === 'firefox' ? { families: ['firefox'], binding: true, claim: c.name } : null;
      case 'trident':
      case 'edgehtml':
        return { families: ['schannel'], binding: true, claim: c.name };
      default:
        return null;
    }
  }
  switch (c.family) {
    case 'cfnetwork':
      return { families: APPLE, binding: false, claim: c.name };
    case 'windows-http':
    case 'powershell':
      return { families: ['schannel'], binding: false, claim: c.name };
    case 'dalvik':
      return { families: ['android'], binding: false, claim: c.name };
    case 'okhttp':
      return { families: ['android', 'java'], binding: false, claim: c.name };
    case 'curl':
      return { families: ['openssl', 'gnutls', 'schannel', 'apple'], binding: false, claim: c.name };
    case 'wget':
      return { families: ['gnutls', 'openssl'], binding: false, claim: c.name };
    case 'python-requests':
    case 'python-urllib':
    case 'python-httpx':
    case 'python-aiohttp':
    case 'python':
      return { families: ['python'], binding: false, claim: c.name };
    case 'go-http-client':
      return { families: ['go'], binding: false, claim: c.name };
    case 'java':
    case 'apache-httpclient':
      return { families: ['java'], binding: false, claim: c.name };
    case 'node':
      return { families: ['node', 'openssl'], binding: false, claim: c.name };
    case 'php':
    case 'perl':
    case 'ruby':
      return { families: ['openssl'], binding: false, claim: c.name };
    default:
      return null;
  }
}
