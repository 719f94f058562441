#!/usr/bin/env node
/** pof's command line: the sensor (p0f's flags) and subcommands. */
import { readFileSync } from 'node:fs';
import { isPofError, PofError } from '../errors.js';
import { helpText, parseArgs, parsePair, stringFlag } from './args.js';
import { runCheck } from './check.js';
import { loadSignatures } from '../db/load.js';
import { runQuery } from './query.js';
import { runRead } from './read.js';
import { refuseLiveOnlyFlags, SENSOR_FLAGS } from './sensor-flags.js';
import { MAX_CONN_CAP, MAX_HOSTS_CAP } from '../config.js';

const err = (s: string): void => void process.stderr.write(s);

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

function usage(): string {
  return `pof ${version()}: passive OS fingerprinting (p0f 3 compatible)

Usage:
  pof -r FILE [options] [filter]        fingerprint a capture file
  pof [-i IFACE] [options] [filter]     fingerprint live traffic; with -s, answer queries
  pof -L                                list network interfaces
  pof query ADDRESS [-s PATH]           ask a running pof (see pof query --help)
  pof check FILE.fp...                  validate signature files
  pof proxy --listen ADDR:PORT --upstream URL [-s PATH | -i IFACE]
                                        fingerprinting reverse proxy (see pof proxy --help)
  pof logpipe [-s PATH] [options]       append pof fields to access-log lines on stdin
  pof report FILE [-o report.html]      one HTML file of charts of a capture (see pof report --help)

Options:
${helpText(SENSOR_FLAGS)}
`;
}

async function main(argv: string[]): Promise<number> {
  const sub = argv[0];
  if (sub === 'check') return runCheck(argv.slice(1), process.stdout, process.stderr);
  if (sub === 'query') return runQuery(argv.slice(1), process.stdout, process.stderr);
  if (sub === 'proxy') return (await import('./proxy.js')).runProxy(argv.slice(1), process.stdout, process.stderr);
  if (sub === 'report') return (await import('./report.js')).runReport(argv.slice(1), { stdout: process.stdout, stderr: process.stderr, version: version() });
  if (sub === 'logpipe') return (await import('./logpipe.js')).runLogpipe(argv.slice(1), process.stdin, process.stdout, process.stderr);

  const { flags, rest } = parseArgs(argv, SENSOR_FLAGS);
  if (flags.has('help') || flags.has('h')) {
    process.stdout.write(usage());
    return 0;
  }
  if (flags.has('version')) {
    process.stdout.write(`pof ${version()}\n`);
    return 0;
  }
  const str = (k: string): string | undefined => stringFlag(flags, k);
  const [maxConn, maxHosts] = flags.has('m') ? parsePair('m', str('m')!, [MAX_CONN_CAP, MAX_HOSTS_CAP]) : [undefined, undefined];
  const [connMaxAgeS, hostIdleMin] = flags.has('t') ? parsePair('t', str('t')!, [86400, 100000]) : [undefined, undefined];
  const file = str('r');
  if (!file) {
    const { runSensor } = await import('./sensor.js');
    return runSensor(flags, rest, { version: version(), maxConn, maxHosts, connMaxAgeS, hostIdleMin }, err);
  }
  if (flags.has('i')) throw new PofError('E_USAGE', '-r and -i cannot be used together');
  refuseLiveOnlyFlags(flags);
  const db = loadSignatures(str('f'));
  const filterExpr = rest.join(' ').trim();
  let filter;
  if (filterExpr) {
    const { compileOfflineFilterForFile } = await import('./filter-file.js');
    filter = compileOfflineFilterForFile(filterExpr);
  }
  return runRead(
    {
      file,
      db,
      logFile: str('o'),
      json: flags.has('json'),
      quiet: flags.has('q'),
      maxConn,
      maxHosts,
      connMaxAgeS,
      hostIdleMin,
      filter,
      tls: !flags.has('no-tls'),
    },
    err,
  );
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    if (isPofError(e)) {
      err(`pof: ${e.message}\n`);
      process.exitCode = e.code === 'E_USAGE' ? 2 : 1;
    } else {
      err(`pof: internal error: ${(e as Error)?.stack ?? String(e)}\n`);
      process.exitCode = 70;
    }
  },
);
