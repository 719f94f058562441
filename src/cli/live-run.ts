/**
 * `pof -i IFACE`: the live sensor and daemon. Start-up, in this order, so
 * that no packet is looked at with root privileges:
 *
 *   1. load the signatures, resolve -u's user, open the -o log, write the
 *      pid file
 *   2. bind the API socket (-s/-Q) and give it to the user / group; bind
 *      --http's port and start --store's publisher (sensor-net.ts)
 *   3. open the capture (p0f's filter unless one is given)
 *   4. drop to -u USER (groups, gid, uid)
 *   5. attach the engine to the capture, install signal handlers, say ready
 *
 * Steps 3 to 5 run in one go, so the first batch of packets is only
 * delivered after the drop. Then: packets -> Engine (+ HTTP) -> console /
 * JSON / p0f log and per-connection verdicts (published to Redis with
 * --store), and to --http's metrics and dashboard; the API answers from the
 * engine's tables. SIGHUP reloads the signatures (hosts are kept) and
 * reopens the log; SIGTERM and SIGINT close everything and remove the
 * socket, at any point: during start-up too, whatever step is waiting
 * (startup.ts). Kernel drops are reported when they happen and on exit.
 */
import { chown, stat } from 'node:fs/promises';
import { ConnVerdicts } from '../state/conn-verdicts.js';
import { engineLookup } from '../api/lookup.js';
import { PofApiServer } from '../api/server.js';
import { DEFAULT_LIVE_TIMEOUT_MS, listInterfaces, liveFilterForms, openLive, WAITED_LIVE_TIMEOUT_MS, type LiveCapture, type LiveStats } from '../capture/live.js';
import type { SignatureDb } from '../db/types.js';
import { DEFAULT_API_CLIENTS, DEFAULT_MAX_HOSTS } from '../config.js';
import { Engine } from '../engine.js';
import { PofError } from '../errors.js';
import type { Observation } from '../observation.js';
import { logTime } from '../output/p0f-log.js';
import { FdWriter, isDevNull, openLogFile } from '../output/writer.js';
import { printObservation } from '../output/print.js';
import { HttpModule } from '../state/http-module.js';
import { notifyFailure, notifyReady, removePidFile } from './daemon.js';
import { loadSignatures } from '../db/load.js';
import { defaultInterface } from './interfaces.js';
import { checkTargetUser, dropPrivileges, lookupUser, planSocket, type UserInfo } from './privileges.js';
import type { SensorNetFlags } from './sensor-flags.js';
import { openSensorNet, type SensorNet } from './sensor-net.js';
import { notReloadedLine } from './sighup.js';
import { makeSocketDir, openLogAppend, releaseFifo, StartupStopped, unlessStopped, writePidFile, type StepAbort, type StopReason } from './startup.js';

/** How often kernel drop counters are checked (and reported when they grew). */
export const DROP_REPORT_INTERVAL_MS = 60_000;

export interface LiveRunOptions {
  /** -i; undefined picks the default interface as p0f does. */
  iface?: string;
  /** Trailing filter expression; '' for p0f's default. */
  filterExpr: string;
  promisc: boolean;
  /** --batch-ms; default WAITED_LIVE_TIMEOUT_MS with a socket (queries wait), else DEFAULT_LIVE_TIMEOUT_MS. */
  batchMs?: number;
  db: SignatureDb;
  /** -f as given (absolute); undefined = the shipped database. Reloaded on SIGHUP. */
  dbPath?: string;
  logFile?: string;
  json: boolean;
  /** -q: no console output. */
  quiet: boolean;
  /** -s / -Q. */
  socket?: string;
  maxClients?: number;
  socketMode?: string;
  socketGroup?: string;
  /** -u. */
  user?: string;
  pidFile?: string;
  maxConn?: number;
  maxHosts?: number;
  connMaxAgeS?: number;
  hostIdleMin?: number;
  /** Set in a -d child: the pipe to tell the parent "ready" or why not. */
  readyFd: number | null;
  /** e.g. "0.1.0". */
  version: string;
  dropReportIntervalMs?: number;
  /** --store, --http, --dashboard-window. */
  net?: SensorNetFlags;
  /** TLS and QUIC hellos (false: --no-tls; QUIC's UDP then stays out of the capture filter). */
  tls?: boolean;
}

/** A start-up step still waiting in the thread pool (open(2) of a FIFO) after a stop may keep the process this long at most. */
const STOPPED_EXIT_MS = 1000;

