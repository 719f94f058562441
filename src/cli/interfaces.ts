/** `pof -L`, and the interface the sensor listens on when -i is not given. */
import type { InterfaceInfo } from '../capture/live.js';

/** libpcap devices that are not network interfaces. */
const PSEUDO = /^(any|nflog|nfqueue|dbus-|bluetooth|usbmon|dbus$|canxl?\d|vcan)/;

/**
 * The interface without -i: every one ('any') where libpcap has it
 * (Linux), so that loopback and bridge traffic (a web server's PHP asking
 * about a local or a container's connection) is seen as well as the wire's;
 * the capture leaves out the copies of a packet that this shows twice.
 * Elsewhere what p0f does (pcap_lookupdev): the first interface that is up
 * and not loopback, preferring one that is running and has an address
 * (libpcap lists devices best first), and 'any' when nothing suits.
 */
export function defaultInterface(list: readonly InterfaceInfo[]): string {
  if (list.some((d) => d.name === 'any')) return 'any';
  const real = list.filter((d) => !d.loopback && d.up && !PSEUDO.test(d.name));
  const best = real.find((d) => d.running && d.addresses.length > 0) ?? real.find((d) => d.running) ?? real[0];
  return best ? best.name : 'any';
}

/** p0f -L's listing, with the flags libpcap reports. */
export function formatInterfaces(list: readonly InterfaceInfo[]): string {
  let s = '-- Available interfaces --\n';
  list.forEach((d, i) => {
    const flags = [d.up ? 'up' : 'down', d.running ? 'running' : null, d.loopback ? 'loopback' : null, d.wireless ? 'wireless' : null]
      .filter((x) => x !== null)
      .join(', ');
    s += `\n${String(i).padStart(3)}: Name        : ${d.name}\n`;
    s += `     Description : ${d.description ?? '-'}\n`;
    s += `     Flags       : ${flags}\n`;
    for (const a of d.addresses) s += `     ${a.family === 'IPv4' ? 'IP address ' : 'IPv6 addr. '} : ${a.address}\n`;
    if (d.addresses.length === 0) s += '     IP address  : (none)\n';
  });
  return s;
}
