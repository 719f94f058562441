/**
 * p0f.fp reader with p0f 3.09b's semantics (readfp.c): what p0f refuses is
 * an error here, at the same line. Unlike p0f, reading does not stop at the
 * first problem: each one becomes a Diagnostic and the reader carries on
 * with the next line, in a state chosen to avoid follow-on noise.
 *
 * Lines: split at '\n' only; leading blanks (space, tab) are ignored;
 * blank lines and lines starting with ';' are comments ('#' is not a
 * comment in p0f). Text after a NUL byte is ignored, as p0f does.
 *
 * Sections: [mtu], [tcp:request], [tcp:response], [http:request],
 * [http:response], written exactly so (nothing else on the line). p0f
 * 3.09b rejects any other module name (e.g. [ssl:request]), so does this;
 * the lines of a rejected section are skipped up to the next header.
 *
 * Order: `classes` only before the first section; `ua_os` only at the
 * start of [http:request] (before its first label); `label` then `sig`
 * lines; a label with class '!' needs exactly one `sys` line before its
 * first sig, and `sys` is refused anywhere else.
 */
import { shown } from './chars.js';
import { httpCoveredBy, parseHttpSigBody } from './http-sig.js';
import { NameTable, parseClasses, parseLabel, parseMtu, parseSys, parseUaOs, type LabelValue } from './label.js';
import { parseTcpSigBody, tcpCoveredBy, type FieldProblem } from './tcp-sig.js';
import type { Diagnostic, HttpSignature, Label, ParseResult, SignatureDb, TcpSignature } from './types.js';

type Module =
  | { kind: 'mtu' }
  | { kind: 'tcp'; toSrv: boolean }
  | { kind: 'http'; toSrv: boolean };

/** Where the reader is, as p0f's CF_NEED_* states, plus 'skip' after a refused section header. */
type State = 'sect' | 'label' | 'sys' | 'sig' | 'skip';

const STATEMENT = /^([A-Za-z_]*)[ \t]*=[ \t]*/;

class Reader {
  readonly errors: Diagnostic[] = [];
  readonly warnings: Diagnostic[] = [];
  readonly db: SignatureDb;
  private readonly names = new NameTable();
  private state: State = 'sect';
  private module: Module | null = null;
  private label: Label | null = null;
  private mtuName = '';
  private labelId = 0;
  private line = 0;

  constructor(private readonly file: string) {
    this.db = {
      file,
      classes: [],
      labels: [],
      mtu: [],
      tcpRequest: [],
      tcpResponse: [],
      httpRequest: [],
      httpResponse: [],
      uaOs: [],
      sigCount: 0,
    };
  }

  private error(field: string, message: string): void {
    this.errors.push({ file: this.file, line: this.line, field, message });
  }

  private report(p: FieldProblem): void {
    this.error(p.field, p.message);
  }

  warn(field: string, message: string, line = this.line): void {
    this.warnings.push({ file: this.file, line, field, message });
  }

  readLine(raw: string, lineNo: number): void {
    this.line = lineNo;
    let k = 0;
    while (raw.charAt(k) === ' ' || raw.charAt(k) === '\t') k++;
    const line = raw.slice(k);
    if (line === '' || line.startsWith(';')) return;
    if (line.startsWith('[')) {
      this.section(line);
      return;
    }
    if (this.state === 'skip') return;

    const m = STATEMENT.exec(line);
    if (!m || m[1] === '') {
      const hint = line.startsWith('#') ? " (comments start with ';' in p0f.fp)" : '';
      this.error('statement', `expected 'name = value', '[section]' or a '; comment', found ${shown(line)}${hint}`);
      return;
    }
    const name = m[1]!;
    const value = line.slice(m[0].length);
    switch (name) {
      case 'classes':
        return this.classes(value);
      case 'ua_os':
        return this.uaOs(value);
      case 'label':
        return this.labelLine(value);
      case 'sys':
        return this.sys(value);
      case 'sig':
        return this.sig(value);
      default:
        this.error('statement', `unknown field '${name}' (expected classes, label, sys, sig or ua_os)`);
    }
  }

  private section(line: string): void {
    const body = line.slice(1);
    if (body === 'mtu]') {
      this.module = { kind: 'mtu' };
      this.state = 'label';
      return;
    }
    this.state = 'skip';
    this.module = null;
    const colon = body.indexOf(':');
    if (colon < 0) {
      this.error('section', `section header must be [mtu] or [module:direction], not ${shown(line, 40)}`);
      return;
    }
    const mod = body.slice(0, colon);
    const dir = body.slice(colon + 1);
    if (mod !== 'tcp' && mod !== 'http') {
      this.error('section', `unknown module '${mod}' (p0f 3.09b has tcp, http and mtu); section skipped`);
      return;
    }
    if (dir !== 'request]' && dir !== 'response]') {
      this.error('section', `direction must be 'request' or 'response' with ']' ending the line, not ${shown(dir)}`);
      return;
    }
    this.module = { kind: mod, toSrv: dir === 'request]' };
    this.state = 'label';
  }

