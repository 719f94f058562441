/**
 * A signature database in p0f v3's p0f.fp model, as the parser produces it.
 * Types say what each field can be; '*' wildcards are explicit variants.
 */

/** Where a problem was found in a signature file. */
export interface Diagnostic {
  file: string;
  line: number;
  /** Which part of the line: e.g. 'label', 'sys', 'ittl', 'wsize', 'olayout', 'horder', 'section'. */
  field: string;
  message: string;
}

/** A `label =` line: s/g, class (null for '!' userland tools), name, flavor. */
export interface Label {
  /** Sequential id of the label in the file (p0f's label_id). */
  id: number;
  line: number;
  generic: boolean;
  /** OS class ('win', 'unix', ...), or null for userland applications ('!'). */
  cls: string | null;
  /** Name ('Linux', 'Windows', 'NMap'); p0f compares these to detect OS changes. */
  name: string;
  /** Flavor ('2.2.x-3.x'), or null when empty. */
  flavor: string | null;
  /** For userland labels: the `sys =` list (OS names, or '@class' entries). */
  sys: SysEntry[];
}

export type SysEntry = { kind: 'name'; name: string } | { kind: 'class'; cls: string };

export type IpVersionSpec = 4 | 6 | 'any';

export type WinSpec =
  | { kind: 'any' }
  | { kind: 'value'; value: number }
  | { kind: 'mod'; value: number } // %N
  | { kind: 'mss'; mult: number } // mss*N
  | { kind: 'mtu'; mult: number }; // mtu*N

export type PayloadClass = 'any' | 'zero' | 'nonzero';

export interface TcpSignature {
  line: number;
  label: Label;
  /** Original `sig =` text, trimmed. */
  text: string;
  ver: IpVersionSpec;
  /** Initial TTL (with any `+N` already added). */
  ittl: number;
  /** `ittl-`: tools that randomise TTL; distance is printed as "<= N". */
  badTtl: boolean;
  /** IP options length. */
  olen: number;
  /** MSS, or null for '*'. */
  mss: number | null;
  win: WinSpec;
  /** Window scale, or null for '*'. */
  wscale: number | null;
  /** Option kinds in order (TcpOpt values; '?n' gives n). */
  optLayout: number[];
  /** optLayout joined with ',' : equal layouts have equal keys. */
  optKey: string;
  /** Padding after eol (eol+N); 0 without eol. */
  eolPad: number;
  /** Quirk bits (decode/types Quirk). */
  quirks: number;
  pclass: PayloadClass;
}

export interface MtuSignature {
  line: number;
  /** Link description from the label, e.g. 'Ethernet or modem'. */
  name: string;
  mtu: number;
}

/** One header in an HTTP signature's ordered list. */
export interface HttpHeaderSpec {
  /** Header name as written in the signature. */
  name: string;
  /** Lower-cased name, for comparison (HTTP header names are case-insensitive). */
  lname: string;
  /** '?Name': may be absent, but must not appear elsewhere. */
  optional: boolean;
  /** 'Name=[value]': substring that the header value must contain; null for none. */
  value: string | null;
}

export interface HttpSignature {
  line: number;
  label: Label;
  text: string;
  /** 0 = HTTP/1.0, 1 = HTTP/1.1, 'any' = '*'. */
  ver: 0 | 1 | 'any';
  horder: HttpHeaderSpec[];
  /** Headers that must not appear (lower-cased names as written, original spelling kept in habsentNames). */
  habsent: string[];
  habsentNames: string[];
  /** Expected substring of User-Agent / Server; '' when none. */
  expsw: string;
}

/** `ua_os = Linux,Windows,iOS=[iPad]`: OS name and the User-Agent substring that indicates it. */
export interface UaOsEntry {
  name: string;
  substr: string;
}

export interface SignatureDb {
  /** Path the database was read from (or a name for built-in text). */
  file: string;
  classes: string[];
  labels: Label[];
  mtu: MtuSignature[];
  tcpRequest: TcpSignature[];
  tcpResponse: TcpSignature[];
  httpRequest: HttpSignature[];
  httpResponse: HttpSignature[];
  uaOs: UaOsEntry[];
  /** Total `sig` lines loaded (p0f prints "Loaded N signatures"). */
  sigCount: number;
}

export type ParseResult =
  | { ok: true; db: SignatureDb; warnings: Diagnostic[] }
  | { ok: false; diagnostics: Diagnostic[] };
