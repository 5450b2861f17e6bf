import type { IncomingMessage } from 'node:http';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { InvalidArgument } from '../../errdefs/index.js';
import { bcryptVerify } from './bcrypt.js';
import { registryError } from './errors.js';
import type { AccessRules } from './access.js';

export type Action = 'pull' | 'push' | 'delete' | '*';

/** One scope item: `repository:<name>:pull,push` or `registry:catalog:*`. */
export interface Access {
  type: 'repository' | 'registry';
  name: string;
  actions: Action[];
}

/** Checks a request's credentials against what the route needs. */
export interface Authorizer {
  /** Resolves when allowed; throws UNAUTHORIZED (no or bad credentials) or DENIED. */
  check(req: IncomingMessage, needed: readonly Access[]): Promise<void> | void;
  /** The WWW-Authenticate header for a 401. */
  challenge(req: IncomingMessage, needed: readonly Access[], error?: 'invalid_token' | 'insufficient_scope'): string;
}

export function formatScope(a: Access): string {
  return `${a.type}:${a.name}:${a.actions.join(',')}`;
}

/** Parses `repository:a/b:pull,push`; names may hold colons (registry:port/…) only before the last one. */
export function parseScope(s: string): Access | null {
  const first = s.indexOf(':');
  const last = s.lastIndexOf(':');
  if (first < 0 || last === first) return null;
  const type = s.slice(0, first);
  if (type !== 'repository' && type !== 'registry') return null;
  const actions = s
    .slice(last + 1)
    .split(',')
    .filter((a): a is Action => a === 'pull' || a === 'push' || a === 'delete' || a === '*');
  return { type, name: s.slice(first + 1, last), actions };
}

/** Users and bcrypt hashes from an htpasswd file (only bcrypt, as distribution accepts). */
export class Htpasswd {
  readonly #users = new Map<string, string>();
  /** A verified (user, password) pair is remembered by hash: bcrypt costs ~50 ms, clients send Basic on every request. */
  readonly #verified = new Set<string>();

  constructor(path: string) {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (e) {
      throw new InvalidArgument(`cannot read htpasswd file ${path}: ${(e as Error).message}`, { cause: e });
    }
    for (const line of text.split('\n')) {
      const t = line.trim();
      if (t === '' || t.startsWith('#')) continue;
      const i = t.indexOf(':');
      if (i <= 0) continue;
      this.#users.set(t.slice(0, i), t.slice(i + 1));
    }
  }

  verify(user: string, password: string): boolean {
    const hash = this.#users.get(user);
    if (hash === undefined) return false;
    const key = createHash('sha256').update(`${user}\0${password}\0${hash}`).digest('hex');
    if (this.#verified.has(key)) return true;
    if (!bcryptVerify(password, hash)) return false;
    this.#verified.add(key);
    return true;
  }
}

/** user:password from a Basic Authorization header, or null. */
export function basicCredentials(req: IncomingMessage): { user: string; password: string } | null {
  const h = req.headers.authorization;
  if (!h || !/^basic /i.test(h)) return null;
  const raw = Buffer.from(h.slice(6).trim(), 'base64').toString('utf8');
  const i = raw.indexOf(':');
  if (i < 0) return null;
  return { user: raw.slice(0, i), password: raw.slice(i + 1) };
}

/**
 * htpasswd Basic auth: no or wrong credentials get a Basic challenge (401); a known user lacking the
 * right the access rules give is DENIED (403). Without rules any known user may do anything.
 */
export class BasicAuthorizer implements Authorizer {
  constructor(
    private readonly users: Htpasswd,
    private readonly rules: AccessRules | null = null,
    private readonly realm = 'berth-registry',
  ) {}

  check(req: IncomingMessage, needed: readonly Access[]): void {
    const c = basicCredentials(req);
    if (!c || !this.users.verify(c.user, c.password)) throw registryError('UNAUTHORIZED');
    if (this.rules && !this.rules.allows(c.user, needed)) {
      throw registryError('DENIED', { detail: { access: needed } });
    }
  }

  challenge(): string {
    return `Basic realm="${this.realm.replace(/["\\]/g, '')}"`;
  }
}
