/**
 * The truth verdict (docs/verdict.md): does what a client says (its
 * User-Agent) fit what pof sees of it (TCP SYN, TLS ClientHello, HTTP
 * header layout)? A pure function of the layers' evidence.
 *
 * Comparisons, each agreeing or disagreeing, strong or weak:
 *   ua-os:tcp       the UA's OS against the SYN's OS families (merge-aware:
 *                   "macOS or iOS" agrees with both). Strong, but weak for
 *                   a fuzzy match (p0f's own mark of doubt: the TTL or
 *                   other fields did not fit; a generic signature is a
 *                   family's catch-all and names the family as surely),
 *                   and weak for a Linux claim over an Android SYN
 *                   (Android's "desktop site" sends a desktop-Linux UA).
 *   ua-browser:tcp  a browser's claim over a userland tool's SYN (Nmap,
 *                   ZMap, masscan ...): strong.
 *   ua-browser:tls  the UA's browser against the hello's TLS family: strong
 *                   for browsers, which are bound to their stack; libraries
 *                   only ever agree.
 *   ua-os:tls       the UA's OS against the OS a TLS family is tied to
 *                   (SChannel, Apple's stack, Conscrypt): strong.
 *   ua-browser:http the header layout is a known application's but the UA
 *                   does not carry its name (p0f's dishonest): weak, header
 *                   order is easy to disturb.
 *   ua-os:http      the UA's OS against the OSes the matched application
 *                   runs on: weak.
 *   tls-os:tcp      the TLS family's OS against the SYN's (also without a
 *                   request): strength as ua-os:tcp.
 *
 * mismatch: one strong disagreement, or weak ones from two layers.
 * consistent: something agrees and nothing disagrees.
 * unknown: nothing could be compared, or one weak disagreement alone.
 *
 * A request through a proxy (Via, X-Forwarded-For, Forwarded) leaves TCP
 * and TLS out: they describe the proxy. A UA that names a bot or a
 * scanner, or is a fixed OS probe string, makes no claim about the
 * browser, and bots none about the OS either.
 */
import { osAgrees, type OsFamily } from '../../db/families.js';
import { TLS_FAMILY_OS } from '../../db/tls-types.js';
import { tlsExpectation } from './expect.js';
import { REASONS, type Check, type Reason, type Skip, type Strength, type Verdict, type VerdictInput } from './types.js';

function list(f: readonly OsFamily[]): string {
  return f.join(' or ');
}

function layerOf(r: Reason): string {
  return r.slice(r.indexOf(':') + 1);
}

/** The verdict for one request (or, with `ua` and `http` null, one connection). Never throws. */
export function verdictOf(input: VerdictInput): Verdict {
  const checks: Check[] = [];
  const skipped: Skip[] = [];
  const add = (pair: Reason, agree: boolean, strength: Strength, why: string): void => {
    checks.push({ pair, outcome: agree ? 'agree' : 'disagree', strength, why });
  };
  const { ua, tcp, tls, http } = input ?? ({} as VerdictInput);

  // What the User-Agent claims.
  let uaOs: readonly OsFamily[] | null = null;
  let browserClaim = false;
  if (!ua) skipped.push({ layer: 'ua', why: 'absent' });
  else if (ua.client && (ua.client.kind === 'bot' || ua.client.kind === 'scanner')) skipped.push({ layer: 'ua', why: 'not-a-claim' });
  else {
    if (ua.os) uaOs = ua.probe && !ua.os.families.includes(ua.probe.os) ? [...ua.os.families, ua.probe.os] : ua.os.families;
    browserClaim = ua.client !== null && ua.probe === null;
    if (!uaOs && !browserClaim) skipped.push({ layer: 'ua', why: ua.probe ? 'not-a-claim' : 'no-claim' });
  }
  const expect = browserClaim && ua ? tlsExpectation(ua) : null;
  const proxied = http?.proxied === true;

  // TCP.
  const tcpFamilies = tcp && !tcp.userland && !proxied ? tcp.families : [];
  const tcpStrength: Strength = tcp?.fuzzy ? 'weak' : 'strong';
  if (!tcp) skipped.push({ layer: 'tcp', why: 'absent' });
  else if (proxied) skipped.push({ layer: 'tcp', why: 'proxied' });
  else if (tcp.userland) {
    if (expect?.binding) add('ua-browser:tcp', false, 'strong', `${expect.claim} claimed, the SYN is ${tcp.label}'s (a userland tool)`);
    else skipped.push({ layer: 'tcp', why: 'unidentified' });
  } else if (tcp.families.length === 0) skipped.push({ layer: 'tcp', why: 'unidentified' });
  else if (uaOs) {
    const agree = osAgrees(uaOs, tcp.families);
    // Android's "desktop site" mode sends a desktop-Linux agent.
    const kin = !agree && uaOs.includes('linux') && tcp.families.includes('android');
    add('ua-os:tcp', agree, kin ? 'weak' : tcpStrength, `the UA names ${list(uaOs)}, the SYN is ${tcp.label} (${list(tcp.families)}${tcp.generic ? ', generic' : ''}${tcp.fuzzy ? ', fuzzy' : ''})`);
  }

  // TLS.
  if (!tls) skipped.push({ layer: 'tls', why: 'absent' });
  else if (proxied) skipped.push({ layer: 'tls', why: 'proxied' });
  else if (tls.kind === 'unknown') skipped.push({ layer: 'tls', why: 'unidentified' });
  else {
    const fam = tls.family;
    if (expect) {
      const agree = expect.families.includes(fam);
      if (agree || expect.binding) add('ua-browser:tls', agree, 'strong', `the UA names ${expect.claim}, the hello is ${tls.name} (${fam})`);
    }
    const tied = TLS_FAMILY_OS[fam];
    if (tied && uaOs) add('ua-os:tls', osAgrees(uaOs, tied), 'strong', `the UA names ${list(uaOs)}, ${tls.name} runs on ${list(tied)} only`);
    if (tied && tcpFamilies.length > 0) add('tls-os:tcp', osAgrees(tied, tcpFamilies), tcpStrength, `${tls.name} runs on ${list(tied)} only, the SYN is ${tcp!.label}`);
  }

  // HTTP.
  if (!http) skipped.push({ layer: 'http', why: 'absent' });
  else if (http.app === null) skipped.push({ layer: 'http', why: 'unidentified' });
  else {
    if (browserClaim) add('ua-browser:http', !http.dishonest, 'weak', http.dishonest ? `the headers are laid out as ${http.app} sends them, the UA does not say ${http.app}` : `the headers are laid out as ${http.app} sends them`);
    if (uaOs && http.appFamilies && http.appFamilies.length > 0) add('ua-os:http', osAgrees(uaOs, http.appFamilies), 'weak', `the UA names ${list(uaOs)}, ${http.app} runs on ${list(http.appFamilies)}`);
  }

  const dis = checks.filter((c) => c.outcome === 'disagree');
  const strong = dis.some((c) => c.strength === 'strong');
  const weakLayers = new Set(dis.filter((c) => c.strength === 'weak').map((c) => layerOf(c.pair)));
  const reasons = REASONS.filter((r) => dis.some((c) => c.pair === r));
  let v: Verdict['verdict'];
  if (strong || weakLayers.size >= 2) v = 'mismatch';
  else if (dis.length === 0 && checks.length > 0) v = 'consistent';
  else v = 'unknown';
  return { verdict: v, reasons, checks, skipped };
}
