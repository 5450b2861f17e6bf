import { mkdir, open, readFile, readdir, rename, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Conflict, InvalidArgument, Unavailable } from '../../errdefs/index.js';
import { contains, firstHost, formatIp, lastHost, parseCidr, parseIp } from './cidr.js';

/**
 * Address leases of one bridge network, kept as CNI's host-local plugin keeps them (so either may
 * read what the other wrote): a file per address in use, named by the address and holding
 * "<container id>\r\n<ifname>", and `last_reserved_ip.0` for where the next search starts. An
 * address file is made with O_EXCL, so two leases never share an address even across processes.
 */
export interface Range {
  subnet: string;
  gateway: string;
  ipRange?: string;
}

const LAST = 'last_reserved_ip.0';

function bounds(r: Range): { first: number; last: number } {
  const subnet = parseCidr(r.subnet);
  let first = firstHost(subnet);
  let last = lastHost(subnet);
  if (r.ipRange) {
    const ip = parseCidr(r.ipRange);
    first = Math.max(first, firstHost(ip));
    last = Math.min(last, lastHost(ip));
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
    const gateway = parseIp(r.gateway);
    const subnet = parseCidr(r.subnet);
    const content = `${owner.containerId}\r\n${owner.ifname}`;
    const take = async (ip: number): Promise<boolean> => {
      const fh = await open(join(dir, formatIp(ip)), 'wx', 0o644).catch((e: NodeJS.ErrnoException) => {
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
      const ip = parseIp(requested);
      if (ip === undefined) throw new InvalidArgument(`invalid IP address: ${requested}`);
      if (!contains(subnet, ip) || ip < first || ip > last) throw new InvalidArgument(`no configured subnet or ip-range contain the IP address ${requested}`);
      if (ip === gateway || !(await take(ip))) throw new Conflict('Address already in use');
      return requested;
    }
    const prev = parseIp((await readFile(join(dir, LAST), 'utf8').catch(() => '')).trim());
    const start = prev !== undefined && prev >= first && prev < last ? prev + 1 : first;
    const size = last - first + 1;
    for (let i = 0; i < size; i++) {
      const ip = first + ((start - first + i) % size);
      if (ip === gateway) continue;
      if (await take(ip)) {
        // Only a hint for the next search: a failure to keep it loses nothing.
        const tmp = join(dir, `.${LAST}.${process.pid}.tmp`);
        await writeFile(tmp, formatIp(ip))
          .then(() => rename(tmp, join(dir, LAST)))
          .catch(() => unlink(tmp).catch(() => undefined));
        return formatIp(ip);
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
      if (parseIp(n) === undefined) continue;
      const text = await readFile(join(dir, n), 'utf8').catch(() => '');
      // host-local before 1.0 wrote the container id alone.
      if (text.trim() === want || text.trim() === owner.containerId) await unlink(join(dir, n)).catch(() => undefined);
    }
  }
}