/** Opens the capture with p0f's filter construction (VLAN-aware where the link allows it), QUIC's UDP too with `quic`. */
export function openFiltered(iface: string, expr: string, promisc: boolean, timeoutMs?: number, quic = false): LiveCapture {
  const forms = liveFilterForms(expr, quic);
  let last: unknown;
  for (const filter of forms) {
    try {
      return openLive({ iface, promisc, filter, timeoutMs });
    } catch (e) {
      const code = e instanceof PofError ? (e.cause as { pcapCode?: string } | undefined)?.pcapCode : undefined;
      if (code !== 'BAD_FILTER') throw e;
      last = e;
    }
  }
  throw new PofError('E_USAGE', `bad filter expression '${expr}' (see man pcap-filter): ${(last as Error).message}`);
}

export async function runLive(o: LiveRunOptions, stderr: (s: string) => void): Promise<number> {
  const daemon = o.readyFd !== null;
  let log: FdWriter | null = null;
  // In the background there is no terminal: messages go to the -o log.
  const report = (msg: string): void => {
    if (!daemon) return stderr(msg + '\n');
    if (log) {
      log.write(`[${logTime(Math.floor(Date.now() / 1000))}] ${msg}\n`);
      safeFlush(log);
    }
  };
  // Start-up news: -q silences it on the terminal, as p0f 2's -q did its
  // banner and "listening" lines. Warnings, errors and the exit summary stay.
  const info = (msg: string): void => {
    if (!o.quiet || daemon) report(msg);
  };

  let stopResolve!: (r: StopReason) => void;
  const stopped = new Promise<StopReason>((r) => (stopResolve = r));
  let stopping = false;
  const stop = (r: StopReason): void => {
    if (stopping) return;
    stopping = true;
    stopResolve(r);
  };
  const onTerm = (sig: NodeJS.Signals): void => {
    if (stopping && sig === 'SIGINT') process.exit(130); // second ^C: no patience left
    stop({ code: 0, why: sig });
  };
  process.on('SIGTERM', onTerm);
  process.on('SIGINT', onTerm);
  let reload: () => void = () => undefined;
  const onHup = (): void => reload();
  process.on('SIGHUP', onHup);

  // Each start-up step that waits gives way to SIGTERM / SIGINT.
  const during = <T>(step: Promise<T>, abort?: StepAbort<T>): Promise<T> => unlessStopped(step, stopped, abort);
  let server: PofApiServer | null = null;
  let net: SensorNet | null = null;
  let cap: LiveCapture | null = null;
  let pidWritten = false;
  let out: FdWriter | null = null;
  try {
    // ---- 1: as root, before anything is open ----
    const user: UserInfo | null = o.user !== undefined ? lookupUser(o.user) : null;
    if (user) {
      checkTargetUser(user);
      if (process.geteuid?.() !== 0) throw new PofError('E_USAGE', `-u ${o.user} needs pof to be started as root`);
    }
    const sockPlan = o.socket
      ? planSocket({ mode: o.socketMode, group: o.socketGroup, user: user ?? undefined, creatorUid: process.geteuid?.() ?? -1 })
      : null;
    if (o.logFile) {
      const existed = await during(exists(o.logFile));
      const file = o.logFile;
      log = await during(openLogAppend(file), { late: (w) => w.close(), release: () => releaseFifo(file) });
      if (user) await during(handLogTo(o.logFile, existed, user, report));
    }
    const iface = o.iface ?? defaultInterface(listInterfaces());
    if (o.iface === undefined) info(`[+] No -i given: listening on '${iface}'${iface === 'any' ? ' (every interface)' : ''} (see pof -L).`);
    // Nothing is formatted for a stdout that goes to /dev/null (as with -r).
    out = o.quiet || daemon || isDevNull(1) ? null : new FdWriter(1);
    if (o.socket) await during(makeSocketDir(o.socket, user));
    if (o.pidFile) {
      await during(writePidFile(o.pidFile));
      pidWritten = true;
      if (user) await during(chown(o.pidFile, user.uid, user.gid).catch(() => undefined));
    }

    const conns = new ConnVerdicts();
    // --http's counters and dashboard (null without it).
    let netObserve: ((ob: Observation) => void) | null = null;
    let dirty = false;
    let flushQueued = false;
    const flushAll = (): void => {
      flushQueued = false;
      if (!dirty) return;
      dirty = false;
      if (out && !safeFlush(out)) {
        out = null; // stdout went away (pof ... | head): carry on quietly, as p0f would not
        stop({ code: 0, why: 'stdout closed' });
      }
      if (log && !safeFlush(log)) report('[!] cannot write to the log file');
    };
    const sink = (ob: Observation): void => {
      const v = conns.observe(ob);
      // Clients watching the connection's server port hear of it (pof proxy, the middleware).
      server?.notify(v);
      if (netObserve) netObserve(ob);
      printObservation(ob, out, log, o.json);
      if ((out || log) && !flushQueued) {
        dirty = flushQueued = true;
        setImmediate(flushAll);
      }
    };
    const engine = new Engine(
      { db: o.db, maxConn: o.maxConn, maxHosts: o.maxHosts, connMaxAgeS: o.connMaxAgeS, hostIdleMin: o.hostIdleMin, tls: o.tls },
      sink,
    );
    engine.addModule(new HttpModule());
    const dbName = o.dbPath ? `'${o.dbPath}'` : 'the shipped database';
    info(`[+] Loaded ${sigCount(o.db)} signatures from ${dbName}.`);

    // ---- 2: --http and --store, then the API socket ----
    if (o.net && (o.net.store || o.net.http)) {
      const deps = { engine, conns, maxHosts: o.maxHosts ?? DEFAULT_MAX_HOSTS, version: o.version, report, info };
      net = await during(openSensorNet(o.net, deps), { late: (n) => void n.close() });
      netObserve = net.observe;
    }
    if (o.socket && sockPlan) {
      server = await during(
        PofApiServer.listen({
          path: o.socket,
          lookup: engineLookup(engine, conns, { version: `pof ${o.version}` }),
          maxClients: o.maxClients,
          mode: sockPlan.mode,
          group: sockPlan.gid === -1 ? undefined : sockPlan.gid,
          version: `pof ${o.version}`,
          onWarning: (m) => report(`[!] ${m}`),
          onQuery: net?.onQuery,
        }),
        { late: (s) => void s.close() },
      );
      if (sockPlan.uid !== -1) await during(chown(o.socket, sockPlan.uid, sockPlan.gid));
      info(
        `[+] Listening on API socket '${o.socket}' (max ${o.maxClients ?? DEFAULT_API_CLIENTS} clients, mode ${sockPlan.mode.toString(8).padStart(4, '0')}` +
          `${user ? `, owner ${user.name}` : ''}).`,
      );
      if (sockPlan.explicit && sockPlan.mode & 0o002) report(`[!] The API socket is world-writable (--socket-mode ${o.socketMode}): anyone on this host may query it.`);
    }

    // ---- 3..5: capture, drop, attach: one synchronous run ----
    const c = openFiltered(iface, o.filterExpr, o.promisc, o.batchMs ?? (o.socket ? WAITED_LIVE_TIMEOUT_MS : DEFAULT_LIVE_TIMEOUT_MS), o.tls !== false);
    cap = c;
    const api = server;
    net?.metrics?.setSources({ capture: () => c.stats(), ...(api ? { api: () => api.stats } : {}) });
    if (c.warning) report(`[!] ${c.warning}`);
    info(`[+] Intercepting traffic on interface '${iface}' (${c.linkName ?? `link type ${c.linkType}`})${o.filterExpr ? ` with filter '${o.filterExpr}'` : ''}.`);
    if (user) {
      dropPrivileges(user);
      info(`[+] Privileges dropped: now running as ${user.name} (uid ${user.uid}, gid ${user.gid}).`);
    } else if (process.geteuid?.() === 0) {
      report('[!] Running as root: consider -u USER.');
    }
    c.onPackets((rec) => engine.handle(rec));
    c.onError((e) => {
      report(`[-] ${e.message}`);
      stop({ code: 1, why: 'capture error' });
    });

    reload = (): void => {
      try {
        const db = loadSignatures(o.dbPath);
        engine.setDb(db);
        report(`[+] SIGHUP: reloaded ${sigCount(db)} signatures from ${dbName}; ${count(engine.hosts.size, 'host')} kept.`);
      } catch (e) {
        report(notReloadedLine(e, user?.name));
      }
      if (o.logFile && log) {
        try {
          const fresh = openLogFile(o.logFile);
          safeFlush(log);
          log.close();
          log = fresh;
          report('[+] SIGHUP: log file reopened.');
        } catch (e) {
          report(`[!] SIGHUP: cannot reopen the log file, still writing to the old one: ${(e as Error).message}`);
        }
      }
    };

    const lastDrops = { kernel: 0, iface: 0 };
    const dropTimer = setInterval(() => reportDrops(c.stats(), lastDrops, report), o.dropReportIntervalMs ?? DROP_REPORT_INTERVAL_MS);
    dropTimer.unref();

    info('[+] Entered main event loop.');
    if (o.readyFd !== null) {
      notifyReady(o.readyFd);
      process.chdir('/');
    }

    const r = await stopped;
    clearInterval(dropTimer);
    const st = c.stats();
    c.close();
    flushAll();
    // What the publisher still holds goes out (a bounded wait), then the threads stop.
    await net?.close();
    if (server) {
      await server.close();
      if (await exists(o.socket!)) report(`[!] Could not remove the API socket ${o.socket} (its directory is not writable by this user); the next start replaces it.`);
    }
    report(
      `[+] ${r.why}: processed ${count(engine.stats.packets, 'packet')} (${engine.stats.tcp} TCP), ${count(engine.stats.observations, 'observation')}, ` +
        `${count(engine.hosts.size, 'host')}; kernel dropped ${st.droppedKernel}, interface dropped ${st.droppedInterface} of ${st.received} received` +
        `${c.dedup ? `; ${count(st.duplicates, 'packet')} seen twice, counted once` : ''}.`,
    );
    const storeLine = net?.storeLine();
    if (storeLine) report(storeLine);
    if (o.pidFile && !removePidFile(o.pidFile)) report(`[!] Could not remove the pid file ${o.pidFile}.`);
    pidWritten = false;
    return r.code;
  } catch (e) {
    if (o.readyFd !== null) notifyFailure(o.readyFd, (e as Error).message);
    cap?.close();
    await server?.close();
    await net?.close();
    if (!(e instanceof StartupStopped)) throw e;
    report(`[+] ${e.reason.why} during start-up: stopped.`);
    setTimeout(() => process.exit(e.reason.code), STOPPED_EXIT_MS).unref();
    return e.reason.code;
  } finally {
    process.off('SIGTERM', onTerm);
    process.off('SIGINT', onTerm);
    process.off('SIGHUP', onHup);
    if (pidWritten && o.pidFile) removePidFile(o.pidFile);
    if (out) safeFlush(out);
    if (log) {
      safeFlush(log);
      log.close();
    }
  }
}

