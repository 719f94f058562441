/**
 * A strict reader of the Prometheus text exposition format (version
 * 0.0.4), written for the tests from the format's description: HELP and
 * TYPE lines, samples `name{label="value",...} value`, escapes in label
 * values (\\ \" \n) and in HELP (\\ \n), values as Go floats (+Inf, -Inf,
 * NaN). Throws with the line number on anything it does not accept, and
 * checks what scrapers rely on: one TYPE per family, given before its
 * samples, no sample outside a declared family, no series twice, and
 * histograms whose buckets grow to +Inf = _count.
 */

export type PromType = 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';

export interface PromSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface PromFamily {
  name: string;
  type: PromType;
  help: string | null;
  samples: PromSample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/**
 * Prometheus reads values with Go's strconv.ParseFloat, whose special
 * values are case-insensitive ("NaN", "nan", "+Inf", "inf", "Infinity"):
 * prom-client writes NaN as "Nan", which Prometheus takes.
 */
function parseValue(t: string, line: number): number {
  const l = t.toLowerCase();
  if (l === '+inf' || l === 'inf' || l === '+infinity' || l === 'infinity') return Infinity;
  if (l === '-inf' || l === '-infinity') return -Infinity;
  if (l === 'nan') return NaN;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(t)) throw new Error(`line ${line}: bad value "${t}"`);
  return Number(t);
}

/** Reads `{a="x",b="y"}` from s at i (at the "{"); returns the labels and the index after "}". */
function parseLabels(s: string, i: number, line: number): { labels: Record<string, string>; end: number } {
  const labels: Record<string, string> = {};
  i++;
  while (true) {
    if (s[i] === '}') return { labels, end: i + 1 };
    const eq = s.indexOf('=', i);
    if (eq === -1) throw new Error(`line ${line}: label without "="`);
    const name = s.slice(i, eq);
    if (!LABEL.test(name)) throw new Error(`line ${line}: bad label name "${name}"`);
    if (name in labels) throw new Error(`line ${line}: label ${name} twice`);
    if (s[eq + 1] !== '"') throw new Error(`line ${line}: label value not quoted`);
    let v = '';
    let j = eq + 2;
    for (;;) {
      const c = s[j];
      if (c === undefined) throw new Error(`line ${line}: unterminated label value`);
      if (c === '"') break;
      if (c === '\\') {
        const n = s[j + 1];
        if (n === '\\') v += '\\';
        else if (n === '"') v += '"';
        else if (n === 'n') v += '\n';
        else throw new Error(`line ${line}: bad escape \\${n}`);
        j += 2;
        continue;
      }
      v += c;
      j++;
    }
    labels[name] = v;
    i = j + 1;
    if (s[i] === ',') i++;
    else if (s[i] !== '}') throw new Error(`line ${line}: expected , or } after a label`);
  }
}

/** The family a sample name belongs to, given the declared types. */
function familyOf(name: string, types: Map<string, PromType>): string | null {
  if (types.has(name)) return name;
  for (const suffix of ['_bucket', '_sum', '_count']) {
    if (!name.endsWith(suffix)) continue;
    const base = name.slice(0, -suffix.length);
    const t = types.get(base);
    if (t === 'histogram' || (t === 'summary' && suffix !== '_bucket')) return base;
  }
  return null;
}

