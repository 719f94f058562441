/**
 * A User-Agent split into its parts, in one pass over at most
 * UA_SCAN_LIMIT characters: product tokens ("Chrome/120.0.0.0") and the
 * items of parenthesised comments ("Windows NT 10.0", "Win64"), as RFC 9110
 * section 10.1.5 lays them out. No regular expressions; the work is linear
 * in the (capped) length and the output is capped too, so hostile input
 * costs no more than a long honest one.
 */

/** Characters of a User-Agent that are read; the rest is ignored. */
export const UA_SCAN_LIMIT = 1024;
/** Most product tokens and most comment items kept. */
export const UA_MAX_PRODUCTS = 32;
export const UA_MAX_ITEMS = 64;
/** Longest token or comment item kept (longer ones are cut). */
export const UA_MAX_PART = 128;

export interface UaProduct {
  name: string;
  /** Lower-cased name, for lookups. */
  lname: string;
  version: string | null;
}

export interface UaItem {
  text: string;
  /** Lower-cased, single spaces. */
  ltext: string;
}

export interface UaScan {
  products: UaProduct[];
  items: UaItem[];
  /** The string was longer than UA_SCAN_LIMIT. */
  truncated: boolean;
}

/** Trimmed of blanks and of the parentheses of nested or unclosed comments, and cut to UA_MAX_PART. */
function clean(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && ' \t()'.includes(s.charAt(a))) a++;
  while (b > a && ' \t()'.includes(s.charAt(b - 1))) b--;
  let t = s.slice(a, b);
  if (t.length > UA_MAX_PART) t = t.slice(0, UA_MAX_PART);
  return t;
}

/** Lower case with runs of blanks as one space. */
function lower(s: string): string {
  const t = s.toLowerCase();
  return t.includes('\t') || t.includes('  ') ? t.replace(/[\t ]+/g, ' ') : t;
}

const SPACE = 0x20;
const TAB = 0x09;
const OPEN = 0x28;
const CLOSE = 0x29;
const SEMI = 0x3b;

export function scanUserAgent(ua: string): UaScan {
  const truncated = ua.length > UA_SCAN_LIMIT;
  const s = truncated ? ua.slice(0, UA_SCAN_LIMIT) : ua;
  const products: UaProduct[] = [];
  const items: UaItem[] = [];
  const pushItem = (raw: string): void => {
    const text = clean(raw);
    if (text !== '' && items.length < UA_MAX_ITEMS) items.push({ text, ltext: lower(text) });
  };
  const pushProduct = (raw: string): void => {
    const tok = clean(raw);
    if (tok === '' || products.length >= UA_MAX_PRODUCTS) return;
    const slash = tok.indexOf('/');
    const name = slash < 0 ? tok : tok.slice(0, slash);
    const version = slash < 0 ? null : tok.slice(slash + 1) || null;
    if (name !== '') products.push({ name, lname: lower(name), version });
  };

  let depth = 0;
  let start = 0;
  let i = 0;
  while (i < s.length) {
    const c = s.charCodeAt(i);
    if (depth === 0) {
      if (c === OPEN) {
        depth = 1;
        start = i + 1;
        i++;
        continue;
      }
      if (c === SPACE || c === TAB || c === CLOSE) {
        i++;
        continue;
      }
      let j = i + 1;
      while (j < s.length) {
        const d = s.charCodeAt(j);
        if (d === SPACE || d === TAB || d === OPEN || d === CLOSE) break;
        j++;
      }
      pushProduct(s.slice(i, j));
      i = j;
      continue;
    }
    // Inside a comment: items end at ';' (at any depth) or at the closing
    // parenthesis; nested parentheses stay part of their item.
    if (c === OPEN) depth++;
    else if (c === CLOSE) {
      depth--;
      if (depth === 0) {
        pushItem(s.slice(start, i));
        start = i + 1;
      }
    } else if (c === SEMI) {
      pushItem(s.slice(start, i));
      start = i + 1;
    }
    i++;
  }
  if (depth > 0) pushItem(s.slice(start));
  return { products, items, truncated };
}
