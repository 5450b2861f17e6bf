import { createSocket, type Socket } from 'node:dgram';
import { readFile } from 'node:fs/promises';
import { buildResponse, parseQuery, RCODE_NXDOMAIN, RCODE_SERVFAIL, TYPE_A, TYPE_AAAA } from './dns-codec.js';

/** Answers a name on one network, asked from `from`: its IPv4 and IPv6 addresses, or undefined when the name is not a container there. */
export type NameLookup = (listenIp: string, name: string, from?: string) => { v4: string[]; v6: string[] } | undefined;

/**
 * The embedded DNS of user-defined networks. Docker answers at 127.0.0.11 inside each container
 * through per-container iptables DNAT; berth listens on each user network's gateway address instead
 * (the bridge holds it, every container on the network routes to it, no per-container rules), and
 * the containers' resolv.conf names that address.
 */
export class DnsResponder {
  readonly #sockets = new Map<string, Socket>();
  #upstreams: string[] | undefined;

  constructor(
    readonly lookup: NameLookup,
    readonly log: (msg: string, err?: unknown) => void,
  ) {}

  /** Starts answering on ip:53; idempotent. Fails when the address is not on the host yet. */
  async listen(ip: string): Promise<void> {
    if (this.#sockets.has(ip)) return;
    const s = createSocket({ type: 'udp4', reuseAddr: false });
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.bind({ address: ip, port: 53, exclusive: true }, () => {
        s.off('error', reject);
        resolve();
      });
    });
    s.on('error', (e) => this.log(`dns on ${ip}`, e));
    s.on('message', (msg, rinfo) => void this.#answer(s, ip, msg, rinfo.address, rinfo.port));
    this.#sockets.set(ip, s);
  }

  close(ip: string): void {
    this.#sockets.get(ip)?.close();
    this.#sockets.delete(ip);
  }

  closeAll(): void {
    for (const ip of [...this.#sockets.keys()]) this.close(ip);
  }

  async #answer(s: Socket, ip: string, msg: Buffer, addr: string, port: number): Promise<void> {
    const q = parseQuery(msg);
    if (!q) return;
    const name = q.name.replace(/\.$/, '').toLowerCase();
    const found = this.lookup(ip, name, addr);
    if (found) {
      // A container without IPv6 gets an empty AAAA answer (no error), so resolvers take its A at once.
      s.send(buildResponse(msg, q, q.type === TYPE_A ? found.v4 : q.type === TYPE_AAAA ? found.v6 : []), port, addr);
      return;
    }
    // A single label that is no container here is no host's name either: answer at once, send nothing out.
    if (!name.includes('.')) {
      s.send(buildResponse(msg, q, [], RCODE_NXDOMAIN), port, addr);
      return;
    }
    const reply = await this.#forward(msg).catch(() => undefined);
    s.send(reply ?? buildResponse(msg, q, [], RCODE_SERVFAIL), port, addr);
  }

  /** Other names go to the host's resolvers (its resolv.conf, loopback ones left out: they are not ours to reach). */
  async #forward(msg: Buffer): Promise<Buffer | undefined> {
    this.#upstreams ??= await hostNameservers();
    for (const up of this.#upstreams) {
      const reply = await udpExchange(msg, up, 2000).catch(() => undefined);
      if (reply) return reply;
    }
    return undefined;
  }
}

/** The host's nameservers, without loopback ones (a container cannot reach the host's 127.x). */
export async function hostNameservers(path = '/etc/resolv.conf'): Promise<string[]> {
  const text = await readFile(path, 'utf8').catch(() => '');
  return [...text.matchAll(/^\s*nameserver\s+(\S+)/gm)].map((m) => m[1] as string).filter((ip) => !ip.startsWith('127.') && ip !== '::1');
}

function udpExchange(msg: Buffer, server: string, timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const s = createSocket(server.includes(':') ? 'udp6' : 'udp4');
    const timer = setTimeout(() => {
      s.close();
      reject(new Error('timeout'));
    }, timeoutMs);
    s.once('message', (reply) => {
      clearTimeout(timer);
      s.close();
      resolve(reply);
    });
    s.once('error', (e) => {
      clearTimeout(timer);
      s.close();
      reject(e);
    });
    s.send(msg, 53, server);
  });
}
