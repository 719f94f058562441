/** The flags of the sensor command (`pof [options] [filter]`), p0f's spelling first. */
import { MAX_LIVE_TIMEOUT_MS } from '../capture/live.js';
import { DEFAULT_API_SOCKET } from '../config.js';
import { parseHttpAddress } from '../api/http-endpoint.js';
import { parseStoreUrl } from '../api/store/keys.js';
import { PofError } from '../errors.js';
import { stringFlag, type FlagSpec } from './args.js';

/** --batch-ms, shared by the sensor and `pof proxy -i`. */
export const BATCH_MS_FLAG: FlagSpec = {
  name: 'batch-ms',
  takesValue: true,
  valueName: 'MS',
  help: 'ms the kernel may hold captured packets to batch them (default 1 with -s, where queries wait; else 5)',
};

/** The value of --batch-ms, checked; undefined when not given. */
export function batchMsFlag(flags: Map<string, string | true>): number | undefined {
  if (!flags.has('batch-ms')) return undefined;
  const v = stringFlag(flags, 'batch-ms') ?? '';
  if (!/^\d+$/.test(v) || Number(v) < 1 || Number(v) > MAX_LIVE_TIMEOUT_MS) {
    throw new PofError('E_USAGE', `--batch-ms wants milliseconds in 1..${MAX_LIVE_TIMEOUT_MS} (got '${v}')`);
  }
  return Number(v);
}

/** The dashboard's window when --dashboard-window is not given (minutes), and the longest one. */
export const DEFAULT_DASHBOARD_WINDOW_MIN = 15;
export const MAX_DASHBOARD_WINDOW_MIN = 1440;

/** Where the sensor's findings go beyond the console, the log and the socket: the shared store, and the HTTP endpoint. */
export interface SensorNetFlags {
  /** --store: the URL as given (checked); the password may be in it or in `storePassword`. */
  store?: string;
  /** $POF_STORE_PASSWORD, which keeps the password off the command line. */
  storePassword?: string;
  /** --http: where to serve /metrics and the dashboard. */
  http?: { host: string; port: number };
  /** --dashboard-window, in seconds. */
  dashboardWindowS?: number;
}

/** Loopback addresses --http may bind without a warning. */
export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host) || /^::ffff:127\./i.test(host);
}

/** --store, --http and --dashboard-window, checked (one line naming the flag). */
export function sensorNetFlags(flags: ReadonlyMap<string, string | true>, env: NodeJS.ProcessEnv = process.env): SensorNetFlags {
  const out: SensorNetFlags = {};
  const store = stringFlag(flags, 'store');
  if (store !== undefined) {
    parseStoreUrl(store, '--store');
    out.store = store;
    if (env.POF_STORE_PASSWORD) out.storePassword = env.POF_STORE_PASSWORD;
  }
  const http = stringFlag(flags, 'http');
  if (http !== undefined) out.http = parseHttpAddress(http, '--http');
  if (flags.has('dashboard-window')) {
    const v = stringFlag(flags, 'dashboard-window') ?? '';
    if (!out.http) throw new PofError('E_USAGE', '--dashboard-window makes sense only with --http');
    if (!/^\d+$/.test(v) || Number(v) < 1 || Number(v) > MAX_DASHBOARD_WINDOW_MIN) {
      throw new PofError('E_USAGE', `--dashboard-window wants minutes in 1..${MAX_DASHBOARD_WINDOW_MIN} (got '${v}')`);
    }
    out.dashboardWindowS = Number(v) * 60;
  }
  return out;
}

/** Flags of the live sensor that mean nothing with -r. */
const LIVE_ONLY = ['batch-ms', 'store', 'http', 'dashboard-window'] as const;

/** Refuses live-only flags given with -r (one line naming the first). */
export function refuseLiveOnlyFlags(flags: ReadonlyMap<string, string | true>): void {
  for (const k of LIVE_ONLY) if (flags.has(k)) throw new PofError('E_USAGE', `--${k} is for live capture, not -r`);
}

