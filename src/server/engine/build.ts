import { parseFilters } from './request.js';
import { messageOf } from './errors.js';
import { InvalidArgument, NotImplemented } from '../../errdefs/index.js';
import { decodeRegistryAuth, RunFailed, type BuildMessage, type Credentials, type SolveStatus } from '../../services/index.js';
import type { ServerResponse } from 'node:http';
import type { Handler, HttpContext, Router } from '../http/index.js';
import { buildQueryOptions } from './build-options.js';
import type { EngineDeps } from './deps.js';

function jsonMap(ctx: HttpContext, name: string): Record<string, string | null> {
  const raw = ctx.query.get(name);
  if (!raw) return {};
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch (e) {
    throw new InvalidArgument(`invalid ${name} parameter: ${(e as Error).message}`, { cause: e });
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new InvalidArgument(`invalid ${name} parameter: expected a JSON object`);
  return Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, x === null ? null : String(x)]));
}

/** X-Registry-Config: base64url JSON of registry host → auth config, as the docker CLI sends for builds. */
function registryConfig(ctx: HttpContext, normalize: (ref: string) => string): (image: string) => Credentials | undefined {
  const h = ctx.req.headers['x-registry-config'];
  const header = Array.isArray(h) ? h[0] : h;
  if (!header) return () => undefined;
  let map: Record<string, unknown> = {};
  try {
    map = JSON.parse(Buffer.from(header.replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('utf8')) as Record<string, unknown>;
  } catch {
    return () => undefined;
  }
  return (image) => {
    const domain = normalize(image).split('/')[0] ?? '';
    const hosts = domain === 'docker.io' ? ['https://index.docker.io/v1/', 'index.docker.io', 'docker.io', 'registry-1.docker.io'] : [domain, `https://${domain}`, `http://${domain}`];
    for (const k of hosts) {
      const entry = map[k] ?? map[`${k}/`];
      if (entry && typeof entry === 'object') {
        const c = decodeRegistryAuth(Buffer.from(JSON.stringify(entry)).toString('base64'));
        if (c) {
          const { serverAddress: _s, ...rest } = c;
          void _s;
          return rest;
        }
      }
    }
    return undefined;
  };
}

/** A JSON list of strings in the query (none when absent). */
function jsonStrings(ctx: HttpContext, name: string): string[] {
  const raw = ctx.query.get(name);
  if (!raw || raw === 'null') return [];
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch (e) {
    throw new InvalidArgument(`invalid ${name} parameter: ${(e as Error).message}`, { cause: e });
  }
  if (!Array.isArray(v)) throw new InvalidArgument(`invalid ${name} parameter: expected a JSON list`);
  return v.map(String);
}

/** berth's structured progress rides in JSON messages of this ID (aux: a BuildKit-shaped SolveStatus). */
export const PROGRESS_ID = 'berth.build.progress';

function errorMessage(e: unknown): Record<string, unknown> {
  const message = messageOf(e, 'building');
  const code = e instanceof RunFailed ? e.exitCode : undefined;
  return { errorDetail: { ...(code !== undefined ? { code } : {}), message }, error: message };
}

/**
 * `POST /build` (Docker's classic builder, which the docker CLI uses without buildx) and
 * `POST /build/prune`, on the daemon's build service.
 */
export function buildRoutes(r: Router<Handler>, deps: EngineDeps): void {
  const { builds } = deps;

  r.add('POST', '/build', async (ctx) => {
    if (ctx.query.get('remote')) throw new NotImplemented('berth builds only from a context sent with the request (no remote contexts)');
    const tags = builds.normalizeTags(ctx.query.getAll('t').filter((t) => t !== ''));
    const target = ctx.query.get('target') ?? '';
    const query = buildQueryOptions(ctx.query);
    // berth's own fields: progress=structured (BuildKit-style steps) and nocachefilter (stages built without the cache).
    const progress = ctx.query.get('progress') ?? '';
    if (progress !== '' && progress !== 'classic' && progress !== 'structured') throw new InvalidArgument(`invalid progress "${progress}": use classic or structured`);
    const noCacheStages = jsonStrings(ctx, 'nocachefilter');
    const buildId = ctx.query.get('buildid') ?? '';
    const secrets = buildSecrets(ctx);
    const ssh = buildSsh(ctx);
    const entitlements = jsonStrings(ctx, 'allow');
    for (const e of entitlements) if (e !== 'security.insecure' && e !== 'network.host') throw new InvalidArgument(`unknown entitlement "${e}": berth grants security.insecure and network.host`);
    const opts = {
      ...query,
      dockerfile: ctx.query.get('dockerfile') || 'Dockerfile',
      tags,
      buildArgs: jsonMap(ctx, 'buildargs'),
      ...(target ? { target } : {}),
      noCache: ctx.bool('nocache'),
      quiet: ctx.bool('q'),
      pull: ctx.bool('pull'),
      labels: Object.fromEntries(Object.entries(jsonMap(ctx, 'labels')).map(([k, v]) => [k, v ?? ''])),
      credentials: registryConfig(ctx, (ref) => deps.images.normalize(ref)),
      signal: ctx.signal,
      structured: progress === 'structured',
      ...(noCacheStages.length ? { noCacheStages } : {}),
      ...(secrets.size ? { secrets } : {}),
      ...(ssh.size ? { ssh } : {}),
      ...(entitlements.length ? { entitlements } : {}),
    };
    // As dockerd: the 200 and the stream begin with the first step (also with -q, whose output dockerd
    // holds back); an error before it, in the context or the Dockerfile, is the reply's status.
    let res: ServerResponse | null = null;
    const start = (): ServerResponse => (res ??= ctx.startStream('application/json'));
    const send = (m: BuildMessage | Record<string, unknown>): void => {
      const r = start();
      const wire = 'progress' in m ? { id: PROGRESS_ID, aux: userWords(m.progress as SolveStatus) } : m;
      if (!r.writableEnded && !r.destroyed) r.write(JSON.stringify(wire) + '\n');
    };
    try {
      await builds.build(ctx.req, opts, send, start, buildId || undefined);
    } catch (e) {
      if (!res) throw e;
      if (!ctx.signal.aborted) deps.log('build failed', e);
      send(errorMessage(e));
    }
    (res as ServerResponse | null)?.end();
  });

  // The docker CLI sends it on Ctrl-C with the buildid it gave POST /build.
  r.add('POST', '/build/cancel', (ctx) => {
    const id = ctx.query.get('id') ?? '';
    if (!id) throw new InvalidArgument('build ID not provided');
    // As dockerd: an ID with no running build (it may just have ended) is not an error.
    builds.cancel(id);
    ctx.sendStatus(200);
    return Promise.resolve();
  });

  r.add('POST', '/build/prune', async (ctx) => {
    // berth prunes every build cache nothing uses (intermediate images, cache mounts), with or
    // without `all`; what would choose among them is refused, not ignored.
    const filters = parseFilters(ctx.query.get('filters'));
    const keys = [...filters.keys()];
    if (keys.length) throw new NotImplemented(`builder prune filters are not supported by berth: ${keys.join(', ')}`);
    for (const k of ['keep-storage', 'reserved-space', 'max-used-space', 'min-free-space']) {
      const v = ctx.query.get(k);
      if (v !== null && v !== '' && v !== '0') throw new NotImplemented(`builder prune ${k} is not supported by berth: it removes every build cache not in use`);
    }
    const { deleted, spaceReclaimed } = await builds.prune();
    ctx.sendJson(200, { CachesDeleted: deleted, SpaceReclaimed: spaceReclaimed });
  });
}

/**
 * berth's own field for `berth build --secret`: the X-Berth-Build-Secrets header, base64 of a JSON
 * object of id → base64 value. Docker's legacy builder has no way to send secrets; a header keeps
 * them out of the query (and so out of any logged URL), the build args and the context.
 */
export const SECRETS_HEADER = 'x-berth-build-secrets';

function buildSecrets(ctx: HttpContext): Map<string, Buffer> {
  const h = ctx.req.headers[SECRETS_HEADER];
  const header = Array.isArray(h) ? h[0] : h;
  const out = new Map<string, Buffer>();
  if (!header) return out;
  let v: unknown;
  try {
    v = JSON.parse(Buffer.from(header, 'base64').toString('utf8'));
  } catch {
    throw new InvalidArgument('invalid build secrets: expected base64 of a JSON object of id to base64 value');
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new InvalidArgument('invalid build secrets: expected a JSON object of id to base64 value');
  for (const [id, data] of Object.entries(v as Record<string, unknown>)) {
    if (typeof data !== 'string' || !/^[A-Za-z0-9_.-]+$/.test(id)) throw new InvalidArgument(`invalid build secret ${JSON.stringify(id)}: expected an id of letters, digits, '.', '_' or '-' and a base64 value`);
    out.set(id, Buffer.from(data, 'base64'));
  }
  return out;
}

/** `ssh`: a JSON object of id → the agent socket's path (the berth CLI runs on berthd's host). */
function buildSsh(ctx: HttpContext): Map<string, string> {
  const m = jsonMap(ctx, 'ssh');
  const out = new Map<string, string>();
  for (const [id, path] of Object.entries(m)) {
    if (!path || !path.startsWith('/')) throw new InvalidArgument(`invalid --ssh ${id}: expected the absolute path of an SSH agent socket`);
    out.set(id, path);
  }
  return out;
}

/** A step's error in the user's words, as the build's own error (a full disk named as such, no errno). */
function userWords(s: SolveStatus): SolveStatus {
  if (!s.vertexes?.some((v) => v.error)) return s;
  return { ...s, vertexes: s.vertexes.map((v) => (v.error ? { ...v, error: messageOf(new Error(v.error), 'building') } : v)) };
}
