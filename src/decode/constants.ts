/**
 * Numbers the decoder dispatches on: capture link types (pcap-linktype(7)),
 * EtherTypes, IP protocol numbers, tunnel ports, and the nesting limit.
 */

/** LINKTYPE_* values the decoder understands. */
export const LinkType = {
  NULL: 0,
  ETHERNET: 1,
  PPP: 9,
  /** DLT_RAW as most systems number it, and as OpenBSD does. */
  RAW_12: 12,
  RAW_14: 14,
  PPP_HDLC: 50,
  PPP_ETHER: 51,
  RAW: 101,
  C_HDLC: 104,
  ARCNET_LINUX: 129,
  LOOP: 108,
  LINUX_SLL: 113,
  IPV4: 228,
  IPV6: 229,
  NFLOG: 239,
  LINUX_SLL2: 276,
} as const;

export const EtherType = {
  IPV4: 0x0800,
  IPV6: 0x86dd,
  ARP: 0x0806,
  VLAN: 0x8100,
  QINQ: 0x88a8,
  QINQ_OLD: 0x9100,
  QINQ_OLD2: 0x9200,
  VNTAG: 0x8926,
  MPLS: 0x8847,
  MPLS_MC: 0x8848,
  PPPOE_DISC: 0x8863,
  PPPOE_SESS: 0x8864,
  /** Transparent Ethernet bridging: an Ethernet frame follows (GRE, Geneve). */
  TEB: 0x6558,
  ERSPAN_2: 0x88be,
  ERSPAN_3: 0x22eb,
  /** PPP, as carried by PPTP's enhanced GRE. */
  PPP: 0x880b,
} as const;

export const PppProto = {
  IPV4: 0x0021,
  IPV6: 0x0057,
} as const;

export const IpProto = {
  HOPOPTS: 0,
  IPIP: 4,
  TCP: 6,
  UDP: 17,
  IPV6: 41,
  ROUTING: 43,
  FRAGMENT: 44,
  GRE: 47,
  AH: 51,
  NONE: 59,
  DSTOPTS: 60,
} as const;

export const UdpPort = {
  VXLAN: 4789,
  VXLAN_GPE: 4790,
  GENEVE: 6081,
  GTP_U: 2152,
  GRE_UDP: 4754,
  TEREDO: 3544,
  AYIYA: 5072,
} as const;

/** ARCNET protocol ids: RFC 1201 (IPv4, IPv6) and RFC 1051 (IPv4). */
export const ArcnetProto = {
  IPV4_1201: 0xd4,
  IPV6_1201: 0xc4,
  IPV4_1051: 0xf0,
} as const;

/** Address family values a NULL/LOOP header may carry for IPv4 and IPv6. */
export const AF_INET = 2;
export const AF_INET6_BSD = 24;
export const AF_INET6_FREEBSD = 28;
export const AF_INET6_DARWIN = 30;
/** NFLOG's family byte for IPv6 (Linux AF_INET6). */
export const AF_INET6_LINUX = 10;

/** Most tunnels nested inside one another before a packet is given up. */
export const MAX_TUNNEL_DEPTH = 8;

