import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { InvalidArgument } from '../../errdefs/index.js';
import type { FilesystemService, PathStat } from '../../services/index.js';
import type { Handler, HttpContext, Router } from '../http/index.js';
import { param } from './containers.js';
import { goFileMode } from './file-mode.js';
import type { EngineDeps } from './deps.js';

const KIND = { modify: 0, add: 1, delete: 2 } as const;

function statHeader(s: PathStat): string {
  const wire = { name: s.name, size: s.size, mode: goFileMode(s.mode), mtime: s.mtime, linkTarget: s.linkTarget };
  return Buffer.from(JSON.stringify(wire)).toString('base64');
}

function pathParam(ctx: HttpContext): string {
  const p = ctx.query.get('path');
  if (p === null || p === '') throw new InvalidArgument('bad parameter: path cannot be empty');
  return p;
}

/** Streams a tar answer; a failure after the headers went out can only cut the connection. */
async function sendTar(ctx: HttpContext, tar: Readable, headers: Record<string, string> = {}): Promise<void> {
  ctx.res.writeHead(200, { 'Content-Type': 'application/x-tar', ...headers });
  await pipeline(tar, ctx.res).catch((e: unknown) => {
    tar.destroy();
    ctx.res.destroy(e instanceof Error ? e : undefined);
  });
}

/**
 * cp (HEAD/GET/PUT archive), diff (changes), export, commit and system df, on the filesystem
 * service the router builds once from the two services it stands on.
 */
export function containerFsRoutes(r: Router<Handler>, deps: EngineDeps, fs: FilesystemService): void {

  r.add('HEAD', '/containers/{id}/archive', async (ctx) => {
    const stat = await fs.statPath(param(ctx, 'id'), pathParam(ctx));
    ctx.res.writeHead(200, { 'Content-Type': 'application/json', 'X-Docker-Container-Path-Stat': statHeader(stat), 'Content-Length': 0 });
    ctx.res.end();
  });

  r.add('GET', '/containers/{id}/archive', async (ctx) => {
    const { stat, archive } = await fs.getArchive(param(ctx, 'id'), pathParam(ctx), ctx.signal);
    await sendTar(ctx, archive, { 'X-Docker-Container-Path-Stat': statHeader(stat) });
  });

  r.add('PUT', '/containers/{id}/archive', async (ctx) => {
    await fs.putArchive(param(ctx, 'id'), pathParam(ctx), ctx.req, {
      noOverwriteDirNonDir: ctx.bool('noOverwriteDirNonDir'),
      copyUIDGID: ctx.bool('copyUIDGID'),
      signal: ctx.signal,
    });
    ctx.sendStatus(200);
  });

  r.add('GET', '/containers/{id}/changes', async (ctx) => {
    const changes = await fs.changes(param(ctx, 'id'), ctx.signal);
    ctx.sendJson(200, changes.map((c) => ({ Path: `/${c.path}`, Kind: KIND[c.kind] })));
  });

  r.add('GET', '/containers/{id}/export', async (ctx) => {
    await sendTar(ctx, await fs.export(param(ctx, 'id'), ctx.signal));
  });

  r.add('POST', '/commit', async (ctx) => {
    const container = ctx.query.get('container');
    if (!container) throw new InvalidArgument('No container specified');
    const opt = (k: string): Record<string, string> => {
      const v = ctx.query.get(k);
      return v ? { [k]: v } : {};
    };
    const changes = ctx.query.getAll('changes').flatMap((c) => c.split('\n')).filter((c) => c.trim() !== '');
    // The request body may carry a container config (docker commit --change is sent in the query).
    await ctx.readBody().catch(() => Buffer.alloc(0));
    const id = await fs.commit(container, {
      ...opt('repo'),
      ...opt('tag'),
      ...opt('comment'),
      ...opt('author'),
      changes,
      pause: ctx.bool('pause', true),
      signal: ctx.signal,
    });
    ctx.sendJson(201, { Id: id });
  });
}
