import { messageOf } from './errors.js';
import type { ServerResponse } from 'node:http';
import type { ImageSearchResult } from '../../api/index.js';
import { progressString } from '../../api/index.js';
import { Internal, InvalidArgument, NotImplemented, Unauthorized } from '../../errdefs/index.js';
import { decodeRegistryAuth, type Credentials, type ProgressEvent, type RemoteImages } from '../../services/index.js';
import type { Handler, HttpContext, Router } from '../http/index.js';
import type { EngineDeps } from './deps.js';
import { param } from './containers.js';
import { parseFilters } from './request.js';

/**
 * One JSON message of Docker's stream. As dockerd does, a layer's line (an id) and aux carry
 * progressDetail (`{}` when there are no byte counts): the docker CLI keeps such a line per id and
 * rewrites it in place; a plain status (Digest:, Status:, Pulling from) goes without, and a
 * terminal prints it on its own line.
 */
export function jsonMessage(e: ProgressEvent): Record<string, unknown> {
  const m: Record<string, unknown> = e.status === '' ? {} : { status: e.status };
  // dockerd's "Pushed" carries no counts: a bar drawn from them would linger on the finished line.
  if ((e.current !== undefined || e.total !== undefined) && e.status !== 'Pushed') {
    m['progressDetail'] = { current: e.current ?? 0, ...(e.total !== undefined ? { total: e.total } : {}) };
    const text = e.current !== undefined ? progressString(e.current, e.total) : '';
    if (text !== '') m['progress'] = text;
  } else if ((e.id !== undefined && !e.message) || e.aux) {
    m['progressDetail'] = {};
  }
  if (e.id !== undefined) m['id'] = e.id;
  if (e.aux) m['aux'] = { Tag: e.aux.tag, Digest: e.aux.digest, Size: e.aux.size };
  return m;
}

function writer(res: ServerResponse): (e: ProgressEvent) => void {
  return (e) => {
    if (!res.writableEnded && !res.destroyed) res.write(JSON.stringify(jsonMessage(e)) + '\n');
  };
}

function writeError(res: ServerResponse, e: unknown): void {
  const message = messageOf(e);
  if (!res.writableEnded && !res.destroyed) res.write(JSON.stringify({ errorDetail: { message }, error: message }) + '\n');
}

export function credsOf(ctx: HttpContext): Credentials | undefined {
  const h = ctx.req.headers['x-registry-auth'];
  const c = decodeRegistryAuth(Array.isArray(h) ? h[0] : h);
  if (!c) return undefined;
  const { serverAddress: _ignored, ...rest } = c;
  void _ignored;
  return Object.keys(rest).length ? rest : undefined;
}

export function remotesOf(deps: EngineDeps): RemoteImages {
  if (!deps.remotes) throw new NotImplemented('this berthd is not wired to talk to registries');
  return deps.remotes;
}

/**
 * `POST /images/create?fromImage=&tag=` (pull): a missing tag is a direct 404; once resolved, the
 * progress and any failure travel inside the 200 JSON message stream, as Docker sends them.
 */
export async function pullImage(ctx: HttpContext, deps: EngineDeps): Promise<void> {
  const remotes = remotesOf(deps);
  const fromImage = ctx.query.get('fromImage') ?? '';
  const tag = ctx.query.get('tag') ?? '';
  if (fromImage === '') throw new InvalidArgument('fromImage is required');
  const ref = tag === '' ? fromImage : tag.includes(':') ? `${fromImage}@${tag}` : `${fromImage}:${tag}`;
  const platform = ctx.query.get('platform') ?? '';
  const creds = credsOf(ctx);
  const opts = { ...(platform ? { platform } : {}), ...(creds ? { creds } : {}), signal: ctx.signal };
  // The docker CLI asks for every tag (`pull -a`) by leaving tag empty on a name without one.
  const all = tag === '' && !/@|:[^/]*$/.test(fromImage);
  const job = await (all ? remotes.preparePullAll(fromImage, opts) : remotes.preparePull(ref, opts)).catch((e: unknown) => {
    // dockerd answers a registry's refusal of a pull with 500, not 401: on a 401 the docker CLI
    // asks for a username (and hangs without a terminal) instead of printing the refusal.
    if (e instanceof Unauthorized) throw new Internal(e.message, { cause: e });
    throw e;
  });
  const res = ctx.startStream('application/json');
  try {
    await job.run(writer(res));
  } catch (e) {
    deps.log(`pull ${ref} failed`, e);
    writeError(res, e);
  }
  res.end();
}

export function imageRemoteRoutes(r: Router<Handler>, deps: EngineDeps): void {
  r.add('POST', '/images/{name:.*}/push', async (ctx) => {
    const remotes = remotesOf(deps);
    const creds = credsOf(ctx);
    const tag = ctx.query.get('tag') ?? '';
    const job = remotes.preparePush(param(ctx, 'name'), tag || undefined, { ...(creds ? { creds } : {}), signal: ctx.signal });
    const res = ctx.startStream('application/json');
    try {
      await job.run(writer(res));
    } catch (e) {
      deps.log(`push ${param(ctx, 'name')} failed`, e);
      writeError(res, e);
    }
    res.end();
  });

  r.add('GET', '/images/search', async (ctx) => {
    const remotes = remotesOf(deps);
    const creds = credsOf(ctx);
    const limitRaw = ctx.query.get('limit');
    if (limitRaw !== null && limitRaw !== '' && !/^-?\d+$/.test(limitRaw)) throw new InvalidArgument(`invalid limit ${JSON.stringify(limitRaw)}: not a number`);
    const hits = await remotes.search(ctx.query.get('term') ?? '', {
      ...(limitRaw ? { limit: Number(limitRaw) } : {}),
      filters: parseFilters(ctx.query.get('filters')),
      ...(creds ? { creds } : {}),
      signal: ctx.signal,
    });
    const body: ImageSearchResult[] = hits.map((h) => ({ name: h.name, description: h.description, star_count: h.starCount, is_official: h.isOfficial, is_automated: h.isAutomated }));
    ctx.sendJson(200, body);
  });

  r.add('POST', '/auth', async (ctx) => {
    const remotes = remotesOf(deps);
    const body = JSON.parse((await ctx.readBody(1 << 20)).toString('utf8') || '{}') as Record<string, unknown>;
    const str = (k: string): string | undefined => (typeof body[k] === 'string' && body[k] !== '' ? (body[k]) : undefined);
    const creds: Credentials = {};
    const username = str('username');
    const password = str('password');
    const identityToken = str('identitytoken');
    if (username !== undefined) creds.username = username;
    if (password !== undefined) creds.password = password;
    if (identityToken !== undefined) creds.identityToken = identityToken;
    await remotes.login(str('serveraddress'), creds, ctx.signal);
    ctx.sendJson(200, { Status: 'Login Succeeded', IdentityToken: '' });
  });
}
