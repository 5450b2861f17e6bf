import { createSocket } from 'node:dgram';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';

/**
 * Whether nothing on the host listens on ip:port. portmap's DNAT would silently take the port from
 * a host service; Docker's docker-proxy fails to bind instead, and so does berth, by trying.
 */
export function hostPortFree(ip: string, port: number, proto: 'tcp' | 'udp' | 'sctp'): Promise<boolean> {
  const host = ip || '0.0.0.0';
  if (proto === 'udp') {
    return new Promise((resolve) => {
      const s = createSocket(host.includes(':') ? 'udp6' : 'udp4');
      s.once('error', () => resolve(false));
      s.bind({ address: host, port, exclusive: true }, () => s.close(() => resolve(true)));
    });
  }
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen({ host, port, exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

/** The kernel's ephemeral range, where Docker picks ports for `-p CTR` and `-P`. */
export async function ephemeralRange(): Promise<[number, number]> {
  const text = await readFile('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').catch(() => '32768 60999');
  const [a = 32768, b = 60999] = text.trim().split(/\s+/).map(Number);
  return [a, b];
}

/** A free host port from the ephemeral range that `taken` does not hold. */
export async function pickHostPort(ip: string, proto: 'tcp' | 'udp' | 'sctp', taken: (port: number) => boolean): Promise<number | undefined> {
  const [lo, hi] = await ephemeralRange();
  for (let i = 0; i < 64; i++) {
    const port = lo + Math.floor(Math.random() * (hi - lo + 1));
    if (!taken(port) && (await hostPortFree(ip, port, proto))) return port;
  }
  return undefined;
}
