/**
 * pof's TLS client database (signatures/tls.fp, syntax in docs/tls.md):
 * which TLS stack a ClientHello's JA4 belongs to, as the parser gives it
 * and the matcher (fingerprint/tls/label.ts) reads it.
 *
 * A TLS family is a TLS implementation as a client configures it, not a
 * product: every Chromium-based browser (Chrome, Edge, Opera, Brave,
 * Vivaldi, Electron apps, Android WebView, Cronet) sends BoringSSL with
 * Chrome's settings, so they are one family; Safari, URLSession apps and
 * every iOS browser are Apple's stack.
 */
import type { OsFamily } from './families.js';

export type TlsFamily =
  /** BoringSSL as Chromium configures it: Chrome, Edge, Opera, Brave, Vivaldi, Samsung Internet, Electron, WebView, Cronet. */
  | 'chromium'
  /** NSS as Firefox configures it (Firefox, Tor Browser's Firefox, Thunderbird). */
  | 'firefox'
  /** Apple's TLS (SecureTransport, then Network.framework): Safari, CFNetwork/URLSession apps, every browser on iOS. */
  | 'apple'
  /** Windows SChannel: Internet Explorer, legacy Edge, WinHTTP/WinINet, .NET Framework, PowerShell 5, Windows' curl.exe. */
  | 'schannel'
  /** Android's platform TLS (Conscrypt, BoringSSL inside): OkHttp, HttpsURLConnection, Dalvik apps. */
  | 'android'
  /** OpenSSL (or LibreSSL) with the library's own defaults or close to them: curl, openssl s_client, libpq, PHP, git. */
  | 'openssl'
  /** GnuTLS (Debian's wget, curl-gnutls). */
  | 'gnutls'
  /** Python's ssl module (its own cipher string over OpenSSL): urllib, requests, httpx, aiohttp. */
  | 'python'
  /** Go's crypto/tls: Go's net/http, and Go tools built on it. */
  | 'go'
  /** Java's JSSE (SunJSSE): HttpURLConnection, HttpClient, Apache HttpClient on a JVM. */
  | 'java'
  /** Node.js's tls module (its own cipher list over OpenSSL). */
  | 'node'
  /** Tor's relay links (random-looking SNI, Tor's own cipher list). */
  | 'tor';

export const TLS_FAMILIES: readonly TlsFamily[] = ['chromium', 'firefox', 'apple', 'schannel', 'android', 'openssl', 'gnutls', 'python', 'go', 'java', 'node', 'tor'];

/**
 * The OS a family can only run on, where it is tied to one: SChannel is
 * Windows', Apple's stack Apple's systems', Conscrypt Android's. The
 * others are portable and say nothing about the OS.
 */
export const TLS_FAMILY_OS: Readonly<Partial<Record<TlsFamily, readonly OsFamily[]>>> = {
  schannel: ['windows'],
  apple: ['macos', 'ios'],
  android: ['android'],
};

/** What an entry's key says about JA4's "a" part: anything, or a 10-character pattern ('?' for any character). */
export type APattern = { kind: 'any' } | { kind: 'pattern'; chars: string };

export interface TlsEntry {
  /** Line in the file. */
  line: number;
  /** The key as written, e.g. `*_8daaf6152771_e5627efa2ab1`. */
  key: string;
  a: APattern;
  /** JA4 part b: the cipher hash (12 hex digits). */
  b: string;
  /** JA4 part c: the extension and signature algorithm hash (12 hex digits). */
  c: string;
  family: TlsFamily;
  /** What users see: 'Chrome 117 to 130 (Chromium-based)'. */
  name: string;
  /** What the entry rests on: captures, flows, User-Agents, SNI, published facts. */
  evidence: string;
}

export interface TlsDb {
  file: string;
  entries: TlsEntry[];
}

/** Longest line read; a longer one is an error. */
export const TLS_DB_MAX_LINE = 4096;
/** Most entries a file may hold. */
export const TLS_DB_MAX_ENTRIES = 10000;

/** What the matcher says about one ClientHello. */
export type TlsLabel =
  | { kind: 'known'; family: TlsFamily; name: string; line: number; ja4: string }
  | { kind: 'unknown'; ja4: string };
