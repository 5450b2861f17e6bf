import { createHash } from 'node:crypto';
import { InvalidArgument, NotFound, Unauthorized, Unavailable } from '../../errdefs/index.js';
import { configPath, readConfig } from '../config-file.js';
import type { CliContext } from '../context.js';
import { errorLine } from '../errors.js';

/**
 * `berth manifest inspect`: as the docker CLI does it, straight from the registry (the docker CLI's
 * own registry client, not the daemon): an image manifest is printed as the registry holds it,
 * a list or index as the list of its entries.
 */
const ACCEPT = [
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.oci.image.index.v1+json',
].join(', ');
const LISTS = new Set(['application/vnd.docker.distribution.manifest.list.v2+json', 'application/vnd.oci.image.index.v1+json']);

export interface Ref {
  domain: string;
  path: string;
  ref: string;
  /** As the user wrote it, with the default tag. */
  shown: string;
}

/** docker's reference rules, enough for a registry lookup: docker.io/library/ for bare names, latest by default. */
export function parseRef(s: string): Ref {
  const at = s.indexOf('@');
  const digest = at >= 0 ? s.slice(at + 1) : undefined;
  let name = at >= 0 ? s.slice(0, at) : s;
  let tag: string | undefined;
  const colon = name.lastIndexOf(':');
  if (colon > name.lastIndexOf('/')) {
    tag = name.slice(colon + 1);
    name = name.slice(0, colon);
  }
  const first = name.split('/')[0] ?? '';
  const hasDomain = name.includes('/') && (first === 'localhost' || /[.:]/.test(first) || first !== first.toLowerCase());
  const domain = hasDomain ? first : 'docker.io';
  let path = hasDomain ? name.slice(first.length + 1) : name;
  if (domain === 'docker.io' && !path.includes('/')) path = `library/${path}`;
  if (!/^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/.test(path)) {
    throw new InvalidArgument(`invalid reference format: repository name (${path}) must be lowercase`);
  }
  if (digest !== undefined && !/^sha256:[a-f0-9]{64}$/.test(digest)) throw new InvalidArgument('invalid reference format');
  const ref = digest ?? tag ?? 'latest';
  return { domain, path, ref, shown: `${name}${digest ? `@${digest}` : `:${ref}`}` };
}

function isLocal(host: string): boolean {
  const h = host.replace(/:\d+$/, '');
  return h === 'localhost' || /^127\./.test(h) || h === '[::1]';
}

export class RegistryReader {
  /** Tokens by scope (a basic credential serves every scope). */
  readonly #tokens = new Map<string, string>();
  #base: string | undefined;

  constructor(
    private readonly domain: string,
    private readonly creds: { username: string; password: string } | undefined,
    private readonly insecure: boolean,
  ) {}

  /** https first; plain http only for an insecure registry (--insecure, or one on this host), as the docker CLI does. */
  async #origin(): Promise<string> {
    if (this.#base) return this.#base;
    const host = this.domain === 'docker.io' ? 'registry-1.docker.io' : this.domain;
    try {
      await fetch(`https://${host}/v2/`, { method: 'GET', signal: AbortSignal.timeout(15_000) }).then((r) => r.arrayBuffer());
      this.#base = `https://${host}`;
    } catch (e) {
      if (!(this.insecure || isLocal(host))) throw new Unavailable(`error contacting registry ${host}: ${(e as Error).message}`);
      this.#base = `http://${host}`;
    }
    return this.#base;
  }

  async get(path: string, scope: string, accept: string): Promise<Response> {
    return this.request('GET', path, scope, { accept });
  }

  /** One request to the registry, authorized for scope (space-separated scopes) on a 401. */
  async request(method: string, path: string, scope: string, headers: Record<string, string> = {}, body?: Buffer): Promise<Response> {
    const base = await this.#origin();
    const url = /^https?:/.test(path) ? path : `${base}${path}`;
    const go = (): Promise<Response> => {
      const token = this.#tokens.get(scope);
      return fetch(url, { method, headers: { ...headers, ...(token ? { authorization: token } : {}) }, ...(body ? { body } : {}), redirect: 'follow' });
    };
    let res = await go();
    if (res.status === 401 && !this.#tokens.has(scope)) {
      await res.arrayBuffer();
      this.#tokens.set(scope, await this.#authorize(res.headers.get('www-authenticate') ?? '', scope));
      res = await go();
    }
    return res;
  }

