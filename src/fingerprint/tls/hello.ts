/**
 * ClientHello and ServerHello bodies (RFC 8446 section 4.1.2 and 4.1.3,
 * RFC 5246 section 7.4.1, RFC 6347 section 4.2.1 for DTLS's cookie), read
 * defensively: every length is checked against what contains it, and a
 * body that does not hold together is a reason, never an exception.
 *
 * The fields before the extensions must be sound. The extension block is
 * read as far as it holds together: an extension that overruns it ends
 * the list (those before it are kept), and one whose own contents are
 * malformed stays in the list with its contents ignored; both are counted
 * in `malformed`. This is how the reference tools read such hellos. GREASE values are kept as sent: the fingerprint
 * methods decide what to skip.
 */

export const ExtensionType = {
  SERVER_NAME: 0x0000,
  SUPPORTED_GROUPS: 0x000a,
  EC_POINT_FORMATS: 0x000b,
  SIGNATURE_ALGORITHMS: 0x000d,
  ALPN: 0x0010,
  SUPPORTED_VERSIONS: 0x002b,
} as const;

export interface ClientHello {
  /** legacy_version: the version field of the hello itself (0x0303 for TLS 1.2 and 1.3). */
  version: number;
  /** Cipher suites in wire order. */
  ciphers: number[];
  /** Extension types in wire order. */
  extensions: number[];
  /** The first host_name of server_name, or null (also when the extension is there but empty). */
  sni: string | null;
  /** ALPN protocol names in order, one char per byte (latin1, lossless), or null without the extension. */
  alpn: string[] | null;
  /** supported_versions in order, or null without the extension. */
  supportedVersions: number[] | null;
  /** signature_algorithms in order (empty without the extension). */
  signatureAlgorithms: number[];
  /** supported_groups (elliptic_curves) in order (empty without the extension). */
  groups: number[];
  /** ec_point_formats in order (empty without the extension). */
  pointFormats: number[];
  /** Length of the legacy session id (32 in TLS 1.3 middlebox compatibility mode). */
  sessionIdLength: number;
  /** A DTLS ClientHello (it carries a cookie). */
  dtls: boolean;
  /** Extensions whose contents could not be read (their type is still listed). */
  malformed: number;
}

export interface ServerHello {
  /** legacy_version. */
  version: number;
  /** The version chosen: supported_versions when present (TLS 1.3), else legacy_version. */
  selectedVersion: number;
  /** The cipher suite chosen. */
  cipher: number;
  /** The compression method chosen. */
  compression: number;
  /** Extension types in wire order. */
  extensions: number[];
  /** The ALPN protocol chosen (latin1), or null. */
  alpn: string | null;
  /** A HelloRetryRequest: a ServerHello whose random is RFC 8446's fixed value. */
  helloRetryRequest: boolean;
  /** 1 when the extension block does not hold together (read as far as it does). */
  malformed: number;
}

export type HelloReason =
  /** A field runs past the end of the body. */
  | 'truncated'
  /** A version that is neither SSL 3.0/TLS (3.x) nor DTLS (0xfe.x) (nor, in a ServerHello, a TLS 1.3 draft, 0x7f.x). */
  | 'bad-version'
  /** An odd cipher list length, or none where one is needed. */
  | 'bad-ciphers';

export type ClientHelloResult = { ok: true; hello: ClientHello } | { ok: false; reason: HelloReason };
export type ServerHelloResult = { ok: true; hello: ServerHello } | { ok: false; reason: HelloReason };

const RANDOM_LEN = 32;
/** SHA-256 of "HelloRetryRequest" (RFC 8446 section 4.1.3): the random of a HelloRetryRequest. */
const HRR_RANDOM = Buffer.from('cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c', 'hex');

const FAIL: Record<HelloReason, { ok: false; reason: HelloReason }> = {
  truncated: { ok: false, reason: 'truncated' },
  'bad-version': { ok: false, reason: 'bad-version' },
  'bad-ciphers': { ok: false, reason: 'bad-ciphers' },
};

function versionOk(v: number): boolean {
  const major = v >> 8;
  return major === 3 || major === 0xfe;
}

