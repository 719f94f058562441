/** Where an observation goes on the sensor's outputs: the console (p0f blocks or JSON) and the -o log. */
import type { Observation } from '../observation.js';
import { formatConsoleBlock } from './console.js';
import { formatJsonLine } from './json.js';
import { writeLogLine } from './p0f-log.js';
import type { FdWriter } from './writer.js';

export function printObservation(ob: Observation, out: FdWriter | null, log: FdWriter | null, json: boolean): void {
  if (out) out.write(json ? formatJsonLine(ob) : formatConsoleBlock(ob));
  if (log) writeLogLine(log, ob);
}
