import { Internal } from '../../errdefs/index.js';
import { RouteSocket, netlinkError } from '../../sys/index.js';
import { parseIp6 } from './cidr6.js';
import {
  AF_INET6,
  IFA_F_NODAD,
  ipBytes,
  AF_BRIDGE,
  IFA_ADDRESS,
  IFA_BROADCAST,
  IFA_LOCAL,
  IFF_UP,
  IFLA_ADDRESS,
  IFLA_BRPORT_MODE,
  IFLA_IFNAME,
  IFLA_INFO_DATA,
  IFLA_INFO_KIND,
  IFLA_LINKINFO,
  IFLA_MASTER,
  IFLA_MTU,
  IFLA_NET_NS_FD,
  IFLA_PROTINFO,
  NLMSG_DONE,
  NLMSG_ERROR,
  NLM_F_ACK,
  NLM_F_CREATE,
  NLM_F_EXCL,
  NLM_F_REPLACE,
  NLM_F_REQUEST,
  RTA_GATEWAY,
  RTA_OIF,
  RTM_DELLINK,
  RTM_GETLINK,
  RTM_NEWADDR,
  RTM_NEWLINK,
  RTM_NEWROUTE,
  RTM_SETLINK,
  VETH_INFO_PEER,
  decodeLink,
  decodeMessages,
  encodeAttrs,
  errorCode,
  ifaddr,
  ifinfo,
  ipv4,
  mac,
  message,
  rtmsg,
  str,
  u32,
  u8,
  type Answer,
  type Attr,
} from './rtnl-codec.js';

const ENODEV = 19;
const ENOENT = 2;

/**
 * Links, addresses and routes of one network namespace over rtnetlink: what `ip link/addr/route`
 * do, without a process per step. Every request is acknowledged; a refusal is an error naming it.
 */
export class Rtnl {
  readonly #sock: RouteSocket;
  #seq = 1;

  private constructor(sock: RouteSocket) {
    this.#sock = sock;
  }

  /** berthd's namespace, or the one whose file is `nsPath`. */
  static open(nsPath?: string): Rtnl {
    return new Rtnl(RouteSocket.open(nsPath));
  }

  close(): void {
    this.#sock.close();
  }

  /** Sends one request and gathers its answers up to the acknowledgement. */
  request(type: number, flags: number, body: Buffer, what: string): Answer[] {
    const seq = this.#seq++;
    this.#sock.send(message(type, NLM_F_REQUEST | NLM_F_ACK | flags, seq, body));
    const got: Answer[] = [];
    for (;;) {
      const dgram = this.#sock.receive();
      if (dgram === null) throw new Internal(`${what}: the kernel gave no answer`);
      for (const a of decodeMessages(dgram)) {
        if (a.seq !== seq) continue;
        if (a.type === NLMSG_ERROR) {
          const errno = errorCode(a);
          if (errno !== 0) throw netlinkError(errno, what);
          return got;
        }
        if (a.type === NLMSG_DONE) return got;
        got.push(a);
      }
    }
  }

