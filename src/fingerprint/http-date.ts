/**
 * HTTP 'Date' values as p0f reads them (the C library's strptime with
 * p0f's format), for the NAT check that compares two responses' dates.
 * Pure.
 */

/** 'Date' drift tolerated between two responses, seconds (p0f HTTP_MAX_DATE_DIFF). */
export const HTTP_MAX_DATE_DIFF = 10;

const DAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];
const MONTHS = ['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december'];

function isSpace(c: string): boolean {
  return c === ' ' || c === '\t' || c === '\n' || c === '\v' || c === '\f' || c === '\r';
}

/** Longest full or 3-letter name matching at i (case-insensitive): [index, end] or null. */
function matchName(s: string, i: number, names: readonly string[]): [number, number] | null {
  const low = s.slice(i, i + 9).toLowerCase();
  let best: [number, number] | null = null;
  names.forEach((n, k) => {
    for (const cand of [n, n.slice(0, 3)]) {
      if (low.startsWith(cand) && (!best || i + cand.length > best[1])) best = [k, i + cand.length];
    }
  });
  return best;
}

/** A C-library style number: skips spaces, up to `digits` digits, in [lo, hi]. */
function readNumber(s: string, i: number, lo: number, hi: number, digits: number): [number, number] | null {
  while (isSpace(s.charAt(i))) i++;
  const d = (k: number): boolean => s.charAt(k) >= '0' && s.charAt(k) <= '9';
  if (!d(i)) return null;
  let v = 0;
  let n = digits;
  do {
    v = v * 10 + (s.charCodeAt(i++) - 48);
  } while (--n > 0 && v * 10 <= hi && d(i));
  return v < lo || v > hi ? null : [v, i];
}

/**
 * Reads "Wkd, DD Mon YYYY HH:MM:SS ZONE" as the C library's strptime does
 * with p0f's format (leading spaces before numbers allowed, names in
 * either case, full or short, the zone skipped and ignored) and returns
 * Unix seconds as p0f's unsigned 32-bit field holds them; 0 when the text
 * does not parse. The time is taken as UTC: p0f only compares two dates
 * converted the same way.
 */
export function parseHttpDate(s: string): number {
  let i = 0;
  const wd = matchName(s, i, DAYS);
  if (!wd) return 0;
  i = wd[1];
  if (s.charAt(i) !== ',') return 0;
  i++;
  const skip = (): void => {
    while (isSpace(s.charAt(i))) i++;
  };
  skip();
  const day = readNumber(s, i, 1, 31, 2);
  if (!day) return 0;
  i = day[1];
  skip();
  const mon = matchName(s, i, MONTHS);
  if (!mon) return 0;
  i = mon[1];
  skip();
  const year = readNumber(s, i, 0, 9999, 4);
  if (!year) return 0;
  i = year[1];
  skip();
  const hh = readNumber(s, i, 0, 23, 2);
  if (!hh) return 0;
  i = hh[1];
  if (s.charAt(i) !== ':') return 0;
  const mm = readNumber(s, i + 1, 0, 59, 2);
  if (!mm) return 0;
  i = mm[1];
  if (s.charAt(i) !== ':') return 0;
  const ss = readNumber(s, i + 1, 0, 61, 2);
  if (!ss) return 0;
  // %Z: the zone name is skipped, whatever it is.
  const d = new Date(0);
  d.setUTCFullYear(year[0], mon[0], day[0]);
  d.setUTCHours(hh[0], mm[0], ss[0], 0);
  return Math.floor(d.getTime() / 1000) >>> 0;
}
