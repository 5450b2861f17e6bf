import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import type { Agent as HttpsAgent } from 'node:https';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Unavailable } from '../../errdefs/index.js';
import { readHostTls } from './certs.js';
import type { RegistryEndpoint } from './hosts.js';

interface NodeTls {
  https: typeof import('node:https');
  rootCertificates: readonly string[];
}
let httpsLoading: Promise<NodeTls> | undefined;
/** node:https and node:tls (OpenSSL) are loaded on the first https request: an idle berthd does without them (about 3.5 MB). */
function nodeHttps(): Promise<NodeTls> {
  httpsLoading ??= Promise.all([import('node:https'), import('node:tls')]).then(([https, tls]) => ({ https, rootCertificates: tls.rootCertificates }));
  return httpsLoading;
}

/** A kept-alive connection with nothing to do is closed after this long. */
const IDLE_SOCKET_MS = 30_000;

export interface TransportOptions {
  /** Connections per origin (several layers at once). */
  connections: number;
  /** Directories of per-host TLS files (`<dir>/<host:port>/ca.crt`, `client.cert`, `client.key`). */
  certsDirs: readonly string[];
}

export interface SendOptions {
  method: string;
  headers: Record<string, string>;
  body?: Buffer | string | Readable;
  signal?: AbortSignal;
}

export interface HttpResponse {
  statusCode: number;
  headers: Record<string, string | string[] | undefined>;
  body: Readable;
}

/** How a request is secured: a key naming the choice (one connection pool each) and the TLS options. */
interface TlsChoice {
  key: string;
  connect: { rejectUnauthorized: boolean; ca?: string[]; cert?: Buffer; key?: Buffer };
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
 * node:http(s), whose parser is native: a pull worker thread starts without compiling an HTTP
 * library (undici costs a fresh thread about 0.4 s of CPU, and allocates more per byte).
 */
export class Transports {
  #plain = new Set<string>();
  #httpAgent: HttpAgent | undefined;
  readonly #https = new Map<string, HttpsAgent>();

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

  /** undefined: the system's CAs; else this host's certs.d files or no verification (insecure). */
  #tlsFor(ep: RegistryEndpoint | undefined, target: string, rootCertificates: readonly string[]): TlsChoice | undefined {
    const url = new URL(target);
    const own = ep && url.protocol === 'https:' && url.host === new URL(ep.origin).host;
    const files = own ? readHostTls(this.opts.certsDirs, url.host) : undefined;
    if (!own || (!ep.insecure && !files)) return undefined;
    return {
      key: `${url.host} ${ep.insecure} ${files?.fingerprint ?? ''}`,
      connect: {
        rejectUnauthorized: !ep.insecure,
        ...(files?.ca.length ? { ca: [...rootCertificates, ...files.ca.map((b) => b.toString('utf8'))] } : {}),
        ...(files?.cert && files.key ? { cert: files.cert, key: files.key } : {}),
      },
    };
  }

  /** One HTTP exchange (no redirects, no auth: the client does those); rejects only when no answer came. */
  async send(ep: RegistryEndpoint | undefined, target: string, opts: SendOptions): Promise<HttpResponse> {
    const secure = target.startsWith('https:') ? await nodeHttps() : undefined;
    const https = secure?.https;
    const agent = secure && https ? this.#httpsAgent(https, this.#tlsFor(ep, target, secure.rootCertificates)) : (this.#httpAgent ??= new HttpAgent({ keepAlive: true, maxSockets: this.opts.connections, timeout: IDLE_SOCKET_MS }));
    return new Promise<HttpResponse>((resolve, reject) => {
      const req = (https ? https.request : httpRequest)(target, {
        method: opts.method,
        headers: opts.headers,
        agent,
        ...(opts.signal ? { signal: opts.signal } : {}),
      });
      // Kept after the answer: a later error of the request must not go unheard (the body reports its own).
      req.on('error', reject);
      req.once('response', (res: IncomingMessage) => resolve({ statusCode: res.statusCode ?? 0, headers: res.headers, body: res }));
      if (opts.body instanceof Readable) pipeline(opts.body, req).catch((e: unknown) => req.destroy(e as Error));
      else req.end(opts.body);
    });
  }

  #httpsAgent(https: typeof import('node:https'), tls: TlsChoice | undefined): HttpsAgent {
    const key = tls?.key ?? '';
    let agent = this.#https.get(key);
    if (!agent) {
      agent = new https.Agent({ keepAlive: true, maxSockets: this.opts.connections, timeout: IDLE_SOCKET_MS, ...(tls?.connect ?? {}) });
      this.#https.set(key, agent);
    }
    return agent;
  }

  async close(): Promise<void> {
    this.#httpAgent?.destroy();
    for (const a of this.#https.values()) a.destroy();
  }
}
