import { mkdir, open, readFile, readdir, rename, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Conflict, InvalidArgument, Unavailable } from '../../errdefs/index.js';
import { formatAddr, hostRange, parseAddr, parsePrefix, prefixContains } from './cidr6.js';

/**
 * Address leases of one bridge network, kept as CNI's host-local plugin keeps them (so either may
 * read what the other wrote): a file per address in use, named by the address and holding
 * "<container id>\r\n<ifname>", and `last_reserved_ip.0` for where the next search starts. An
 * address file is made with O_EXCL, so two leases never share an address even across processes.
 * A dual-stack network has two range sets, IPv4 then IPv6, each with its own `last_reserved_ip.N`.
 */
export interface Range {
  subnet: string;
  gateway: string;
  ipRange?: string;
  /** host-local's index of the range set (0 for IPv4, 1 for the IPv6 set of a dual-stack network). */
  rangeSet?: number;
}

function bounds(r: Range): { first: bigint; last: bigint } {
  let { first, last } = hostRange(parsePrefix(r.subnet));
  if (r.ipRange) {
    const ip = hostRange(parsePrefix(r.ipRange));
    if (ip.first > first) first = ip.first;
    if (ip.last < last) last = ip.last;
  }
  return { first, last };
}

export class HostLocalLeases {
  /** One lease at a time per network in this process: the search and its hint stay in step. */
  readonly #queues = new Map<string, Promise<unknown>>();

  constructor(readonly dir: string) {}

  #serial<T>(network: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.#queues.get(network) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    const tail = next.catch(() => undefined);
    this.#queues.set(network, tail);
    void tail.then(() => {
      if (this.#queues.get(network) === tail) this.#queues.delete(network);
    });
    return next;
  }

  #netDir(network: string): string {
    if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(network)) throw new InvalidArgument(`invalid network name ${JSON.stringify(network)}`);
    return join(this.dir, network);
  }

  /** Leases an address to the container's interface: `requested` if given and free, else the next free one. */
  async lease(network: string, r: Range, owner: { containerId: string; ifname: string }, requested?: string): Promise<string> {
    const dir = this.#netDir(network);
    return this.#serial(network, () => this.#lease(dir, network, r, owner, requested));
  }

  async #lease(dir: string, network: string, r: Range, owner: { containerId: string; ifname: string }, requested?: string): Promise<string> {
    await mkdir(dir, { recursive: true, mode: 0o755 });
    const { first, last } = bounds(r);
    const subnet = parsePrefix(r.subnet);
    const gateway = parseAddr(r.gateway)?.n;
    const LAST = `last_reserved_ip.${r.rangeSet ?? 0}`;
    const content = `${owner.containerId}\r\n${owner.ifname}`;
    const take = async (ip: bigint): Promise<boolean> => {
      const fh = await open(join(dir, formatAddr(ip, subnet.v6)), 'wx', 0o644).catch((e: NodeJS.ErrnoException) => {
        if (e.code === 'EEXIST') return null;
        throw e;
      });
      if (!fh) return false;
      try {
        await fh.writeFile(content);
      } finally {
        await fh.close();
      }
      return true;
    };
    if (requested !== undefined) {
      const a = parseAddr(requested);
      if (a === undefined || a.v6 !== subnet.v6) throw new InvalidArgument(`invalid IP address: ${requested}`);
      const ip = a.n;
      if (!prefixContains(subnet, ip) || ip < first || ip > last) throw new InvalidArgument(`no configured subnet or ip-range contain the IP address ${requested}`);
      if (ip === gateway || !(await take(ip))) throw new Conflict('Address already in use');
      return formatAddr(ip, subnet.v6);
    }
    const prev = parseAddr((await readFile(join(dir, LAST), 'utf8').catch(() => '')).trim())?.n;
    const start = prev !== undefined && prev >= first && prev < last ? prev + 1n : first;
    const size = last - first + 1n;
    for (let i = 0n; i < size; i++) {
      const ip = first + ((start - first + i) % size);
      if (ip === gateway) continue;
      if (await take(ip)) {
        // Only a hint for the next search: a failure to keep it loses nothing.
        const tmp = join(dir, `.${LAST}.${process.pid}.tmp`);
        await writeFile(tmp, formatAddr(ip, subnet.v6))
          .then(() => rename(tmp, join(dir, LAST)))
          .catch(() => unlink(tmp).catch(() => undefined));
        return formatAddr(ip, subnet.v6);
      }
    }
    throw new Unavailable(`no IP addresses available in network ${network}: ${r.subnet} is full`);
  }

  /** Releases what the container's interface holds on the network; nothing held is fine. */
  async release(network: string, owner: { containerId: string; ifname: string }): Promise<void> {
    const dir = this.#netDir(network);
    const names = await readdir(dir).catch(() => [] as string[]);
    const want = `${owner.containerId}\r\n${owner.ifname}`;
    for (const n of names) {
      if (parseAddr(n) === undefined) continue;
      const text = await readFile(join(dir, n), 'utf8').catch(() => '');
      // host-local before 1.0 wrote the container id alone.
      if (text.trim() === want || text.trim() === owner.containerId) await unlink(join(dir, n)).catch(() => undefined);
    }
  }
}