  #link(body: Buffer, flags: number, what: string, type = RTM_NEWLINK): void {
    this.request(type, flags, body, what);
  }

  /** A link by name: its index and hardware address; null when there is none. */
  link(name: string): { index: number; mac: string } | null {
    try {
      const [a] = this.request(RTM_GETLINK, 0, Buffer.concat([ifinfo(), encodeAttrs([{ type: IFLA_IFNAME, data: str(name) }])]), `look up link ${name}`);
      return a ? decodeLink(a) : null;
    } catch (e) {
      const errno = (e as { cause?: { errno?: number } }).cause?.errno;
      if (errno === -ENODEV || errno === -ENOENT) return null;
      throw e;
    }
  }

  /** A bridge named `name`, up; an existing one is kept. */
  ensureBridge(name: string, mtu?: number): number {
    const have = this.link(name);
    if (have) {
      this.setUp(have.index);
      return have.index;
    }
    const attrs: Attr[] = [
      { type: IFLA_IFNAME, data: str(name) },
      ...(mtu ? [{ type: IFLA_MTU, data: u32(mtu) }] : []),
      { type: IFLA_LINKINFO, data: [{ type: IFLA_INFO_KIND, data: str('bridge') }] },
    ];
    try {
      this.#link(Buffer.concat([ifinfo({ flags: IFF_UP, change: IFF_UP }), encodeAttrs(attrs)]), NLM_F_CREATE | NLM_F_EXCL, `create bridge ${name}`);
    } catch (e) {
      // Made meanwhile by another berthd (parallel daemons may share a bridge name only by mistake, but then it exists).
      if (!this.link(name)) throw e;
    }
    const made = this.link(name);
    if (!made) throw new Internal(`bridge ${name} vanished after its creation`);
    this.setUp(made.index);
    return made.index;
  }

  /**
   * A veth pair: `hostName` here (a port of the bridge `master`, up, in hairpin mode when asked),
   * its peer `peerName` moved into the namespace of `peerNsFd`, with `peerMac` when given.
   */
  createVeth(o: { hostName: string; peerName: string; peerNsFd: number; master: number; mtu?: number; peerMac?: string }): void {
    const mtu: Attr[] = o.mtu ? [{ type: IFLA_MTU, data: u32(o.mtu) }] : [];
    const peer = Buffer.concat([
      ifinfo(),
      encodeAttrs([{ type: IFLA_IFNAME, data: str(o.peerName) }, { type: IFLA_NET_NS_FD, data: u32(o.peerNsFd) }, ...mtu, ...(o.peerMac ? [{ type: IFLA_ADDRESS, data: mac(o.peerMac) }] : [])]),
    ]);
    const attrs: Attr[] = [
      { type: IFLA_IFNAME, data: str(o.hostName) },
      ...mtu,
      { type: IFLA_MASTER, data: u32(o.master) },
      { type: IFLA_LINKINFO, data: [{ type: IFLA_INFO_KIND, data: str('veth') }, { type: IFLA_INFO_DATA, data: [{ type: VETH_INFO_PEER, data: peer }] }] },
    ];
    this.#link(Buffer.concat([ifinfo({ flags: IFF_UP, change: IFF_UP }), encodeAttrs(attrs)]), NLM_F_CREATE | NLM_F_EXCL, `create veth pair ${o.hostName}`);
  }

  /** A bridge port's hairpin mode: frames may go back out the port they came in by (a container reaching itself through a published port). */
  setHairpin(index: number): void {
    const body = Buffer.concat([ifinfo({ family: AF_BRIDGE, index }), encodeAttrs([{ type: IFLA_PROTINFO, data: [{ type: IFLA_BRPORT_MODE, data: u8(1) }] }])]);
    this.#link(body, 0, `set hairpin mode on link ${index}`, RTM_SETLINK);
  }

  setUp(index: number): void {
    this.#link(ifinfo({ index, flags: IFF_UP, change: IFF_UP }), 0, `set link ${index} up`);
  }

  /**
   * An address on a link; one already there is fine. An IPv6 one skips duplicate address detection,
   * as Docker's do: the address serves at once, not after a second of being tentative.
   */
  addAddress(index: number, ip: string, prefixLen: number, broadcast?: string): void {
    const v6 = parseIp6(ip);
    if (v6 !== undefined) {
      const body = Buffer.concat([ifaddr({ prefixLen, index, family: AF_INET6, flags: IFA_F_NODAD }), encodeAttrs([{ type: IFA_ADDRESS, data: ipBytes(v6) }])]);
      this.request(RTM_NEWADDR, NLM_F_CREATE | NLM_F_REPLACE, body, `add address ${ip}/${prefixLen}`);
      return;
    }
    const attrs: Attr[] = [
      { type: IFA_LOCAL, data: ipv4(ip) },
      { type: IFA_ADDRESS, data: ipv4(ip) },
      ...(broadcast ? [{ type: IFA_BROADCAST, data: ipv4(broadcast) }] : []),
    ];
    this.request(RTM_NEWADDR, NLM_F_CREATE | NLM_F_REPLACE, Buffer.concat([ifaddr({ prefixLen, index }), encodeAttrs(attrs)]), `add address ${ip}/${prefixLen}`);
  }

  /** The default route through `gateway` on link `index`. */
  addDefaultRoute(gateway: string, index: number): void {
    const v6 = parseIp6(gateway);
    const attrs: Attr[] = [
      { type: RTA_GATEWAY, data: v6 === undefined ? ipv4(gateway) : ipBytes(v6) },
      { type: RTA_OIF, data: u32(index) },
    ];
    const head = rtmsg({ dstLen: 0, ...(v6 === undefined ? {} : { family: AF_INET6 }) });
    this.request(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE, Buffer.concat([head, encodeAttrs(attrs)]), `add default route via ${gateway}`);
  }

  /** Deletes a link by name (a veth's peer goes with it); a missing one is fine. */
  deleteLink(name: string): void {
    const have = this.link(name);
    if (!have) return;
    try {
      this.#link(ifinfo({ index: have.index }), 0, `delete link ${name}`, RTM_DELLINK);
    } catch (e) {
      const errno = (e as { cause?: { errno?: number } }).cause?.errno;
      if (errno !== -ENODEV) throw e;
    }
  }
}

