/**
 * Which endpoints serve a registry domain: mirrors first (in order), then the origin; and whether
 * each is spoken to over plain HTTP (127.0.0.0/8, ::1 and localhost by default, plus
 * `insecure-registries`).
 */
export interface RegistryEndpoint {
  /** http://127.0.0.1:5000 or https://registry-1.docker.io */
  origin: string;
  /** The host as credentials and tokens are keyed (docker.io for Docker Hub). */
  authHost: string;
  mirror: boolean;
}

export interface HostsConfig {
  /** Per-domain mirror origins; `registry-mirrors` from daemon.json lands under docker.io. */
  mirrors?: Record<string, string[]>;
  /** Hosts (host or host:port) or IPv4 CIDRs spoken to over plain HTTP. */
  insecure?: string[];
}

export const DOCKER_HUB = 'docker.io';
const DOCKER_HUB_ORIGIN = 'https://registry-1.docker.io';

function ipv4ToInt(ip: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(ip);
  if (!m) return undefined;
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255)) return undefined;
  return parts.reduce((n, p) => n * 256 + p, 0);
}

function inCidr(ip: string, cidr: string): boolean {
  const [base, bitsStr] = cidr.split('/');
  const a = ipv4ToInt(ip);
  const b = ipv4ToInt(base ?? '');
  const bits = Number(bitsStr);
  if (a === undefined || b === undefined || !Number.isInteger(bits) || bits < 0 || bits > 32) return false;
  if (bits === 0) return true;
  const shift = 32 - bits;
  return Math.floor(a / 2 ** shift) === Math.floor(b / 2 ** shift);
}

function hostOnly(domain: string): string {
  if (domain.startsWith('[')) return domain.slice(1, domain.indexOf(']'));
  const i = domain.lastIndexOf(':');
  return i > 0 ? domain.slice(0, i) : domain;
}

/** Whether `domain` (host[:port]) is spoken to over plain HTTP. */
export function isInsecure(domain: string, insecure: readonly string[] = []): boolean {
  const host = hostOnly(domain);
  if (host === 'localhost' || host === '::1' || inCidr(host, '127.0.0.0/8')) return true;
  return insecure.some((entry) => entry === domain || entry === host || (entry.includes('/') && inCidr(host, entry)));
}

function originOf(domain: string, insecure: readonly string[]): string {
  if (domain === DOCKER_HUB) return DOCKER_HUB_ORIGIN;
  return `${isInsecure(domain, insecure) ? 'http' : 'https'}://${domain}`;
}

function normalizeMirror(m: string, insecure: readonly string[]): string {
  const withScheme = /^https?:\/\//.test(m) ? m : originOf(m, insecure);
  return withScheme.replace(/\/+$/, '');
}

export class RegistryHosts {
  readonly #mirrors: Record<string, string[]>;
  readonly #insecure: string[];

  constructor(cfg: HostsConfig = {}) {
    this.#mirrors = cfg.mirrors ?? {};
    this.#insecure = cfg.insecure ?? [];
  }

  /** Endpoints to read from, mirrors first. */
  pullEndpoints(domain: string): RegistryEndpoint[] {
    const mirrors = (this.#mirrors[domain] ?? []).map((m) => {
      const origin = normalizeMirror(m, this.#insecure);
      return { origin, authHost: new URL(origin).host, mirror: true };
    });
    return [...mirrors, this.pushEndpoint(domain)];
  }

  /** Pushes and logins go to the origin only. */
  pushEndpoint(domain: string): RegistryEndpoint {
    return { origin: originOf(domain, this.#insecure), authHost: domain, mirror: false };
  }
}