export function parsePromText(text: string): Map<string, PromFamily> {
  if (!text.endsWith('\n')) throw new Error('the exposition must end with a newline');
  const fams = new Map<string, PromFamily>();
  const types = new Map<string, PromType>();
  const seen = new Set<string>();
  const lines = text.split('\n');
  lines.pop();
  lines.forEach((raw, idx) => {
    const line = idx + 1;
    if (raw === '') return;
    if (raw.startsWith('#')) {
      const m = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(raw);
      if (!m) return; // a comment
      const [, kind, name, rest] = m as unknown as [string, string, string, string];
      if (!NAME.test(name)) throw new Error(`line ${line}: bad metric name "${name}"`);
      let f = fams.get(name);
      if (!f) fams.set(name, (f = { name, type: 'untyped', help: null, samples: [] }));
      if (kind === 'TYPE') {
        if (types.has(name)) throw new Error(`line ${line}: second TYPE for ${name}`);
        if (f.samples.length) throw new Error(`line ${line}: TYPE of ${name} after its samples`);
        if (!['counter', 'gauge', 'histogram', 'summary', 'untyped'].includes(rest)) throw new Error(`line ${line}: bad type "${rest}"`);
        types.set(name, rest as PromType);
        f.type = rest as PromType;
      } else {
        if (f.help !== null) throw new Error(`line ${line}: second HELP for ${name}`);
        if (/\\[^\\n]/.test(rest.replace(/\\\\/g, ''))) throw new Error(`line ${line}: bad escape in HELP`);
        f.help = rest.replace(/\\n/g, '\n').replace(/\\\\/g, '\\');
      }
      return;
    }
    const nm = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(raw);
    if (!nm) throw new Error(`line ${line}: no metric name: ${raw.slice(0, 60)}`);
    const name = nm[0];
    let i = name.length;
    let labels: Record<string, string> = {};
    if (raw[i] === '{') {
      const l = parseLabels(raw, i, line);
      labels = l.labels;
      i = l.end;
    }
    if (raw[i] !== ' ') throw new Error(`line ${line}: expected a space before the value`);
    const parts = raw.slice(i + 1).split(' ');
    if (parts.length > 2 || (parts.length === 2 && !/^-?\d+$/.test(parts[1]!))) throw new Error(`line ${line}: trailing text`);
    const value = parseValue(parts[0]!, line);
    const fam = familyOf(name, types);
    if (!fam) throw new Error(`line ${line}: sample ${name} outside any declared family`);
    const series = `${name}{${Object.keys(labels).sort().map((k) => `${k}=${JSON.stringify(labels[k])}`).join(',')}}`;
    if (seen.has(series)) throw new Error(`line ${line}: series ${series} twice`);
    seen.add(series);
    fams.get(fam)!.samples.push({ name, labels, value });
  });
  for (const f of fams.values()) if (f.type === 'histogram') checkHistogram(f);
  return fams;
}

function checkHistogram(f: PromFamily): void {
  const groups = new Map<string, { buckets: Array<[number, number]>; sum?: number; count?: number }>();
  for (const s of f.samples) {
    const { le, ...rest } = s.labels;
    const key = JSON.stringify(Object.entries(rest).sort());
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { buckets: [] }));
    if (s.name === `${f.name}_bucket`) {
      if (le === undefined) throw new Error(`${f.name}: a bucket without le`);
      g.buckets.push([parseValue(le, 0), s.value]);
    } else if (s.name === `${f.name}_sum`) g.sum = s.value;
    else if (s.name === `${f.name}_count`) g.count = s.value;
    else throw new Error(`${f.name}: sample ${s.name} in a histogram`);
  }
  for (const [k, g] of groups) {
    if (g.sum === undefined || g.count === undefined) throw new Error(`${f.name}${k}: no _sum or _count`);
    const b = g.buckets.sort((x, y) => x[0] - y[0]);
    if (!b.length || b[b.length - 1]![0] !== Infinity) throw new Error(`${f.name}${k}: no +Inf bucket`);
    for (let i = 1; i < b.length; i++) if (b[i]![1] < b[i - 1]![1]) throw new Error(`${f.name}${k}: buckets not cumulative`);
    if (b[b.length - 1]![1] !== g.count) throw new Error(`${f.name}${k}: +Inf bucket ${b[b.length - 1]![1]} != count ${g.count}`);
  }
}

/** The value of one series (labels matched exactly), or undefined. */
export function sample(f: Map<string, PromFamily>, name: string, labels: Record<string, string> = {}): number | undefined {
  const fam = f.get(name) ?? [...f.values()].find((x) => x.samples.some((s) => s.name === name));
  const want = JSON.stringify(Object.entries(labels).sort());
  return fam?.samples.find((s) => s.name === name && JSON.stringify(Object.entries(s.labels).sort()) === want)?.value;
}