/** A ServerHello of TLS 1.3 drafts 16 to 22 carries the draft version (0x7fNN) in its version field. */
function serverVersionOk(v: number): boolean {
  return versionOk(v) || v >> 8 === 0x7f;
}

/** Parse a ClientHello body (after the handshake header). `dtls` reads the cookie DTLS adds. */
export function parseClientHello(body: Buffer, dtls = false): ClientHelloResult {
  const end = body.length;
  if (end < 2 + RANDOM_LEN + 1) return FAIL.truncated;
  const version = (body[0] << 8) | body[1];
  if (!versionOk(version)) return FAIL['bad-version'];
  let p = 2 + RANDOM_LEN;
  const sessionIdLength = body[p++];
  p += sessionIdLength;
  if (dtls) {
    if (p >= end) return FAIL.truncated;
    p += 1 + body[p];
  }
  if (p + 2 > end) return FAIL.truncated;
  const cipherLen = (body[p] << 8) | body[p + 1];
  p += 2;
  if ((cipherLen & 1) !== 0) return FAIL['bad-ciphers'];
  if (p + cipherLen > end) return FAIL.truncated;
  const ciphers = new Array<number>(cipherLen >> 1);
  for (let i = 0; i < ciphers.length; i++, p += 2) ciphers[i] = (body[p] << 8) | body[p + 1];
  if (p >= end) return FAIL.truncated;
  p += 1 + body[p]; // compression methods
  if (p > end) return FAIL.truncated;

  const hello: ClientHello = {
    version,
    ciphers,
    extensions: [],
    sni: null,
    alpn: null,
    supportedVersions: null,
    signatureAlgorithms: [],
    groups: [],
    pointFormats: [],
    sessionIdLength,
    dtls,
    malformed: 0,
  };
  // SSL 3.0 and early TLS hellos end here, with no extension block; a
  // lone trailing byte is taken as that too (and counted as malformed).
  if (p + 2 > end) {
    if (p < end) hello.malformed++;
    return { ok: true, hello };
  }
  let extEnd = p + 2 + ((body[p] << 8) | body[p + 1]);
  p += 2;
  if (extEnd > end) {
    // The block claims more than the hello holds: read what is there.
    extEnd = end;
    hello.malformed++;
  }
  const exts = hello.extensions;
  while (p < extEnd) {
    const e = p + 4 + (p + 4 <= extEnd ? (body[p + 2] << 8) | body[p + 3] : 0);
    if (p + 4 > extEnd || e > extEnd) {
      // An extension overruns the block: keep those before it.
      hello.malformed++;
      break;
    }
    const type = (body[p] << 8) | body[p + 1];
    exts.push(type);
    if (!clientExtension(body, type, p + 4, e, hello)) hello.malformed++;
    p = e;
  }
  return { ok: true, hello };
}

