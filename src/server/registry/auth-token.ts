import type { IncomingMessage } from 'node:http';
import { createPrivateKey, createPublicKey, generateKeyPairSync, randomUUID, sign, verify, type KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { basicCredentials, formatScope, parseScope, type Access, type Action, type Authorizer, type Htpasswd } from './auth.js';
import type { AccessRules } from './access.js';
import { sendJson, type RegistryRequest } from './context.js';
import { registryError } from './errors.js';

const b64url = (b: Buffer | string): string => Buffer.from(b).toString('base64url');

interface Claims {
  iss: string;
  sub: string;
  aud: string;
  exp: number;
  nbf: number;
  iat: number;
  jti: string;
  access: Access[];
}

export interface TokenAuthorizerOptions {
  users: Htpasswd;
  /** PEM file of the ES256 signing key; generated (0600) when missing. */
  keyPath: string;
  service?: string;
  ttlSeconds?: number;
  /** Actions granted without credentials (e.g. ['pull'] for a public registry). */
  anonymous?: Action[];
  /** Per-user rights; a token only ever names what they allow. None: users may do anything. */
  rules?: AccessRules;
}

/** Loads or creates the signing key, written atomically so a crash never leaves half a key. */
function loadKey(path: string): KeyObject {
  if (!existsSync(path)) {
    mkdirSync(dirname(path), { recursive: true });
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const tmp = `${path}.${process.pid}.tmp`;
    writeFileSync(tmp, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    renameSync(tmp, path);
  }
  return createPrivateKey(readFileSync(path));
}

/**
 * Bearer tokens the registry issues itself at /token (Docker's token protocol): clients log in with
 * Basic credentials from the htpasswd file and get a short-lived ES256 JWT naming the scopes granted.
 */
export class TokenAuthorizer implements Authorizer {
  readonly #key: KeyObject;
  readonly #pub: KeyObject;
  readonly #service: string;
  readonly #ttl: number;

  constructor(private readonly opts: TokenAuthorizerOptions) {
    this.#key = loadKey(opts.keyPath);
    this.#pub = createPublicKey(this.#key);
    this.#service = opts.service ?? 'berth-registry';
    this.#ttl = opts.ttlSeconds ?? 300;
  }

  challenge(req: IncomingMessage, needed: readonly Access[], error?: 'invalid_token' | 'insufficient_scope'): string {
    const host = req.headers.host ?? '127.0.0.1';
    const scope = needed.length ? `,scope="${needed.map(formatScope).join(' ')}"` : '';
    return `Bearer realm="http://${host}/token",service="${this.#service}"${scope}${error ? `,error="${error}"` : ''}`;
  }

  check(req: IncomingMessage, needed: readonly Access[]): void {
    const h = req.headers.authorization;
    if (!h || !/^bearer /i.test(h)) {
      if (needed.length > 0 && needed.every((n) => this.#grant(null, n).length === n.actions.length)) return;
      throw registryError('UNAUTHORIZED');
    }
    const claims = this.#verify(h.slice(7).trim());
    if (!claims) throw registryError('UNAUTHORIZED', { message: 'invalid or expired token', detail: { error: 'invalid_token' } });
    for (const n of needed) {
      const have = claims.access.find((a) => a.type === n.type && a.name === n.name);
      const ok = n.actions.every((x) => have?.actions.includes(x) || have?.actions.includes('*'));
      if (ok) continue;
      // A user the rules refuse gets 403 (a new token would not help); a token that merely asked for
      // too little gets 401, so the client fetches one with the scope in the challenge.
      if (claims.sub !== '' && this.opts.rules && this.#grant(claims.sub, n).length !== n.actions.length) {
        throw registryError('DENIED', { detail: { access: needed } });
      }
      throw registryError('UNAUTHORIZED', { message: 'insufficient scope', detail: { error: 'insufficient_scope', access: needed } });
    }
  }

  #verify(token: string): Claims | null {
    const parts = token.split('.');
    if (parts.length !== 3) return null;
    const [h, p, s] = parts as [string, string, string];
    const ok = verify('sha256', Buffer.from(`${h}.${p}`), { key: this.#pub, dsaEncoding: 'ieee-p1363' }, Buffer.from(s, 'base64url'));
    if (!ok) return null;
    let claims: Claims;
    try {
      claims = JSON.parse(Buffer.from(p, 'base64url').toString('utf8')) as Claims;
    } catch {
      return null;
    }
    const now = Math.floor(Date.now() / 1000);
    if (claims.aud !== this.#service || claims.exp < now || claims.nbf > now + 60 || !Array.isArray(claims.access)) return null;
    return claims;
  }

  /** What `user` (null: anonymous) gets of `want`: users what the rules allow, anonymous what is configured. */
  #grant(user: string | null, want: Access): Action[] {
    if (user !== null) return this.opts.rules ? this.opts.rules.granted(user, want) : want.actions;
    const anon = this.opts.anonymous ?? [];
    return want.type === 'repository' ? want.actions.filter((a) => anon.includes(a)) : [];
  }

  /** GET /token?service=&scope=…: a token for the scopes this user may have. */
  issue = (r: RegistryRequest): void => {
    const creds = basicCredentials(r.req);
    let user: string | null = null;
    if (creds) {
      if (!this.opts.users.verify(creds.user, creds.password)) throw registryError('UNAUTHORIZED', { message: 'invalid username or password' });
      user = creds.user;
    }
    const access: Access[] = [];
    for (const s of r.query.getAll('scope').flatMap((x) => x.split(' '))) {
      const a = parseScope(s);
      if (!a) continue;
      const actions = this.#grant(user, a);
      if (actions.length) access.push({ ...a, actions });
    }
    const now = Math.floor(Date.now() / 1000);
    const claims: Claims = { iss: 'berth-registry', sub: user ?? '', aud: this.#service, exp: now + this.#ttl, nbf: now - 5, iat: now, jti: randomUUID(), access };
    const head = b64url(JSON.stringify({ alg: 'ES256', typ: 'JWT' }));
    const body = b64url(JSON.stringify(claims));
    const sig = sign('sha256', Buffer.from(`${head}.${body}`), { key: this.#key, dsaEncoding: 'ieee-p1363' });
    const token = `${head}.${body}.${b64url(sig)}`;
    sendJson(r.res, 200, { token, access_token: token, expires_in: this.#ttl, issued_at: new Date(now * 1000).toISOString() });
  };
}