  private classes(value: string): void {
    const r = parseClasses(value);
    this.db.classes.push(...r.classes);
    if (this.state !== 'sect') this.error('classes', "'classes' must come before the first section");
    else if (r.problem) this.report(r.problem);
  }

  private uaOs(value: string): void {
    const m = this.module;
    if (this.state !== 'label' || !m || m.kind !== 'http' || !m.toSrv) {
      this.error('ua_os', "'ua_os' belongs at the start of [http:request], before its first label");
      return;
    }
    const r = parseUaOs(value, this.names);
    if (r.ok) this.db.uaOs.push(...r.value);
    else this.report(r.problem);
  }

  private labelLine(value: string): void {
    if (this.state === 'sect') {
      this.error('label', "'label' before the first section");
      return;
    }
    if (this.state === 'sys') {
      // Report the missing sys, then read this label as if it had been there.
      this.error('sys', `application label at line ${this.label?.line ?? '?'} needs a 'sys =' line before the next label`);
    }
    const m = this.module!;
    if (m.kind === 'mtu') {
      this.state = 'sig';
      this.mtuName = value;
      if (value === '') this.error('label', 'empty MTU label (the link type name)');
      return;
    }
    const r = parseLabel(value, this.db.classes, this.names);
    let v: LabelValue;
    if (r.ok) {
      v = r.value;
      this.labelId++;
    } else {
      this.report(r.problem);
      // Stand-in so the signatures below are still checked.
      v = { generic: value.startsWith('g'), cls: /^.:!:/.test(value) ? null : '?', name: '?', flavor: null };
    }
    const label: Label = { id: this.labelId, line: this.line, generic: v.generic, cls: v.cls, name: v.name, flavor: v.flavor, sys: [] };
    this.label = label;
    if (r.ok) this.db.labels.push(label);
    this.state = r.ok && v.cls === null ? 'sys' : 'sig';
  }

  private sys(value: string): void {
    if (this.state !== 'sys') {
      const why =
        this.state === 'sig' && this.label && this.label.cls !== null && this.module?.kind !== 'mtu'
          ? "'sys' is only for application labels (class '!'), right after the label"
          : "'sys' must come right after an application label (class '!'), once";
      this.error('sys', why);
      return;
    }
    this.state = 'sig';
    const r = parseSys(value, this.db.classes, this.names);
    if (r.ok) this.label!.sys = r.value;
    else this.report(r.problem);
  }

  private sig(value: string): void {
    if (this.state === 'sect') {
      this.error('sig', "'sig' before the first section");
      return;
    }
    if (this.state === 'label') {
      this.error('sig', "'sig' needs a 'label' line before it in this section");
      return;
    }
    if (this.state === 'sys') {
      this.error('sys', `application label at line ${this.label?.line ?? '?'} needs a 'sys =' line before its signatures`);
      this.state = 'sig';
    }
    const m = this.module!;
    switch (m.kind) {
      case 'mtu': {
        const r = parseMtu(value);
        if (!r.ok) return this.report(r.problem);
        this.db.mtu.push({ line: this.line, name: this.mtuName, mtu: r.value });
        break;
      }
      case 'tcp': {
        const r = parseTcpSigBody(value);
        if (!r.ok) return this.report(r.problem);
        const sig: TcpSignature = { line: this.line, label: this.label!, text: value, ...r.sig };
        const list = m.toSrv ? this.db.tcpRequest : this.db.tcpResponse;
        const ref = tcpCoveredBy(list, sig);
        if (ref) return this.covered(ref);
        for (const w of r.warnings) this.warn(w.field, w.message);
        list.push(sig);
        break;
      }
      case 'http': {
        const r = parseHttpSigBody(value);
        if (!r.ok) return this.report(r.problem);
        const sig: HttpSignature = { line: this.line, label: this.label!, text: value, ...r.sig };
        const list = m.toSrv ? this.db.httpRequest : this.db.httpResponse;
        const ref = httpCoveredBy(list, sig);
        if (ref) return this.covered(ref);
        list.push(sig);
        break;
      }
      default: {
        const never: never = m;
        return never;
      }
    }
    this.db.sigCount++;
  }

  private covered(ref: { line: number; label: Label }): void {
    const l = ref.label;
    const who = `${l.generic ? 'g' : 's'}:${l.cls ?? '!'}:${l.name}${l.flavor ? ':' + l.flavor : ''}`;
    this.error('sig', `signature is already covered by line ${ref.line} (${who}); p0f refuses it`);
  }
}

/** Reads p0f.fp text. Never throws: problems come back as diagnostics. */
export function parseSignatures(text: string, file: string): ParseResult {
  const r = new Reader(file);
  const nul = text.indexOf('\0');
  const lines = (nul < 0 ? text : text.slice(0, nul)).split('\n');
  for (let i = 0; i < lines.length; i++) r.readLine(lines[i]!, i + 1);
  if (nul >= 0) r.warn('file', 'NUL byte: p0f ignores the rest of the file, and so does pof', lines.length);
  if (r.db.sigCount === 0 && r.errors.length === 0) r.warn('file', 'no signatures found', 1);
  if (r.errors.length) return { ok: false, diagnostics: r.errors };
  return { ok: true, db: r.db, warnings: r.warnings };
}