/** Read one extension's contents into `h`; false when they are malformed. */
function clientExtension(b: Buffer, type: number, d: number, e: number, h: ClientHello): boolean {
  switch (type) {
    case ExtensionType.SERVER_NAME: {
      if (e - d < 2) return d === e; // an empty server_name (a server's echo form) is allowed
      const listEnd = d + 2 + ((b[d] << 8) | b[d + 1]);
      if (listEnd > e) return false;
      for (let p = d + 2; p < listEnd; ) {
        if (p + 3 > listEnd) return false;
        const nameType = b[p];
        const n = (b[p + 1] << 8) | b[p + 2];
        if (p + 3 + n > listEnd) return false;
        if (nameType === 0 && h.sni === null) h.sni = b.toString('latin1', p + 3, p + 3 + n);
        p += 3 + n;
      }
      return true;
    }
    case ExtensionType.ALPN: {
      if (h.alpn !== null) return true; // a repeated extension: the first one counts
      if (e - d < 2) return false;
      const listEnd = d + 2 + ((b[d] << 8) | b[d + 1]);
      if (listEnd > e) return false;
      const names: string[] = [];
      for (let p = d + 2; p < listEnd; ) {
        const n = b[p];
        if (p + 1 + n > listEnd) {
          h.alpn = names;
          return false;
        }
        names.push(b.toString('latin1', p + 1, p + 1 + n));
        p += 1 + n;
      }
      h.alpn = names;
      return true;
    }
    case ExtensionType.SUPPORTED_VERSIONS: {
      if (h.supportedVersions !== null) return true;
      if (e - d < 1) return false;
      const n = b[d];
      const list: number[] = [];
      h.supportedVersions = list;
      if (d + 1 + n > e || (n & 1) !== 0) return false;
      for (let p = d + 1; p < d + 1 + n; p += 2) list.push((b[p] << 8) | b[p + 1]);
      return true;
    }
    case ExtensionType.SIGNATURE_ALGORITHMS:
      return h.signatureAlgorithms.length > 0 || readU16List(b, d, e, h.signatureAlgorithms);
    case ExtensionType.SUPPORTED_GROUPS:
      return h.groups.length > 0 || readU16List(b, d, e, h.groups);
    case ExtensionType.EC_POINT_FORMATS: {
      if (h.pointFormats.length > 0) return true;
      if (e - d < 1) return false;
      const n = b[d];
      if (d + 1 + n > e) return false;
      for (let p = d + 1; p < d + 1 + n; p++) h.pointFormats.push(b[p]);
      return true;
    }
    default:
      return true;
  }
}

/** A list of 16-bit values behind a 16-bit byte length. */
function readU16List(b: Buffer, d: number, e: number, out: number[]): boolean {
  if (e - d < 2) return false;
  const n = (b[d] << 8) | b[d + 1];
  if (d + 2 + n > e || (n & 1) !== 0) return false;
  for (let p = d + 2; p < d + 2 + n; p += 2) out.push((b[p] << 8) | b[p + 1]);
  return true;
}

/** Parse a ServerHello body (after the handshake header). */
export function parseServerHello(body: Buffer): ServerHelloResult {
  const end = body.length;
  if (end < 2 + RANDOM_LEN + 1) return FAIL.truncated;
  const version = (body[0] << 8) | body[1];
  if (!serverVersionOk(version)) return FAIL['bad-version'];
  const helloRetryRequest = body.compare(HRR_RANDOM, 0, RANDOM_LEN, 2, 2 + RANDOM_LEN) === 0;
  let p = 2 + RANDOM_LEN;
  // TLS 1.3 drafts before 22 dropped the session id and compression
  // fields; draft 22 put them back for middlebox compatibility.
  const draft = version >> 8 === 0x7f && (version & 0xff) < 22;
  if (!draft) p += 1 + body[p]; // session id
  if (p + (draft ? 2 : 3) > end) return FAIL.truncated;
  const cipher = (body[p] << 8) | body[p + 1];
  const compression = draft ? 0 : body[p + 2];
  p += draft ? 2 : 3;
  const hello: ServerHello = {
    version,
    selectedVersion: version,
    cipher,
    compression,
    extensions: [],
    alpn: null,
    helloRetryRequest,
    malformed: 0,
  };
  if (p === end) return { ok: true, hello };
  if (p + 2 > end) return { ok: true, hello };
  let extEnd = p + 2 + ((body[p] << 8) | body[p + 1]);
  p += 2;
  if (extEnd > end) {
    extEnd = end;
    hello.malformed++;
  }
  while (p < extEnd) {
    const d = p + 4;
    const e = d + (d <= extEnd ? (body[p + 2] << 8) | body[p + 3] : 0);
    if (d > extEnd || e > extEnd) {
      hello.malformed++;
      break;
    }
    const type = (body[p] << 8) | body[p + 1];
    hello.extensions.push(type);
    if (type === ExtensionType.SUPPORTED_VERSIONS && e - d === 2) {
      hello.selectedVersion = (body[d] << 8) | body[d + 1];
    } else if (type === ExtensionType.ALPN && e - d >= 3 && hello.alpn === null) {
      const n = body[d + 2];
      if (d + 3 + n <= e) hello.alpn = body.toString('latin1', d + 3, d + 3 + n);
    }
    p = e;
  }
  return { ok: true, hello };
}
