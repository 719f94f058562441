/** The packet decoder: capture record in, reusable TCP or UDP view out. */
export { decodeFrame, decodePacket } from './packet.js';
export { newDecodeState, type DecodeState, type FrameOutcome } from './state.js';
export { LinkType, EtherType, IpProto, UdpPort, MAX_TUNNEL_DEPTH } from './constants.js';
export * from './types.js';
