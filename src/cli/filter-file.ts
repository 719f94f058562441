/**
 * p0f's trailing filter expression, applied to capture files: compiled
 * through libpcap once per link type met in the file (pcapng files may mix
 * link types). A link type libpcap cannot compile for lets nothing through.
 */
import type { PacketRecord } from '../capture/types.js';
import { compileOfflineFilter } from '../capture/filter.js';
import { SNAPLEN } from '../config.js';

export function compileOfflineFilterForFile(expr: string): (rec: PacketRecord) => boolean {
  // Compile once up front so a bad expression is reported before reading.
  const first = compileOfflineFilter(expr, 1, SNAPLEN);
  const byLink = new Map<number, (rec: PacketRecord) => boolean>([[1, first]]);
  return (rec) => {
    let f = byLink.get(rec.linkType);
    if (!f) {
      try {
        f = compileOfflineFilter(expr, rec.linkType, SNAPLEN);
      } catch {
        f = () => false;
      }
      byLink.set(rec.linkType, f);
    }
    return f(rec);
  };
}
