import { connect, createServer, type Server, type Socket } from 'node:net';
import { Conflict } from '../../errdefs/index.js';

/** One published port over IPv6: where berthd listens, and the container's address it relays to. */
export interface Ipv6Relay {
  hostIp: string;
  hostPort: number;
  target: string;
  targetPort: number;
}

/**
 * Published TCP ports on IPv6 host addresses, relayed in berthd as dockerd's docker-proxy relays
 * them (its userland-proxy, on by default): a listener on [::]:PORT (IPv6 only: the IPv4 side is
 * portmap's) or on the one address asked for, each connection piped to the container's IPv6 address.
 * Unlike DNAT, this reaches the container from [::1] too (the kernel does not route IPv6 loopback
 * traffic out). The listeners live in berthd: a restart opens them again for running containers.
 */
export class Ipv6PortProxies {
  readonly #byContainer = new Map<string, Server[]>();

  async open(containerId: string, relays: Ipv6Relay[]): Promise<void> {
    const servers: Server[] = [...(this.#byContainer.get(containerId) ?? [])];
    this.#byContainer.set(containerId, servers);
    for (const r of relays) {
      const srv = createServer({ allowHalfOpen: true }, (client) => relay(client, r));
      await new Promise<void>((resolve, reject) => {
        srv.once('error', (e: NodeJS.ErrnoException) => {
          reject(e.code === 'EADDRINUSE' ? new Conflict(`Bind for [${r.hostIp}]:${r.hostPort} failed: port is already allocated`, { cause: e }) : e);
        });
        srv.listen({ host: r.hostIp, port: r.hostPort, ipv6Only: true, exclusive: true }, () => resolve());
      }).catch((e: unknown) => {
        this.close(containerId);
        throw e;
      });
      srv.on('error', () => undefined);
      servers.push(srv);
    }
  }

  /** Stops the container's listeners (its open connections end with the container's address). */
  close(containerId: string): void {
    for (const s of this.#byContainer.get(containerId) ?? []) s.close();
    this.#byContainer.delete(containerId);
  }

  /** Stops every listener (berthd's stop: the containers outlive it, their relays come back with the next). */
  closeAll(): void {
    for (const key of [...this.#byContainer.keys()]) this.close(key);
  }

  /** Whether the container has listeners here (a restarted berthd opens them again). */
  has(containerId: string): boolean {
    return this.#byContainer.has(containerId);
  }
}

function relay(client: Socket, r: Ipv6Relay): void {
  const up = connect({ host: r.target, port: r.targetPort, allowHalfOpen: true });
  const end = (): void => {
    client.destroy();
    up.destroy();
  };
  client.on('error', end);
  up.on('error', end);
  client.pipe(up);
  up.pipe(client);
}