/** "1 host", "2 hosts". */
function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

function sigCount(db: SignatureDb): number {
  return db.sigCount;
}

/** Reports packets dropped since the last call (nothing when none were); updates `last`. */
export function reportDrops(s: LiveStats, last: { kernel: number; iface: number }, report: (m: string) => void): void {
  const k = s.droppedKernel - last.kernel;
  const i = s.droppedInterface - last.iface;
  last.kernel = s.droppedKernel;
  last.iface = s.droppedInterface;
  if (k > 0 || i > 0) {
    report(`[!] Packets dropped: kernel ${k}, interface ${i} since the last report (totals ${s.droppedKernel}, ${s.droppedInterface} of ${s.received} received).`);
  }
}

function safeFlush(w: FdWriter): boolean {
  try {
    w.flush();
    return true;
  } catch {
    return false;
  }
}

async function exists(p: string): Promise<boolean> {
  return stat(p).then(
    () => true,
    () => false,
  );
}

/**
 * With -u, SIGHUP reopens the log as the user: a log pof creates is given
 * to the user; about an existing one it cannot write, pof warns.
 */
async function handLogTo(file: string, existed: boolean, user: UserInfo, report: (m: string) => void): Promise<void> {
  if (!existed) {
    await chown(file, user.uid, user.gid).catch(() => undefined);
    return;
  }
  const st = await stat(file).catch(() => null);
  if (!st) return;
  const writable = st.uid === user.uid ? (st.mode & 0o200) !== 0 : st.gid === user.gid ? (st.mode & 0o020) !== 0 : (st.mode & 0o002) !== 0;
  if (!writable) {
    report(
      `[!] ${user.name} cannot write ${file}: after privileges are dropped, SIGHUP cannot reopen it ` +
        `(let logrotate use 'create 0640 ${user.name} ...' or 'copytruncate').`,
    );
  }
}
