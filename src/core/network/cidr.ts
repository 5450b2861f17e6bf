import { readFile } from 'node:fs/promises';
import { InvalidArgument } from '../../errdefs/index.js';

/** An IPv4 subnet: the network address as an unsigned 32-bit number and the prefix length. */
export interface Subnet {
  base: number;
  prefix: number;
}

export function parseIp(s: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (!m) return undefined;
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255)) return undefined;
  return parts.reduce((acc, p) => acc * 256 + p, 0);
}

export function formatIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

function mask(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

/** "10.1.2.0/24" → Subnet; the host bits are kept in `ip` for callers that need them (--bip 10.1.2.1/24). */
export function parseCidr(s: string): Subnet & { ip: number } {
  const m = /^([^/]+)\/(\d{1,2})$/.exec(s.trim());
  const ip = m ? parseIp(m[1] as string) : undefined;
  const prefix = m ? Number(m[2]) : NaN;
  if (ip === undefined || !(prefix >= 0 && prefix <= 32)) throw new InvalidArgument(`invalid CIDR address: ${s}`);
  return { base: (ip & mask(prefix)) >>> 0, prefix, ip };
}

export function formatCidr(s: Subnet): string {
  return `${formatIp(s.base)}/${s.prefix}`;
}

export function contains(s: Subnet, ip: number): boolean {
  return ((ip & mask(s.prefix)) >>> 0) === s.base;
}

export function overlaps(a: Subnet, b: Subnet): boolean {
  const p = Math.min(a.prefix, b.prefix);
  return ((a.base & mask(p)) >>> 0) === ((b.base & mask(p)) >>> 0);
}

/** The first host address (Docker's default gateway) and the last usable one. */
export function firstHost(s: Subnet): number {
  return s.base + 1;
}
export function lastHost(s: Subnet): number {
  return s.base + 2 ** (32 - s.prefix) - 2;
}

/** daemon.json `default-address-pools`: each base cut into subnets of `size` bits. */
export interface AddressPool {
  base: string;
  size: number;
}

/** Docker's defaults: 172.17–172.31 as /16s, then 192.168.0.0/16 as /20s. */
export const DEFAULT_POOLS: AddressPool[] = [
  { base: '172.17.0.0/16', size: 16 },
  { base: '172.18.0.0/15', size: 16 },
  { base: '172.20.0.0/14', size: 16 },
  { base: '172.24.0.0/13', size: 16 },
  { base: '192.168.0.0/16', size: 20 },
];

/** The first subnet of the pools that overlaps none of `taken`; undefined when all are used. */
export function pickSubnet(pools: AddressPool[], taken: Subnet[]): Subnet | undefined {
  for (const pool of pools) {
    const base = parseCidr(pool.base);
    if (pool.size < base.prefix || pool.size > 30) throw new InvalidArgument(`invalid address pool ${pool.base} size ${pool.size}`);
    const step = 2 ** (32 - pool.size);
    const count = 2 ** (pool.size - base.prefix);
    for (let i = 0; i < count; i++) {
      const cand = { base: base.base + i * step, prefix: pool.size };
      if (!taken.some((t) => overlaps(t, cand))) return cand;
    }
  }
  return undefined;
}

/** The subnets the host routes already (other than default routes), from /proc/net/route. */
export async function hostRouteSubnets(): Promise<Subnet[]> {
  const text = await readFile('/proc/net/route', 'utf8').catch(() => '');
  const out: Subnet[] = [];
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 8) continue;
    const dest = leHex(f[1] as string);
    const m = leHex(f[7] as string);
    if (m === 0) continue;
    const prefix = 32 - Math.log2(2 ** 32 - m);
    if (!Number.isInteger(prefix)) continue;
    out.push({ base: dest, prefix });
  }
  return out;
}

/** /proc/net/route prints addresses as little-endian hex. */
function leHex(h: string): number {
  const n = parseInt(h, 16);
  return (((n & 255) << 24) | (((n >>> 8) & 255) << 16) | (((n >>> 16) & 255) << 8) | ((n >>> 24) & 255)) >>> 0;
}
