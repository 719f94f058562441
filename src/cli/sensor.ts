/**
 * The sensor without -r: `pof -L`, `pof [-i IFACE] ...` in the foreground,
 * and `-d` (re-run in the background). Flags are checked here, before any
 * privileged step, so that usage errors come out at once even with -d.
 * p0f 2 invocations (`p0f -qKU -Q SOCK -u USER`) are accepted: -Q is -s,
 * -q is quiet, -K and -U are ignored (docs/daemon.md has the mapping).
 */
import path from 'node:path';
import { listInterfaces } from '../capture/live.js';
import { MAX_API_CLIENTS } from '../config.js';
import { PofError } from '../errors.js';
import { detach, notifyFailure, rebuildArgs, takeReadyFd } from './daemon.js';
import { loadSignatures } from '../db/load.js';
import { formatInterfaces } from './interfaces.js';
import { runLive } from './live-run.js';
import { lookupGroup, lookupUser, parseMode } from './privileges.js';
import { stringFlag } from './args.js';
import { batchMsFlag, sensorNetFlags } from './sensor-flags.js';

export interface SensorCommon {
  version: string;
  maxConn?: number;
  maxHosts?: number;
  connMaxAgeS?: number;
  hostIdleMin?: number;
}

/** Flags that name files: made absolute, since the daemon leaves its directory. */
const PATH_FLAGS = ['f', 'o', 's', 'Q', 'pid-file'] as const;

export async function runSensor(
  flags: Map<string, string | true>,
  rest: string[],
  common: SensorCommon,
  err: (s: string) => void,
): Promise<number> {
  const str = (k: string): string | undefined => stringFlag(flags, k);
  if (flags.has('L')) {
    process.stdout.write(formatInterfaces(listInterfaces()));
    return 0;
  }
  if (flags.has('s') && flags.has('Q')) throw new PofError('E_USAGE', '-s and -Q are the same option; give one');
  for (const k of PATH_FLAGS) {
    const v = str(k);
    if (v === '') throw new PofError('E_USAGE', `option ${k.length === 1 ? '-' : '--'}${k} needs a file name`);
    if (v !== undefined) flags.set(k, path.resolve(v));
  }
  const socket = str('s') ?? str('Q');
  let maxClients: number | undefined;
  if (flags.has('S')) {
    const v = str('S')!;
    if (!/^\d+$/.test(v) || Number(v) < 1 || Number(v) > MAX_API_CLIENTS) {
      throw new PofError('E_USAGE', `-S wants a number of clients from 1 to ${MAX_API_CLIENTS} (got '${v}')`);
    }
    if (!socket) throw new PofError('E_USAGE', '-S makes sense only with -s');
    maxClients = Number(v);
  }
  if ((flags.has('socket-mode') || flags.has('socket-group')) && !socket) {
    throw new PofError('E_USAGE', '--socket-mode and --socket-group make sense only with -s');
  }
  if (flags.has('socket-mode')) parseMode(str('socket-mode')!);
  if (flags.has('socket-group')) lookupGroup(str('socket-group')!);
  if (flags.has('u')) lookupUser(str('u')!);
  if (flags.has('json') && flags.has('q')) throw new PofError('E_USAGE', '--json prints to the console, which -q silences; use one');
  const iface = str('i');
  if (iface === '') throw new PofError('E_USAGE', '-i needs an interface name');
  const batchMs = batchMsFlag(flags);
  const net = sensorNetFlags(flags);

  const readyFd = takeReadyFd();
  if (flags.has('d')) {
    if (!flags.has('o') && !socket) throw new PofError('E_USAGE', '-d needs -o or -s (in the background nothing else is seen)');
    if (readyFd !== null) throw new PofError('E_USAGE', '-d given to a background pof');
    // Fail fast on a bad database, in the foreground.
    loadSignatures(str('f'));
    return detach({ args: rebuildArgs(flags, rest, ['d']), logFile: str('o'), stderr: err });
  }

  let db;
  try {
    db = loadSignatures(str('f'));
  } catch (e) {
    if (readyFd !== null) notifyFailure(readyFd, (e as Error).message);
    throw e;
  }
  return runLive(
    {
      iface,
      filterExpr: rest.join(' ').trim(),
      promisc: flags.has('p'),
      batchMs,
      db,
      dbPath: str('f'),
      logFile: str('o'),
      json: flags.has('json'),
      quiet: flags.has('q'),
      socket,
      maxClients,
      socketMode: str('socket-mode'),
      socketGroup: str('socket-group'),
      user: str('u'),
      pidFile: str('pid-file'),
      maxConn: common.maxConn,
      maxHosts: common.maxHosts,
      connMaxAgeS: common.connMaxAgeS,
      hostIdleMin: common.hostIdleMin,
      readyFd,
      version: common.version,
      net,
      tls: !flags.has('no-tls'),
    },
    err,
  );
}
