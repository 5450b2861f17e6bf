import { rootCertificates } from 'node:tls';
import type { Agent } from 'undici';
import { Unavailable } from '../../errdefs/index.js';
import { readHostTls } from './certs.js';
import type { RegistryEndpoint } from './hosts.js';

type Undici = typeof import('undici');
let undiciLoading: Promise<Undici> | undefined;
/** undici adds about 20 MB to a process: berthd loads it on its first registry request, not at start. */
export function undici(): Promise<Undici> {
  undiciLoading ??= import('undici');
  return undiciLoading;
}

export interface TransportOptions {
  /** Connections per origin (several layers at once). */
  connections: number;
  /** Directories of per-host TLS files (`<dir>/<host:port>/ca.crt`, `client.cert`, `client.key`). */
  certsDirs: readonly string[];
}

/** Node's codes for a certificate it could not verify, with Go's words for them (what Docker prints). */
const X509: Record<string, string> = {
  DEPTH_ZERO_SELF_SIGNED_CERT: 'certificate signed by unknown authority',
  SELF_SIGNED_CERT_IN_CHAIN: 'certificate signed by unknown authority',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'certificate signed by unknown authority',
  UNABLE_TO_GET_ISSUER_CERT: 'certificate signed by unknown authority',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'certificate signed by unknown authority',
  CERT_HAS_EXPIRED: 'certificate has expired or is not yet valid',
  CERT_NOT_YET_VALID: 'certificate has expired or is not yet valid',
  ERR_TLS_CERT_ALTNAME_INVALID: 'certificate is not valid for this host',
};

function codeOf(e: unknown): string | undefined {
  for (let c: unknown = e, i = 0; c && i < 4; c = (c as { cause?: unknown }).cause, i++) {
    const code = (c as { code?: unknown }).code;
    if (typeof code === 'string' && code in X509) return code;
  }
  return undefined;
}

/**
 * Which connection pool carries a request, as dockerd chooses its transport: the system's CAs by
 * default; for a host with a certs.d directory its CAs added and its client certificate presented;
 * for an insecure registry no verification at all, and plain HTTP once HTTPS has failed there.
 */
export class Transports {
  #plain = new Set<string>();
  #default: Agent | undefined;
  readonly #tls = new Map<string, Agent>();

  constructor(private readonly opts: TransportOptions) {}

  /** The origin requests to `ep` go to now: its own, or http:// after an insecure fallback. */
  originOf(ep: RegistryEndpoint): string {
    return this.#plain.has(ep.origin) ? ep.origin.replace(/^https:/, 'http:') : ep.origin;
  }

  /**
   * After a request to `target` failed before any answer: the plain-HTTP URL to retry when `ep` is
   * insecure and HTTPS did not get through (dockerd's fallback), else undefined.
   */
  fallback(ep: RegistryEndpoint, target: string): string | undefined {
    if (!ep.insecure || !target.startsWith('https:') || new URL(target).host !== new URL(ep.origin).host) return undefined;
    this.#plain.add(ep.origin);
    return target.replace(/^https:/, 'http:');
  }

  /** Origins reached over plain HTTP after the fallback (handed to another thread's client). */
  get plainOrigins(): string[] {
    return [...this.#plain];
  }

  /** Takes over fallbacks another client found. */
  addPlainOrigins(origins: readonly string[]): void {
    for (const o of origins) this.#plain.add(o);
  }

  /** Forgets a fallback that no longer works (the registry may have come back with TLS). */
  forget(ep: RegistryEndpoint): void {
    this.#plain.delete(ep.origin);
  }

  /** An Unavailable that names x509 when the certificate was the problem (Go's wording, as Docker reports it). */
  error(method: string, target: string, e: unknown): Unavailable {
    const host = new URL(target).host;
    const code = codeOf(e);
    if (code) {
      return new Unavailable(
        `${method[0]}${method.slice(1).toLowerCase()} "${target}": tls: failed to verify certificate: x509: ${X509[code]} (${(e as Error).message}); ` +
          `add ${host} to insecure-registries, or its CA to /etc/docker/certs.d/${host}/ca.crt`,
        { cause: e },
      );
    }
    return new Unavailable(`error contacting registry ${host}: ${(e as Error).message}`, { cause: e });
  }

  async dispatcher(ep: RegistryEndpoint | undefined, target: string): Promise<Agent> {
    const u = await undici();
    const url = new URL(target);
    const own = ep && url.protocol === 'https:' && url.host === new URL(ep.origin).host;
    const files = own ? readHostTls(this.opts.certsDirs, url.host) : undefined;
    if (!own || (!ep.insecure && !files)) {
      this.#default ??= new u.Agent({ connections: this.opts.connections, keepAliveTimeout: 30_000 });
      return this.#default;
    }
    const key = `${url.host} ${ep.insecure} ${files?.fingerprint ?? ''}`;
    let agent = this.#tls.get(key);
    if (!agent) {
      agent = new u.Agent({
        connections: this.opts.connections,
        keepAliveTimeout: 30_000,
        connect: {
          rejectUnauthorized: !ep.insecure,
          ...(files?.ca.length ? { ca: [...rootCertificates, ...files.ca.map((b) => b.toString('utf8'))] } : {}),
          ...(files?.cert && files.key ? { cert: files.cert, key: files.key } : {}),
        },
      });
      this.#tls.set(key, agent);
    }
    return agent;
  }

  async close(): Promise<void> {
    await Promise.all([this.#default?.close(), ...[...this.#tls.values()].map((a) => a.close())]);
  }
}
