/** The packet decoder: capture record in, reusable TCP view out. */
export { decodePacket } from './packet.js';
export { LinkType, EtherType, IpProto, UdpPort, MAX_TUNNEL_DEPTH } from './constants.js';
export * from './types.js';
