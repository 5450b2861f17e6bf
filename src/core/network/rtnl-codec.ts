/*
 * rtnetlink messages (linux/netlink.h, linux/rtnetlink.h, linux/if_link.h): a header, a fixed
 * family struct, then attributes (type, length, payload padded to 4 bytes; nested ones hold
 * attributes). Little-endian, as on every machine berth runs on. Pure: no socket here.
 */

export const RTM_NEWLINK = 16;
export const RTM_DELLINK = 17;
export const RTM_GETLINK = 18;
export const RTM_SETLINK = 19;
export const RTM_NEWADDR = 20;
export const RTM_NEWROUTE = 24;

export const NLMSG_ERROR = 2;
export const NLMSG_DONE = 3;
export const NLM_F_REQUEST = 0x1;
export const NLM_F_MULTI = 0x2;
export const NLM_F_ACK = 0x4;
export const NLM_F_REPLACE = 0x100;
export const NLM_F_EXCL = 0x200;
export const NLM_F_CREATE = 0x400;
export const NLA_F_NESTED = 0x8000;

export const AF_UNSPEC = 0;
export const AF_INET = 2;
export const AF_INET6 = 10;
export const AF_BRIDGE = 7;
export const IFF_UP = 0x1;

export const IFLA_ADDRESS = 1;
export const IFLA_IFNAME = 3;
export const IFLA_MTU = 4;
export const IFLA_MASTER = 10;
export const IFLA_PROTINFO = 12;
export const IFLA_LINKINFO = 18;
export const IFLA_NET_NS_FD = 28;
export const IFLA_INFO_KIND = 1;
export const IFLA_INFO_DATA = 2;
export const VETH_INFO_PEER = 1;
export const IFLA_BRPORT_MODE = 4;

export const IFA_ADDRESS = 1;
export const IFA_LOCAL = 2;
export const IFA_BROADCAST = 4;
/** ifa_flags: no duplicate address detection (Docker's flag for container and bridge addresses). */
export const IFA_F_NODAD = 0x02;

export const RTA_DST = 1;
export const RTA_OIF = 4;
export const RTA_GATEWAY = 5;
export const RT_TABLE_MAIN = 254;
export const RTPROT_BOOT = 3;
export const RT_SCOPE_UNIVERSE = 0;
export const RT_SCOPE_LINK = 253;
export const RTN_UNICAST = 1;

const align = (n: number): number => (n + 3) & ~3;

/** One attribute: its type and payload (a Buffer, or nested attributes). */
export interface Attr {
  type: number;
  data: Buffer | Attr[];
}

export function encodeAttrs(attrs: Attr[]): Buffer {
  const parts: Buffer[] = [];
  for (const a of attrs) {
    const nested = Array.isArray(a.data);
    const payload = nested ? encodeAttrs(a.data as Attr[]) : (a.data as Buffer);
    const head = Buffer.alloc(4);
    head.writeUInt16LE(4 + payload.length, 0);
    head.writeUInt16LE(a.type | (nested ? NLA_F_NESTED : 0), 2);
    parts.push(head, payload, Buffer.alloc(align(payload.length) - payload.length));
  }
  return Buffer.concat(parts);
}

/** Attributes of a payload, by type (the nested flag stripped); the last of a repeated type wins. */
export function decodeAttrs(buf: Buffer): Map<number, Buffer> {
  const out = new Map<number, Buffer>();
  let off = 0;
  while (off + 4 <= buf.length) {
    const len = buf.readUInt16LE(off);
    const type = buf.readUInt16LE(off + 2) & ~NLA_F_NESTED & 0x7fff;
    if (len < 4 || off + len > buf.length) break;
    out.set(type, buf.subarray(off + 4, off + len));
    off += align(len);
  }
  return out;
}

