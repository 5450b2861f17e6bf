import type { Readable } from 'node:stream';
import { Forbidden, Internal, NotFound, Unauthorized, Unavailable } from '../../errdefs/index.js';
import { basicHeader, parseChallenges, type Challenge, type CredentialSource, type Credentials } from './auth.js';
import { DEFAULT_CERTS_DIRS } from './certs.js';
import type { RegistryEndpoint } from './hosts.js';
import { Transports } from './transport.js';

export interface RegistryRequest {
  method: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Path and query below the origin (/v2/…), or an absolute URL the registry handed out (Location). */
  path: string;
  headers?: Record<string, string>;
  /** A stream body cannot be replayed: callers send it only after a cheaper request settled auth. */
  body?: Buffer | Readable | string;
  /** Token scopes, e.g. repository:library/busybox:pull. */
  scopes: string[];
  signal?: AbortSignal;
}

export interface RegistryResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Readable;
  /** The URL that answered (after redirects), for resolving a relative Location. */
  url: string;
}

interface CachedToken {
  header: string;
  expires: number;
}

/**
 * What a client has learnt (challenges, tokens, plain-HTTP fallbacks) and the credentials one
 * request needs, as plain data: a client on another thread starts from it and does not repeat the
 * auth dance.
 */
export interface ClientState {
  options: { userAgent: string; connections: number; certsDirs: readonly string[] };
  challenges: [string, Challenge][];
  tokens: [string, CachedToken][];
  plainOrigins: string[];
  /** Stored credentials by host, for the hosts the request may go to. */
  credentials: [string, Credentials][];
}

export interface RegistryClientOptions {
  credentials?: CredentialSource;
  userAgent?: string;
  /** Connections per origin (several layers at once). */
  connections?: number;
  /** Per-host CA and client certificates (default /etc/berth/certs.d, then /etc/docker/certs.d). */
  certsDirs?: readonly string[];
}

const MAX_REDIRECTS = 5;

/**
 * HTTP to registries over node:http(s) keep-alive pools (one per TLS choice), with Docker's auth dance: anonymous
 * first, then the challenge's basic or bearer scheme, tokens cached per origin and scope until they
 * expire. Redirects (blob downloads from a CDN) are followed without the registry's Authorization.
 */
export class RegistryClient {
  readonly #transports: Transports;
  readonly #credentials: CredentialSource;
  readonly #ua: string;
  readonly #challenges = new Map<string, Challenge>();
  readonly #tokens = new Map<string, CachedToken>();
  readonly #options: ClientState['options'];

  constructor(opts: RegistryClientOptions = {}) {
    this.#options = { connections: opts.connections ?? 8, certsDirs: opts.certsDirs ?? DEFAULT_CERTS_DIRS, userAgent: opts.userAgent ?? 'berth' };
    this.#transports = new Transports(this.#options);
    this.#credentials = opts.credentials ?? (() => Promise.resolve(undefined));
    this.#ua = this.#options.userAgent;
  }

