import { createHash } from 'node:crypto';
import { InvalidArgument } from '../../errdefs/index.js';
import { parseIp } from './cidr.js';

/**
 * Addresses of either family as bigints (IPv4 in 32 bits, IPv6 in 128), for what must handle both:
 * IPv6 subnets, address leases of dual-stack networks. IPv6 text is written as RFC 5952 has it
 * (lowercase, no leading zeros, the longest run of zero groups as "::"), as Go's net.IP prints it.
 */
export interface Prefix {
  v6: boolean;
  base: bigint;
  prefix: number;
}

const bits = (v6: boolean): number => (v6 ? 128 : 32);

export function parseIp6(s: string): bigint | undefined {
  if (!/^[0-9a-fA-F:.]+$/.test(s) || !s.includes(':')) return undefined;
  let text = s;
  // An IPv4 tail ("::ffff:1.2.3.4") is two groups.
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const n = parseIp(v4[1] as string);
    if (n === undefined) return undefined;
    text = `${text.slice(0, -(v4[1] as string).length)}${(n >>> 16).toString(16)}:${(n & 0xffff).toString(16)}`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const groups = (h: string): string[] | undefined => (h === '' ? [] : h.split(':'));
  const head = groups(halves[0] as string);
  const tail = halves.length === 2 ? groups(halves[1] as string) : [];
  if (!head || !tail) return undefined;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  const all = [...head, ...Array<string>(missing).fill('0'), ...tail];
  let n = 0n;
  for (const g of all) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
    n = (n << 16n) | BigInt(parseInt(g, 16));
  }
  return n;
}

export function formatIp6(n: bigint): string {
  const groups: number[] = [];
  for (let i = 7; i >= 0; i--) groups.push(Number((n >> BigInt(i * 16)) & 0xffffn));
  // The longest run of two or more zero groups (the first of equal ones) becomes "::".
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

/** An address of either family; undefined for anything else. */
export function parseAddr(s: string): { v6: boolean; n: bigint } | undefined {
  const v4 = parseIp(s);
  if (v4 !== undefined) return { v6: false, n: BigInt(v4) };
  const v6 = parseIp6(s);
  return v6 === undefined ? undefined : { v6: true, n: v6 };
}

export function formatAddr(n: bigint, v6: boolean): string {
  if (v6) return formatIp6(n);
  const x = Number(n);
  return [x >>> 24, (x >>> 16) & 255, (x >>> 8) & 255, x & 255].join('.');
}

/** The canonical text of an address of either family ("FD00:0::05" → "fd00::5"). */
export function canonicalAddr(s: string): string | undefined {
  const a = parseAddr(s);
  return a ? formatAddr(a.n, a.v6) : undefined;
}

function maskOf(v6: boolean, prefix: number): bigint {
  const b = BigInt(bits(v6));
  return ((1n << b) - 1n) ^ ((1n << (b - BigInt(prefix))) - 1n);
}

/** "fd00:1::/64" or "10.1.0.0/24" → Prefix, with the host bits kept in `ip`. */
export function parsePrefix(s: string): Prefix & { ip: bigint } {
  const m = /^([^/]+)\/(\d{1,3})$/.exec(s.trim());
  const a = m ? parseAddr(m[1] as string) : undefined;
  const prefix = m ? Number(m[2]) : NaN;
  if (!a || !(prefix >= 0 && prefix <= bits(a.v6))) throw new InvalidArgument(`invalid CIDR address: ${s}`);
  return { v6: a.v6, base: a.n & maskOf(a.v6, prefix), prefix, ip: a.n };
}

export function formatPrefix(p: Prefix): string {
  return `${formatAddr(p.base, p.v6)}/${p.prefix}`;
}

export function prefixContains(p: Prefix, ip: bigint): boolean {
  return (ip & maskOf(p.v6, p.prefix)) === p.base;
}

export function prefixesOverlap(a: Prefix, b: Prefix): boolean {
  if (a.v6 !== b.v6) return false;
  const m = maskOf(a.v6, Math.min(a.prefix, b.prefix));
  return (a.base & m) === (b.base & m);
}

/** The first host (the default gateway) and the last one a lease may take (an IPv4 broadcast address is not). */
export function hostRange(p: Prefix): { first: bigint; last: bigint } {
  const size = 1n << BigInt(bits(p.v6) - p.prefix);
  return { first: p.base + 1n, last: p.base + size - 2n };
}

/** Whether `ip` is link-local: 169.254.0.0/16 or fe80::/10. */
export function isLinkLocal(s: string): boolean {
  const a = parseAddr(s);
  if (!a) return false;
  return prefixContains(a.v6 ? parsePrefix('fe80::/10') : parsePrefix('169.254.0.0/16'), a.n);
}

/** The first /size subnet of the IPv6 pools that overlaps none of `taken`; undefined when all are used. */
export function pickSubnet6(pools: { base: string; size: number }[], taken: Prefix[]): Prefix | undefined {
  for (const pool of pools) {
    const base = parsePrefix(pool.base);
    if (!base.v6) continue;
    if (pool.size < base.prefix || pool.size > 126) throw new InvalidArgument(`invalid address pool ${pool.base} size ${pool.size}`);
    const step = 1n << BigInt(128 - pool.size);
    // A /48 holds 65536 /64s: enough to search one by one; a wider pool is searched in its first million.
    const count = 1n << BigInt(Math.min(pool.size - base.prefix, 20));
    for (let i = 0n; i < count; i++) {
      const cand: Prefix = { v6: true, base: base.base + i * step, prefix: pool.size };
      if (!taken.some((t) => prefixesOverlap(t, cand))) return cand;
    }
  }
  return undefined;
}

/**
 * dockerd 27+'s IPv6 pool when default-address-pools has none: a unique local /48 (RFC 4193: fd and a
 * 40-bit global id) derived from the engine's id, cut into /64s.
 */
export function ulaPool(engineId: string): { base: string; size: number } {
  const gid = createHash('sha256').update(engineId).digest().subarray(0, 5);
  let n = 0xfdn;
  for (const b of gid) n = (n << 8n) | BigInt(b);
  return { base: formatPrefix({ v6: true, base: n << 80n, prefix: 48 }), size: 64 };
}
