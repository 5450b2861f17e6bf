import { Unavailable } from '../../errdefs/index.js';

/** One registry this one mirrors: repositories under `prefix/` (or all, when prefix is null) come from it. */
export interface UpstreamConfig {
  url: string;
  prefix: string | null;
  username?: string;
  password?: string;
}

interface CachedToken {
  token: string;
  expires: number;
}

/**
 * A minimal distribution client for the pull-through cache: GET/HEAD with Docker's token dance
 * (401 + WWW-Authenticate Bearer → realm?service&scope, with Basic credentials when configured).
 */
export class UpstreamClient {
  readonly #tokens = new Map<string, CachedToken>();

  constructor(
    readonly config: UpstreamConfig,
    private readonly timeoutMs = 10_000,
  ) {}

  /** `repository:<repo>:pull` requests (path relative to /v2/<repo>/, query included); returns the response (any status); throws Unavailable when unreachable. */
  async get(repo: string, path: string, init: { method?: 'GET' | 'HEAD'; accept?: string; signal?: AbortSignal } = {}): Promise<Response> {
    const url = `${this.config.url.replace(/\/$/, '')}/v2/${repo}/${path}`;
    const scope = `repository:${repo}:pull`;
    const send = async (auth: string | null): Promise<Response> => {
      // The timeout covers the wait for the response's head only: a large blob may take far longer to stream.
      const timeout = new AbortController();
      const timer = setTimeout(() => timeout.abort(new Error(`no answer within ${this.timeoutMs} ms`)), this.timeoutMs);
      try {
        return await fetch(url, {
          method: init.method ?? 'GET',
          headers: { ...(init.accept ? { Accept: init.accept } : {}), ...(auth ? { Authorization: auth } : {}) },
          signal: AbortSignal.any([timeout.signal, ...(init.signal ? [init.signal] : [])]),
        });
      } catch (e) {
        throw new Unavailable(`upstream ${this.config.url} is unreachable: ${(e as Error).message}`, { cause: e });
      } finally {
        clearTimeout(timer);
      }
    };
    const cached = this.#tokens.get(scope);
    let res = await send(cached && cached.expires > Date.now() ? `Bearer ${cached.token}` : this.#basic());
    if (res.status !== 401) return res;
    const challenge = res.headers.get('www-authenticate') ?? '';
    await res.body?.cancel();
    const auth = await this.#authorize(challenge, scope);
    if (auth === null) return send(null);
    res = await send(auth);
    return res;
  }

  #basic(): string | null {
    if (this.config.username === undefined) return null;
    return `Basic ${Buffer.from(`${this.config.username}:${this.config.password ?? ''}`).toString('base64')}`;
  }

  async #authorize(challenge: string, scope: string): Promise<string | null> {
    if (/^basic/i.test(challenge)) return this.#basic();
    if (!/^bearer/i.test(challenge)) return null;
    const params = new Map<string, string>();
    for (const m of challenge.matchAll(/(\w+)="([^"]*)"/g)) params.set((m[1] as string).toLowerCase(), m[2] as string);
    const realm = params.get('realm');
    if (!realm) return null;
    const u = new URL(realm);
    const service = params.get('service');
    if (service) u.searchParams.set('service', service);
    u.searchParams.set('scope', params.get('scope') ?? scope);
    const basic = this.#basic();
    let res: Response;
    try {
      res = await fetch(u, { headers: basic ? { Authorization: basic } : {}, signal: AbortSignal.timeout(this.timeoutMs) });
    } catch (e) {
      throw new Unavailable(`token service ${u.origin} is unreachable: ${(e as Error).message}`, { cause: e });
    }
    if (!res.ok) {
      await res.body?.cancel();
      return null;
    }
    const j = (await res.json()) as { token?: string; access_token?: string; expires_in?: number };
    const token = j.token ?? j.access_token;
    if (!token) return null;
    this.#tokens.set(scope, { token, expires: Date.now() + Math.max(30, (j.expires_in ?? 60) - 10) * 1000 });
    return `Bearer ${token}`;
  }
}