  /** This client's state and the stored credentials of `hosts` (see ClientState). */
  async exportState(hosts: readonly string[]): Promise<ClientState> {
    const now = Date.now();
    const credentials: [string, Credentials][] = [];
    for (const h of new Set(hosts)) {
      const c = await this.#credentials(h);
      if (c) credentials.push([h, c]);
    }
    return {
      options: this.#options,
      challenges: [...this.#challenges],
      tokens: [...this.#tokens].filter(([, t]) => t.expires > now),
      plainOrigins: this.#transports.plainOrigins,
      credentials,
    };
  }

  /** A client that starts where `state` left off. */
  static fromState(state: ClientState): RegistryClient {
    const creds = new Map(state.credentials);
    const c = new RegistryClient({ ...state.options, credentials: (h) => Promise.resolve(creds.get(h)) });
    for (const [k, v] of state.challenges) c.#challenges.set(k, v);
    for (const [k, v] of state.tokens) c.#tokens.set(k, v);
    c.#transports.addPlainOrigins(state.plainOrigins);
    return c;
  }

  async close(): Promise<void> {
    await this.#transports.close();
  }

  /** Sends a request with auth; the caller consumes or destroys the body. */
  async request(ep: RegistryEndpoint, req: RegistryRequest, creds?: Credentials): Promise<RegistryResponse> {
    const url = new URL(req.path, this.#transports.originOf(ep) + '/').toString();
    const replayable = req.body === undefined || typeof req.body === 'string' || Buffer.isBuffer(req.body);
    const target = { method: req.method, url };
    let auth = await this.#authorization(ep, target, req.scopes, creds, req.signal, false);
    let res = await this.#send(ep, url, req, auth);
    if (res.status === 401) {
      const challenge = parseChallenges(res.headers['www-authenticate'])[0];
      discard(res.body);
      if (!challenge) throw new Unauthorized(`${ep.authHost}: unauthorized (the registry sent no usable WWW-Authenticate challenge)`);
      this.#challenges.set(ep.origin, challenge);
      if (!replayable) throw new Unauthorized(`${ep.authHost}: authentication required before the upload`);
      // The URL answered (plain HTTP after a fallback), as the error names it.
      target.url = res.url;
      auth = await this.#authorization(ep, target, req.scopes, creds, req.signal, true);
      res = await this.#send(ep, url, req, auth);
    }
    return res;
  }

  /** Checks a login (`POST /auth`): GET /v2/ with the credentials must not answer 401. */
  async ping(ep: RegistryEndpoint, creds: Credentials, signal?: AbortSignal): Promise<void> {
    const res = await this.request(ep, { method: 'GET', path: '/v2/', scopes: [], ...(signal ? { signal } : {}) }, creds);
    const body = await res.body.setEncoding('utf8').toArray().catch(() => []);
    const origin = this.#transports.originOf(ep);
    if (res.status === 401) throw new Unauthorized(`login attempt to ${origin}/v2/ failed with status: 401 Unauthorized`);
    if (res.status >= 400) throw registryError(res.status, body.join(''), `${origin}/v2/`);
  }

  async #send(ep: RegistryEndpoint, url: string, req: RegistryRequest, auth: string | undefined): Promise<RegistryResponse> {
    const replayable = req.body === undefined || typeof req.body === 'string' || Buffer.isBuffer(req.body);
    let target = url;
    let withAuth = auth;
    let fellBack: unknown;
    for (let hop = 0; ; hop++) {
      const headers: Record<string, string> = { 'user-agent': this.#ua, ...req.headers };
      if (withAuth) headers['authorization'] = withAuth;
      let res;
      try {
        res = await this.#transports.send(ep, target, {
          method: req.method,
          headers,
          ...(req.body !== undefined ? { body: req.body } : {}),
          ...(req.signal ? { signal: req.signal } : {}),
        });
      } catch (e) {
        if (req.signal?.aborted) throw e;
        // An insecure registry that does not speak TLS: the same request over plain HTTP, once.
        const plain = replayable && fellBack === undefined && hop === 0 ? this.#transports.fallback(ep, target) : undefined;
        if (plain) {
          fellBack = e;
          target = plain;
          hop--;
          continue;
        }
        if (fellBack !== undefined) this.#transports.forget(ep);
        throw this.#transports.error(req.method, target, e);
      }
      // A TLS server answers plain HTTP with 400: HTTPS was right, it failed for another reason.
      if (fellBack !== undefined && hop === 0 && res.statusCode === 400) {
        discard(res.body);
        this.#transports.forget(ep);
        throw this.#transports.error(req.method, target.replace(/^http:/, 'https:'), fellBack);
      }
      const location = res.headers['location'];
      if ([301, 302, 303, 307, 308].includes(res.statusCode) && typeof location === 'string' && (req.method === 'GET' || req.method === 'HEAD') && hop < MAX_REDIRECTS) {
        discard(res.body);
        const next = new URL(location, target);
        // Credentials meant for the registry never go to the storage backend it redirects to.
        if (next.origin !== new URL(target).origin) withAuth = undefined;
        target = next.toString();
        continue;
      }
      return { status: res.statusCode, headers: res.headers, body: res.body, url: target };
    }
  }

  /** `target`: the request that needs it, named in the error when no credentials can be had (as Go's url.Error). */
  async #authorization(ep: RegistryEndpoint, target: { method: string; url: string }, scopes: string[], creds: Credentials | undefined, signal: AbortSignal | undefined, fresh: boolean): Promise<string | undefined> {
    const challenge = this.#challenges.get(ep.origin);
    if (!challenge) return undefined;
    const c = creds ?? (ep.mirror ? undefined : await this.#credentials(ep.authHost));
    if (challenge.scheme === 'basic') {
      // dockerd's words for a Basic challenge it has nothing to answer with.
      const method = target.method.charAt(0) + target.method.slice(1).toLowerCase();
      if (!c?.username) throw new Unauthorized(`${method} "${target.url}": no basic auth credentials`);
      return basicHeader(c);
    }
    if (c?.registryToken) return `Bearer ${c.registryToken}`;
    const key = `${ep.origin} ${c?.username ?? ''} ${[...scopes].sort().join(' ')}`;
    const cached = this.#tokens.get(key);
    if (cached && !fresh && cached.expires > Date.now()) return cached.header;
    const token = await this.#fetchToken(ep, target, challenge, scopes, c, signal);
    this.#tokens.set(key, token);
    return token.header;
  }

  async #fetchToken(ep: RegistryEndpoint, target: { method: string; url: string }, ch: Challenge, scopes: string[], c: Credentials | undefined, signal?: AbortSignal): Promise<CachedToken> {
    const realm = ch.params['realm'];
    if (!realm) throw new Unauthorized('the registry sent a bearer challenge without a realm');
    const url = new URL(realm);
    const service = ch.params['service'];
    const allScopes = scopes.length ? scopes : ch.params['scope'] ? [ch.params['scope']] : [];
    let res;
    // A token server on the registry's own host is reached as the registry is (certs.d, insecure).
    try {
      if (c?.identityToken) {
        const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: c.identityToken, client_id: 'berth', ...(service ? { service } : {}) });
        if (allScopes.length) form.set('scope', allScopes.join(' '));
        const headers = { 'content-type': 'application/x-www-form-urlencoded' };
        res = await this.#transports.send(ep, url.toString(), { method: 'POST', headers, body: form.toString(), ...(signal ? { signal } : {}) });
      } else {
        if (service) url.searchParams.set('service', service);
        for (const s of allScopes) url.searchParams.append('scope', s);
        const headers: Record<string, string> = { 'user-agent': this.#ua };
        if (c?.username) headers['authorization'] = basicHeader(c);
        res = await this.#transports.send(ep, url.toString(), { method: 'GET', headers, ...(signal ? { signal } : {}) });
      }
    } catch (e) {
      if (signal?.aborted) throw e;
      throw new Unavailable(`error fetching a token from ${url.origin}: ${(e as Error).message}`, { cause: e });
    }
    const text = (await readSmall(res.body)).toString('utf8');
    if ((res.statusCode === 401 || res.statusCode === 403) && !c?.username && !c?.identityToken) {
      // Anonymous and refused: the token server's own words, as dockerd passes them on.
      const method = target.method.charAt(0) + target.method.slice(1).toLowerCase();
      const reason = res.statusCode === 401 ? registryReason(text) || 'unauthorized: authentication required' : registryReason(text) || 'denied: requested access to the resource is denied';
      throw new Unauthorized(`${method} "${target.url}": ${reason}`);
    }
    if (res.statusCode === 401 || res.statusCode === 403) {
      throw new Unauthorized(`unauthorized: incorrect username or password (${url.origin} answered ${res.statusCode})`);
    }
    if (res.statusCode >= 400) throw registryError(res.statusCode, text, url.toString());
    let body: { token?: string; access_token?: string; expires_in?: number };
    try {
      body = JSON.parse(text) as typeof body;
    } catch (e) {
      throw new Internal(`invalid token response from ${url.origin}`, { cause: e });
    }
    const token = body.token ?? body.access_token;
    if (!token) throw new Internal(`the token response from ${url.origin} holds no token`);
    // Renew a little early so that a long pull does not run into an expired token.
    const life = Math.max(10, (body.expires_in ?? 60) - 5) * 1000;
    return { header: `Bearer ${token}`, expires: Date.now() + life };
  }
}

