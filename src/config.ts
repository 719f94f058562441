/**
 * Named limits and defaults, in one place. Values marked "p0f" carry over
 * p0f 3.09b's constants so that verdicts agree with it.
 */

/** Largest TTL distance still taken as a plausible hop count (p0f). */
export const MAX_DIST = 35;
/** Most TCP options recorded in a layout (p0f). */
export const MAX_TCP_OPT = 24;
/** Bytes of a packet looked at, whatever the capture holds (p0f). */
export const SNAPLEN = 65535;

/** Minimum IPv4 + TCP header size, and the IPv6 one (p0f's MIN_TCP4/6). */
export const MIN_TCP4 = 20 + 20;
export const MIN_TCP6 = 40 + 20;

/** Window and MSS that p0f-sendsyn probes carry (p0f). */
export const SPECIAL_MSS = 1331;
export const SPECIAL_WIN = 1337;

/** Uptime: wait at least this long between two timestamps, at most this (ms, p0f). */
export const MIN_TWAIT = 25;
export const MAX_TWAIT = 10 * 60 * 1000;
/** Timestamp grace period for out-of-order packets (ms, p0f). */
export const TSTAMP_GRACE = 100;
/** Accepted timestamp clock range (Hz, p0f). */
export const MIN_TSCALE = 0.7;
export const MAX_TSCALE = 1500;

/** NAT detection (p0f). */
export const NAT_SCORES = 32;
export const MAX_NAT_TS = 24 * 60 * 60 * 1000;
export const MIN_PORT_DROP = 64;
export const LOCAL_TTL_LIMIT = 5;
export const NEAR_TTL_LIMIT = 9;
export const SMALL_TTL_CHG = 2;

/** Per-connection payload kept for HTTP fingerprinting (bytes, p0f). */
export const MAX_FLOW_DATA = 8192;
/** Cache expiry runs every this many packets (p0f). */
export const EXPIRE_INTERVAL = 50;
/** Share of entries pruned when a table is full (percent, p0f). */
export const KILL_PERCENT = 10;

/** Default and maximum table sizes (-m c,h) and timeouts (-t c,h) (p0f). */
export const DEFAULT_MAX_CONN = 1000;
export const DEFAULT_MAX_HOSTS = 10000;
export const MAX_CONN_CAP = 100000;
export const MAX_HOSTS_CAP = 1000000;
export const DEFAULT_CONN_MAX_AGE_S = 30;
export const DEFAULT_HOST_IDLE_MIN = 120;

/** API (-S): simultaneous clients, default and cap (p0f). */
export const DEFAULT_API_CLIENTS = 20;
export const MAX_API_CLIENTS = 100;

/**
 * The API socket every client looks for when not told (`pof query`,
 * `pof proxy`, `pof logpipe`, the middleware) and the one the shipped
 * systemd unit gives the daemon (`-s`; the daemon, as p0f, opens none
 * unless asked). In a directory of its own: systemd's RuntimeDirectory=pof
 * makes it, or the daemon makes it for its -u user, who can then remove
 * the socket at exit after dropping root (in /run itself it could not).
 */
export const DEFAULT_API_SOCKET = '/run/pof/pof.sock';

/** Capture file reading: bytes per read(2). */
export const CAPTURE_CHUNK = 4 * 1024 * 1024;
/** Largest single packet record a capture file may declare (bytes). */
export const MAX_RECORD_LEN = 256 * 1024;

/**
 * TLS and QUIC ClientHellos (issue 22). A real ClientHello is a few hundred
 * bytes to a few KiB (post-quantum key shares included); these caps bound
 * what one connection may make pof hold while its hello is incomplete.
 */
/** Most bytes of a connection's first client data gathered for its hello (TCP). */
export const MAX_TLS_HELLO_BYTES = 16 * 1024;
/** Most CRYPTO stream bytes reassembled per QUIC connection (Initial packets). */
export const MAX_QUIC_CRYPTO_BYTES = 16 * 1024;
/** Most separate CRYPTO byte ranges held per QUIC connection while out of order. */
export const MAX_QUIC_CRYPTO_RANGES = 32;
/**
 * The engine's TLS gatherer (TCP): connections it watches at once for their
 * first client and server bytes (its own table, apart from p0f's), the
 * bytes all of them may hold together, and how far into a stream that
 * starts in clear text (STARTTLS, HTTP CONNECT, PostgreSQL's and MySQL's
 * SSL requests) a hello is looked for.
 */
export const MAX_TLS_CONNS = 1024;
export const TLS_GATHER_BUDGET = 4 * 1024 * 1024;
export const TLS_SCAN_BYTES = 1024;
/** Separate byte ranges held per direction while segments are out of order. */
export const MAX_TLS_SEGMENT_RANGES = 32;
/** The QUIC gatherer: connections watched at once, and the CRYPTO bytes all of them may hold together. */
export const MAX_QUIC_CONNS = 1024;
export const QUIC_GATHER_BUDGET = 4 * 1024 * 1024;
