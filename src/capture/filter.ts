/**
 * BPF filter expressions applied to packets that did not come from a live
 * handle (capture files), so that p0f's trailing filter expression works
 * with -r too. Compiled by libpcap for the file's link type, through the
 * native addon.
 */
import { SNAPLEN } from '../config.js';
import { PofError } from '../errors.js';
import { loadAddon, nativeError } from './live.js';
import type { PacketRecord } from './types.js';

export type PacketFilter = (rec: PacketRecord) => boolean;

/**
 * Compiles `expr` for packets of `linkType` (LINKTYPE_*) captured with
 * `snaplen`. Throws PofError('E_USAGE') for a bad expression, with libpcap's
 * explanation, and PofError('E_LIVE') when the addon is not built.
 */
export function compileOfflineFilter(expr: string, linkType: number, snaplen: number = SNAPLEN): PacketFilter {
  if (typeof expr !== 'string') throw new PofError('E_USAGE', 'a filter expression must be a string');
  if (!Number.isInteger(linkType) || linkType < 0) throw new PofError('E_USAGE', `bad link type ${String(linkType)}`);
  if (!Number.isInteger(snaplen) || snaplen < 1) throw new PofError('E_USAGE', `bad snaplen ${String(snaplen)}`);
  const native = loadAddon();
  let f: InstanceType<typeof native.OfflineFilter>;
  try {
    f = new native.OfflineFilter(linkType, snaplen, expr);
  } catch (e) {
    throw nativeError(e, undefined, 'E_USAGE');
  }
  return (rec) => f.matches(rec.data, rec.offset, rec.caplen, rec.wirelen);
}