/** The words of a registry's `{"errors":[{"code","message"}]}` body ('' when it has none). */
function registryReason(body: string): string {
  try {
    const v = JSON.parse(body) as { errors?: { code?: string; message?: string }[] };
    return (v.errors ?? []).map((e) => [e.code?.toLowerCase().replace(/_/g, ' '), e.message].filter(Boolean).join(': ')).join('; ');
  } catch {
    return '';
  }
}

/** The registry's own words (`{"errors":[{"code","message"}]}`) as a berth error. */
export function registryError(status: number, body: string, what: string): Error {
  let reason = registryReason(body);
  try {
    JSON.parse(body);
  } catch {
    reason = body.trim().slice(0, 200);
  }
  const msg = reason || `${what}: HTTP ${status}`;
  if (status === 404) return new NotFound(msg);
  if (status === 401) return new Unauthorized(msg);
  if (status === 403) return new Forbidden(msg);
  if (status >= 500 || status === 429) return new Unavailable(`${msg} (HTTP ${status} from ${what})`);
  return new Internal(`${msg} (HTTP ${status} from ${what})`);
}

/** Reads a small body whole (manifests, error documents); refuses bodies above `max`. */
export async function readSmall(body: Readable, max = 8 << 20): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of body) {
    const b = c as Buffer;
    n += b.length;
    if (n > max) {
      discard(body);
      throw new Internal(`registry response larger than ${max} bytes`);
    }
    chunks.push(b);
  }
  return Buffer.concat(chunks);
}

export function headerOf(res: RegistryResponse, h: string): string | undefined {
  const v = res.headers[h];
  return Array.isArray(v) ? v[0] : v;
}

/** Drops a response body without an unhandled 'error' (a destroyed body reports itself aborted). */
export function discard(body: Readable): void {
  body.on('error', () => undefined);
  body.destroy();
}