export const u8 = (v: number): Buffer => Buffer.from([v]);
export function u32(v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(v >>> 0, 0);
  return b;
}
export const str = (s: string): Buffer => Buffer.concat([Buffer.from(s), Buffer.alloc(1)]);
export function ipv4(ip: string): Buffer {
  return Buffer.from(ip.split('.').map(Number));
}
/** An address of either family in network byte order: 4 bytes, or 16 for IPv6 (given as a bigint). */
export function ipBytes(ip: string | bigint): Buffer {
  if (typeof ip === 'string') return ipv4(ip);
  const b = Buffer.alloc(16);
  for (let i = 0; i < 16; i++) b[i] = Number((ip >> BigInt(8 * (15 - i))) & 0xffn);
  return b;
}
export function mac(text: string): Buffer {
  return Buffer.from(text.split(':').map((h) => parseInt(h, 16)));
}
export function macText(b: Buffer): string {
  return [...b].map((x) => x.toString(16).padStart(2, '0')).join(':');
}

/** struct ifinfomsg: family, type, index, flags, change. */
export function ifinfo(o: { family?: number; index?: number; flags?: number; change?: number } = {}): Buffer {
  const b = Buffer.alloc(16);
  b.writeUInt8(o.family ?? AF_UNSPEC, 0);
  b.writeInt32LE(o.index ?? 0, 4);
  b.writeUInt32LE(o.flags ?? 0, 8);
  b.writeUInt32LE(o.change ?? 0, 12);
  return b;
}

/** struct ifaddrmsg: family, prefix length, flags, scope, index. */
export function ifaddr(o: { prefixLen: number; index: number; scope?: number; family?: number; flags?: number }): Buffer {
  const b = Buffer.alloc(8);
  b.writeUInt8(o.family ?? AF_INET, 0);
  b.writeUInt8(o.prefixLen, 1);
  b.writeUInt8(o.flags ?? 0, 2);
  b.writeUInt8(o.scope ?? RT_SCOPE_UNIVERSE, 3);
  b.writeUInt32LE(o.index, 4);
  return b;
}

/** struct rtmsg of a unicast route (IPv4 unless `family` says otherwise) in the main table. */
export function rtmsg(o: { dstLen: number; scope?: number; family?: number }): Buffer {
  const b = Buffer.alloc(12);
  b.writeUInt8(o.family ?? AF_INET, 0);
  b.writeUInt8(o.dstLen, 1);
  b.writeUInt8(RT_TABLE_MAIN, 4);
  b.writeUInt8(RTPROT_BOOT, 5);
  b.writeUInt8(o.scope ?? RT_SCOPE_UNIVERSE, 6);
  b.writeUInt8(RTN_UNICAST, 7);
  return b;
}

export function message(type: number, flags: number, seq: number, body: Buffer): Buffer {
  const h = Buffer.alloc(16);
  h.writeUInt32LE(16 + body.length, 0);
  h.writeUInt16LE(type, 4);
  h.writeUInt16LE(flags, 6);
  h.writeUInt32LE(seq, 8);
  return Buffer.concat([h, body]);
}

export interface Answer {
  type: number;
  flags: number;
  seq: number;
  payload: Buffer;
}

/** The messages of one datagram. */
export function decodeMessages(buf: Buffer): Answer[] {
  const out: Answer[] = [];
  let off = 0;
  while (off + 16 <= buf.length) {
    const len = buf.readUInt32LE(off);
    if (len < 16 || off + len > buf.length) break;
    out.push({ type: buf.readUInt16LE(off + 4), flags: buf.readUInt16LE(off + 6), seq: buf.readUInt32LE(off + 8), payload: buf.subarray(off + 16, off + len) });
    off += align(len);
  }
  return out;
}

/** The errno an NLMSG_ERROR carries (0: the acknowledgement of success). */
export function errorCode(a: Answer): number {
  return -a.payload.readInt32LE(0);
}

/** A link answer (RTM_NEWLINK): its index, name and hardware address. */
export function decodeLink(a: Answer): { index: number; name: string; mac: string } {
  const attrs = decodeAttrs(a.payload.subarray(16));
  const name = attrs.get(IFLA_IFNAME);
  const addr = attrs.get(IFLA_ADDRESS);
  return { index: a.payload.readInt32LE(4), name: name ? name.toString('utf8').replace(/\0.*$/, '') : '', mac: addr ? macText(addr) : '' };
}
