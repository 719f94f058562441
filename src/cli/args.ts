/**
 * Command-line options in p0f's style: single-letter flags that may be
 * bundled (-qKU), flags with a value (-f FILE or -fFILE), long options for
 * pof's own additions, and a trailing filter expression. Both p0f 3 and the
 * p0f 2 invocations of old guides are accepted (see README for the mapping).
 */
import { PofError } from '../errors.js';

export interface FlagSpec {
  /** Letter (e.g. 'r') or long name (e.g. 'json'). */
  name: string;
  takesValue: boolean;
  help: string;
  /** Shown in --help as the value's name. */
  valueName?: string;
  /** A long option without a value that may be given one after '=' (--flag or --flag=VALUE). */
  inlineValue?: boolean;
}

export interface ParsedArgs {
  flags: Map<string, string | true>;
  /** Everything after the options: p0f's filter expression, joined with spaces. */
  rest: string[];
}

/** `command` names the help that error messages point to ('pof proxy' -> 'see pof proxy --help'). */
export function parseArgs(argv: string[], specs: readonly FlagSpec[], command = 'pof'): ParsedArgs {
  const byName = new Map(specs.map((s) => [s.name, s]));
  const flags = new Map<string, string | true>();
  const rest: string[] = [];
  let i = 0;
  const set = (spec: FlagSpec, v: string | true): void => {
    if (flags.has(spec.name) && spec.takesValue) {
      throw new PofError('E_USAGE', `option ${dash(spec.name)} given twice`);
    }
    flags.set(spec.name, v);
  };
  while (i < argv.length) {
    const a = argv[i]!;
    if (a === '--') {
      rest.push(...argv.slice(i + 1));
      break;
    }
    if (a.startsWith('--') && a.length > 2) {
      const eq = a.indexOf('=');
      const name = eq === -1 ? a.slice(2) : a.slice(2, eq);
      const spec = byName.get(name);
      if (!spec || spec.name.length === 1) throw new PofError('E_USAGE', `unknown option --${name} (see ${command} --help)`);
      if (spec.takesValue) {
        const v = eq !== -1 ? a.slice(eq + 1) : argv[++i];
        if (v === undefined) throw new PofError('E_USAGE', `option --${name} needs a value`);
        set(spec, v);
      } else {
        if (eq !== -1 && !spec.inlineValue) throw new PofError('E_USAGE', `option --${name} takes no value`);
        set(spec, eq === -1 ? true : a.slice(eq + 1));
      }
      i++;
      continue;
    }
    if (a.startsWith('-') && a.length > 1) {
      for (let j = 1; j < a.length; j++) {
        const spec = byName.get(a[j]!);
        if (!spec) throw new PofError('E_USAGE', `unknown option -${a[j]} (see ${command} --help)`);
        if (spec.takesValue) {
          const inline = a.slice(j + 1);
          const v = inline || argv[++i];
          if (v === undefined) throw new PofError('E_USAGE', `option -${spec.name} needs a value`);
          set(spec, v);
          break;
        }
        set(spec, true);
      }
      i++;
      continue;
    }
    rest.push(a);
    i++;
  }
  return { flags, rest };
}

/** The value of an option that takes one (undefined when not given). */
export function stringFlag(flags: ReadonlyMap<string, string | true>, name: string): string | undefined {
  const v = flags.get(name);
  return typeof v === 'string' ? v : undefined;
}

/** Whether -h or --help is given as an option (not as the value of another). */
export function asksHelp(argv: string[], specs: readonly FlagSpec[]): boolean {
  try {
    const { flags } = parseArgs(argv, specs);
    return flags.has('help') || flags.has('h');
  } catch {
    return argv.includes('--help') || argv.includes('-h');
  }
}

function dash(name: string): string {
  return name.length === 1 ? '-' + name : '--' + name;
}

export function helpText(specs: readonly FlagSpec[]): string {
  return specs
    .map((s) => {
      const left = `  ${dash(s.name)}${s.takesValue ? ' ' + (s.valueName ?? 'VALUE') : s.inlineValue ? `[=${s.valueName ?? 'VALUE'}]` : ''}`;
      // A flag too long for the column keeps two spaces before its help.
      return (left.length < 24 ? left.padEnd(24) : `${left}  `) + s.help;
    })
    .join('\n');
}

/** Parses "a,b" pairs of positive integers (-m c,h and -t c,h). */
export function parsePair(flag: string, v: string, caps: [number, number]): [number, number] {
  const m = /^(\d+),(\d+)$/.exec(v);
  if (!m) throw new PofError('E_USAGE', `-${flag} wants two numbers as N,N (got '${v}')`);
  const a = Number(m[1]);
  const b = Number(m[2]);
  if (!a || !b || a > caps[0] || b > caps[1]) {
    throw new PofError('E_USAGE', `-${flag} values out of range (1..${caps[0]}, 1..${caps[1]}): '${v}'`);
  }
  return [a, b];
}
