/**
 * Which endpoints serve a registry domain: mirrors first (in order), then the origin; and whether
 * each is insecure (127.0.0.0/8, ::1 and localhost by default, plus `insecure-registries`): as in
 * dockerd, an insecure registry is tried over HTTPS without verifying its certificate, then over
 * plain HTTP.
 */
export interface RegistryEndpoint {
  /** https://127.0.0.1:5000 or https://registry-1.docker.io (http:// only for a mirror given so). */
  origin: string;
  /** Certificate not verified, plain HTTP when HTTPS fails. */
  insecure: boolean;
  /** The host as credentials and tokens are keyed (docker.io for Docker Hub). */
  authHost: string;
  mirror: boolean;
}

export interface HostsConfig {
  /** Per-domain mirror origins; `registry-mirrors` from daemon.json lands under docker.io. */
  mirrors?: Record<string, string[]>;
  /** Hosts (host or host:port) or IPv4 CIDRs whose certificates are not verified, with plain HTTP as fallback. */
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

/** Whether `domain` (host[:port]) is an insecure registry. */
export function isInsecure(domain: string, insecure: readonly string[] = []): boolean {
  const host = hostOnly(domain);
  if (host === 'localhost' || host === '::1' || inCidr(host, '127.0.0.0/8')) return true;
  return insecure.some((entry) => entry === domain || entry === host || (entry.includes('/') && inCidr(host, entry)));
}

function originOf(domain: string): string {
  return domain === DOCKER_HUB ? DOCKER_HUB_ORIGIN : `https://${domain}`;
}

export class RegistryHosts {
  readonly #mirrors: Record<string, string[]>;
  readonly #insecure: string[];

  constructor(cfg: HostsConfig = {}) {
    this.#mirrors = cfg.mirrors ?? {};
    this.#insecure = cfg.insecure ?? [];
  }

  get config(): HostsConfig {
    return { mirrors: this.#mirrors, insecure: this.#insecure };
  }

  /** Endpoints to read from, mirrors first. */
  pullEndpoints(domain: string): RegistryEndpoint[] {
    const mirrors = (this.#mirrors[domain] ?? []).map((m) => {
      const origin = (/^https?:\/\//.test(m) ? m : `https://${m}`).replace(/\/+$/, '');
      const host = new URL(origin).host;
      return { origin, authHost: host, mirror: true, insecure: isInsecure(host, this.#insecure) };
    });
    return [...mirrors, this.pushEndpoint(domain)];
  }

  /** Pushes and logins go to the origin only. */
  pushEndpoint(domain: string): RegistryEndpoint {
    return { origin: originOf(domain), authHost: domain, mirror: false, insecure: domain !== DOCKER_HUB && isInsecure(domain, this.#insecure) };
  }
}
