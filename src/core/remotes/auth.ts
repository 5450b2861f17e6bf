/** Parsing of WWW-Authenticate challenges and the credentials a registry may ask for. */

export interface Credentials {
  username?: string;
  password?: string;
  /** An OAuth2 refresh token (Docker's "identitytoken"). */
  identityToken?: string;
  /** A bearer token used as is (Docker's "registrytoken"). */
  registryToken?: string;
}

export interface Challenge {
  scheme: 'basic' | 'bearer';
  params: Record<string, string>;
}

/** Looks up the credentials for a registry host (docker.io, 127.0.0.1:5000); undefined = anonymous. */
export type CredentialSource = (host: string) => Promise<Credentials | undefined>;

/** Parses `Bearer realm="…",service="…",scope="…"` (several challenges may be comma-joined). */
export function parseChallenges(header: string | string[] | undefined): Challenge[] {
  const values = header === undefined ? [] : Array.isArray(header) ? header : [header];
  const out: Challenge[] = [];
  for (const value of values) {
    const re = /\s*([A-Za-z]+)\s+((?:[A-Za-z0-9_-]+=(?:"(?:[^"\\]|\\.)*"|[^,\s]*)\s*,?\s*)*)/g;
    for (const m of value.matchAll(re)) {
      const scheme = (m[1] ?? '').toLowerCase();
      if (scheme !== 'basic' && scheme !== 'bearer') continue;
      const params: Record<string, string> = {};
      for (const p of (m[2] ?? '').matchAll(/([A-Za-z0-9_-]+)=(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))/g)) {
        params[(p[1] ?? '').toLowerCase()] = p[2] !== undefined ? p[2].replace(/\\(.)/g, '$1') : (p[3] ?? '');
      }
      out.push({ scheme, params });
    }
  }
  return out;
}

export function basicHeader(c: Credentials): string {
  return `Basic ${Buffer.from(`${c.username ?? ''}:${c.password ?? ''}`).toString('base64')}`;
}

/** Decodes Docker's X-Registry-Auth header (base64url JSON); undefined when absent or empty. */
export function decodeRegistryAuth(header: string | undefined): (Credentials & { serverAddress?: string }) | undefined {
  if (!header) return undefined;
  let v: unknown;
  try {
    v = JSON.parse(Buffer.from(header.replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('utf8'));
  } catch {
    return undefined;
  }
  if (!v || typeof v !== 'object') return undefined;
  const o = v as Record<string, unknown>;
  const str = (k: string): string | undefined => (typeof o[k] === 'string' && o[k] !== '' ? (o[k]) : undefined);
  const c: Credentials & { serverAddress?: string } = {};
  const username = str('username');
  const password = str('password');
  const identityToken = str('identitytoken');
  const registryToken = str('registrytoken');
  const serverAddress = str('serveraddress');
  if (username !== undefined) c.username = username;
  if (password !== undefined) c.password = password;
  if (identityToken !== undefined) c.identityToken = identityToken;
  if (registryToken !== undefined) c.registryToken = registryToken;
  if (serverAddress !== undefined) c.serverAddress = serverAddress;
  return Object.keys(c).length ? c : undefined;
}