export const STORE_FLAG: FlagSpec = {
  name: 'store',
  takesValue: true,
  valueName: 'URL',
  help: 'publish verdicts to the shared store: redis://HOST[:PORT][/DB] or rediss://...; a password in the URL or $POF_STORE_PASSWORD',
};
export const HTTP_FLAG: FlagSpec = {
  name: 'http',
  takesValue: true,
  valueName: 'ADDR:PORT',
  help: 'serve Prometheus /metrics and the live dashboard at / (read only; address default 127.0.0.1)',
};
export const DASHBOARD_WINDOW_FLAG: FlagSpec = {
  name: 'dashboard-window',
  takesValue: true,
  valueName: 'MIN',
  help: `minutes of traffic the dashboard shows (default ${DEFAULT_DASHBOARD_WINDOW_MIN}, at most ${MAX_DASHBOARD_WINDOW_MIN})`,
};

export const SENSOR_FLAGS: readonly FlagSpec[] = [
  { name: 'f', takesValue: true, valueName: 'FILE', help: 'signature database in p0f.fp syntax (default: the one pof ships)' },
  { name: 'r', takesValue: true, valueName: 'FILE', help: "read a pcap/pcapng capture ('-' for stdin)" },
  { name: 'i', takesValue: true, valueName: 'IFACE', help: "listen on a network interface ('any' for all; default: the first up, non-loopback one)" },
  { name: 'L', takesValue: false, help: 'list network interfaces and exit' },
  { name: 'p', takesValue: false, help: 'put the interface in promiscuous mode' },
  { name: 'o', takesValue: true, valueName: 'FILE', help: "append p0f-style log lines to FILE" },
  { name: 's', takesValue: true, valueName: 'PATH', help: `answer API queries on this Unix socket (p0f v3, v2 and JSON); pof's clients look for ${DEFAULT_API_SOCKET}` },
  { name: 'Q', takesValue: true, valueName: 'PATH', help: 'same as -s (p0f 2 spelling)' },
  { name: 'd', takesValue: false, help: 'run in the background (needs -o or -s)' },
  { name: 'u', takesValue: true, valueName: 'USER', help: 'drop privileges to USER (and its groups) after opening the capture and the socket' },
  { name: 'S', takesValue: true, valueName: 'N', help: 'most simultaneous API clients (default 20, at most 100)' },
  { name: 'm', takesValue: true, valueName: 'C,H', help: 'most connections and hosts tracked (default 1000,10000)' },
  { name: 't', takesValue: true, valueName: 'C,H', help: 'connection timeout (s) and host idle time (min) (default 30,120)' },
  BATCH_MS_FLAG,
  STORE_FLAG,
  HTTP_FLAG,
  DASHBOARD_WINDOW_FLAG,
  { name: 'json', takesValue: false, help: 'print one JSON object per observation instead of console blocks' },
  { name: 'no-tls', takesValue: false, help: "leave TLS and QUIC ClientHellos (JA4, JA3) out: p0f's records only" },
  { name: 'pid-file', takesValue: true, valueName: 'FILE', help: 'write the process id to FILE (removed on exit)' },
  { name: 'socket-mode', takesValue: true, valueName: 'OCTAL', help: 'API socket file mode (default 0660 with -u, else 0600)' },
  { name: 'socket-group', takesValue: true, valueName: 'GROUP', help: "API socket group (default: -u USER's group)" },
  { name: 'q', takesValue: false, help: 'quiet: no console output, no start-up messages (p0f 2)' },
  { name: 'K', takesValue: false, help: "p0f 2's 'hide known signatures'; accepted, no effect (use -q)" },
  { name: 'U', takesValue: false, help: "p0f 2's 'hide unknown signatures'; accepted, no effect (use -q)" },
  { name: 'version', takesValue: false, help: 'print the version and exit' },
  { name: 'help', takesValue: false, help: 'this help' },
  { name: 'h', takesValue: false, help: 'this help' },
];
