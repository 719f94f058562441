/**
 * Constructed lies for verdict-eval.ts: a User-Agent rewritten, at the
 * same length, to name another OS family. The first comment "(...)" of
 * the agent (where every browser, library and tool in the corpus names
 * its platform) is replaced by a platform string of the target family,
 * padded with a filler item to the old length; the result must parse
 * (fingerprint/ua.ts) as naming that family alone, else there is no lie.
 */
import type { OsFamily } from '../src/db/families.js';
import { parseUserAgent } from '../src/fingerprint/ua.js';

export type LieFamily = 'windows' | 'linux' | 'macos' | 'ios' | 'android';
export const LIE_FAMILIES: readonly LieFamily[] = ['windows', 'linux', 'macos', 'ios', 'android'];

/** Platform strings per family, longest first. */
const PLATFORMS: Record<LieFamily, readonly string[]> = {
  windows: ['Windows NT 10.0; Win64; x64', 'Windows NT 10.0; Win64', 'Windows NT 10.0', 'Windows NT 6.1', 'Windows'],
  linux: ['X11; Ubuntu; Linux x86_64', 'X11; Linux x86_64', 'X11; Linux i686', 'X11; Linux', 'Linux'],
  macos: ['Macintosh; Intel Mac OS X 10_15_7', 'Macintosh; Intel Mac OS X', 'Macintosh'],
  ios: ['iPhone; CPU iPhone OS 17_5 like Mac OS X', 'iPhone; CPU iPhone OS 17_5', 'iPhone OS 17_5', 'iPhone'],
  android: ['Linux; Android 14; Pixel 8', 'Linux; Android 10; K', 'Linux; Android 10', 'Android 10', 'Android'],
};

function fill(platform: string, len: number): string | null {
  const pad = len - platform.length;
  if (pad < 0) return null;
  if (pad === 0) return platform;
  if (pad === 1) return platform + ' ';
  return platform + ';' + ' '.repeat(1) + 'x'.repeat(pad - 2);
}

/** The agent rewritten to name `to`, the same length, or null when no such rewrite parses as `to` alone. */
export function lieUa(ua: string, to: LieFamily): string | null {
  const open = ua.indexOf('(');
  const close = open < 0 ? -1 : ua.indexOf(')', open);
  // An agent without a comment (Microsoft BITS/7.0, netflix-ios-app) is
  // replaced whole by a browser-like one, or a bare comment, of its length.
  const shapes: Array<[string, number, string]> =
    close >= 0
      ? [[ua.slice(0, open + 1), close - open - 1, ua.slice(close)]]
      : [
          ['Mozilla/5.0 (', ua.length - 14, ')'],
          ['(', ua.length - 2, ')'],
        ];
  for (const [head, len, tail] of shapes) {
    for (const p of PLATFORMS[to]) {
      const inner = fill(p, len);
      if (inner === null) continue;
      const lie = head + inner + tail;
      const os = parseUserAgent(lie).os;
      if (os && os.families.length === 1 && (os.families[0] as OsFamily) === to && lie.length === ua.length) return lie;
    }
  }
  return null;
}