  /** The origin a relative Location header is resolved against. */
  async origin(): Promise<string> {
    return this.#origin();
  }

  async #authorize(challenge: string, scope: string): Promise<string> {
    const basic = this.creds ? `Basic ${Buffer.from(`${this.creds.username}:${this.creds.password}`).toString('base64')}` : undefined;
    if (/^basic/i.test(challenge)) {
      if (!basic) throw new Unauthorized('no basic auth credentials');
      return basic;
    }
    const params = Object.fromEntries([...challenge.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    const realm = params['realm'];
    if (!/^bearer/i.test(challenge) || !realm) throw new Unauthorized(`unauthorized: the registry asked for ${challenge || 'credentials'}`);
    const url = new URL(realm);
    if (params['service']) url.searchParams.set('service', params['service']);
    for (const sc of scope.split(' ')) url.searchParams.append('scope', sc);
    const res = await fetch(url, { headers: basic ? { authorization: basic } : {} });
    const body = (await res.json().catch(() => ({}))) as { token?: string; access_token?: string };
    const token = body.token ?? body.access_token;
    if (!res.ok || !token) throw new Unauthorized(`unauthorized: ${res.status === 401 ? 'incorrect username or password' : `token service answered ${res.status}`}`);
    return `Bearer ${token}`;
  }
}

export async function credentialsFor(ctx: CliContext, domain: string): Promise<{ username: string; password: string } | undefined> {
  const key = domain === 'docker.io' ? 'https://index.docker.io/v1/' : domain;
  const entry = (await readConfig(configPath(ctx.env))).auths?.[key];
  if (!entry?.auth) return undefined;
  const plain = Buffer.from(entry.auth, 'base64').toString('utf8');
  const i = plain.indexOf(':');
  return { username: plain.slice(0, i), password: plain.slice(i + 1) };
}

export async function fetchManifest(reader: RegistryReader, ref: Ref, what: string): Promise<{ mediaType: string; bytes: Buffer }> {
  const res = await reader.get(`/v2/${ref.path}/manifests/${what}`, `repository:${ref.path}:pull`, ACCEPT);
  const bytes = Buffer.from(await res.arrayBuffer());
  if (res.status === 404) throw new NotFound(`no such manifest: ${ref.shown}`);
  if (res.status === 401 || res.status === 403) throw new Unauthorized(`unauthorized to read ${ref.shown}`);
  if (!res.ok) throw new Unavailable(`registry answered ${res.status} for ${ref.shown}`);
  let mediaType = (res.headers.get('content-type') ?? '').split(';')[0]?.trim() ?? '';
  try {
    const m = JSON.parse(bytes.toString('utf8')) as { mediaType?: string; manifests?: unknown };
    if (typeof m.mediaType === 'string') mediaType = m.mediaType;
    else if (Array.isArray(m.manifests) && !LISTS.has(mediaType)) mediaType = 'application/vnd.oci.image.index.v1+json';
  } catch {
    throw new InvalidArgument(`the registry's manifest for ${ref.shown} is not JSON`);
  }
  return { mediaType, bytes };
}

export function sha256Of(b: Buffer): string {
  return `sha256:${createHash('sha256').update(b).digest('hex')}`;
}

/** The name as the docker CLI prints a reference: in full, with its domain. */
export function fullName(ref: Ref, withRef = true): string {
  const name = `${ref.domain}/${ref.path}`;
  if (!withRef) return name;
  return ref.ref.startsWith('sha256:') ? `${name}@${ref.ref}` : `${name}:${ref.ref}`;
}

export function platformJson(p: Platform): Platform {
  return {
    architecture: p.architecture,
    os: p.os,
    ...(p['os.version'] ? { 'os.version': p['os.version'] } : {}),
    ...(p['os.features']?.length ? { 'os.features': p['os.features'] } : {}),
    ...(p.variant ? { variant: p.variant } : {}),
  };
}

/** An image's platform, from its config blob. */
export async function configPlatform(reader: RegistryReader, ref: Ref, digest: string): Promise<Platform | undefined> {
  const res = await reader.get(`/v2/${ref.path}/blobs/${digest}`, `repository:${ref.path}:pull`, '*/*');
  if (!res.ok) {
    await res.arrayBuffer();
    return undefined;
  }
  const cfg = (await res.json().catch(() => ({}))) as Partial<Platform>;
  return cfg.os && cfg.architecture ? (cfg as Platform) : undefined;
}

/** Go's json.MarshalIndent with a tab, escapes included. */
export function goIndent(v: unknown): string {
  return JSON.stringify(v, null, '\t').replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026');
}

/** Go's json.Indent with a tab: the same text as JSON.stringify's for these documents. */
export function indent(v: unknown): string {
  return JSON.stringify(v, null, '\t');
}

export interface Platform { architecture: string; os: string; 'os.version'?: string; 'os.features'?: string[]; variant?: string; features?: string[] }

export async function manifestInspect(ctx: CliContext, args: string[], opts: { insecure?: boolean; verbose?: boolean }): Promise<number> {
  try {
    if (args.length !== 1 && args.length !== 2) throw new InvalidArgument('"manifest inspect" requires at least 1 and at most 2 arguments');
    const ref = parseRef(args[0] as string);
    // A list made by `manifest create` (this CLI's or the docker CLI's) is shown from the local store.
    const { inspectLocal } = await import('./manifest-local.js');
    if (await inspectLocal(ctx, ref, args[1], opts.verbose === true)) return 0;
    const reader = new RegistryReader(ref.domain, await credentialsFor(ctx, ref.domain), opts.insecure === true);
    const top = await fetchManifest(reader, ref, ref.ref);
    if (opts.verbose) {
      const one = async (m: { mediaType: string; bytes: Buffer }, shown: string, platform?: Platform): Promise<Record<string, unknown>> => {
        const doc = JSON.parse(m.bytes.toString('utf8')) as { config?: { digest: string } };
        const p = platform ?? (doc.config ? await configPlatform(reader, ref, doc.config.digest) : undefined);
        const oci = m.mediaType === 'application/vnd.oci.image.manifest.v1+json';
        return {
          Ref: shown,
          Descriptor: { mediaType: m.mediaType, digest: sha256Of(m.bytes), size: m.bytes.length, ...(p ? { platform: platformJson(p) } : {}) },
          Raw: m.bytes.toString('base64'),
          [oci ? 'OCIManifest' : 'SchemaV2Manifest']: doc,
        };
      };
      if (!LISTS.has(top.mediaType)) {
        ctx.out(`${goIndent(await one(top, fullName(ref)))}\n`);
        return 0;
      }
      const list = JSON.parse(top.bytes.toString('utf8')) as { manifests: { digest: string; platform?: Platform }[] };
      const out = [];
      for (const e of list.manifests) out.push(await one(await fetchManifest(reader, ref, e.digest), `${fullName(ref, !ref.ref.startsWith('sha256:'))}@${e.digest}`, e.platform));
      ctx.out(`${goIndent(out)}\n`);
      return 0;
    }
    if (!LISTS.has(top.mediaType)) {
      ctx.out(`${indent(JSON.parse(top.bytes.toString('utf8')))}\n`);
      return 0;
    }
    // A list: the docker CLI rebuilds it from its entries, each fetched: a Docker manifest list
    // of descriptors with their platforms.
    const list = JSON.parse(top.bytes.toString('utf8')) as { manifests: { mediaType: string; digest: string; size: number; platform?: Platform }[] };
    const manifests = [];
    for (const m of list.manifests) {
      const child = await fetchManifest(reader, ref, m.digest);
      const p = m.platform;
      manifests.push({
        mediaType: child.mediaType,
        size: child.bytes.length,
        digest: m.digest,
        platform: {
          architecture: p?.architecture ?? '',
          os: p?.os ?? '',
          ...(p?.['os.version'] ? { 'os.version': p['os.version'] } : {}),
          ...(p?.['os.features']?.length ? { 'os.features': p['os.features'] } : {}),
          ...(p?.variant ? { variant: p.variant } : {}),
          ...(p?.features?.length ? { features: p.features } : {}),
        },
      });
    }
    // The docker CLI indents a rebuilt list with three spaces (an image manifest with a tab).
    ctx.out(`${JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.docker.distribution.manifest.list.v2+json', manifests }, null, 3)}\n`);
    return 0;
  } catch (e) {
    ctx.err(`${errorLine(e)}\n`);
    return 1;
  }
}
