import { lstat, stat } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import { humanSize, isApiError, type EngineApi } from '../../api/index.js';
import { InvalidArgument } from '../../errdefs/index.js';
import type { CliContext } from '../context.js';
import { extractLocal, packLocal, splitDirEntry } from './cp-local.js';

/** Docker's X-Docker-Container-Path-Stat. */
interface PathStat {
  name: string;
  size: number;
  mode: number;
  mtime: string;
  linkTarget: string;
}

const GO_DIR = 2 ** 31;
const GO_SYMLINK = 2 ** 27;
const isDir = (s: PathStat): boolean => s.mode >= GO_DIR;
const isSymlink = (s: PathStat): boolean => Math.floor(s.mode / GO_SYMLINK) % 2 === 1;

export interface CpOptions {
  followLink?: boolean;
  archive?: boolean;
  quiet?: boolean;
}

/** docker's splitCpArg: an absolute path or one starting with '.' is local, else CONTAINER:PATH. */
export function splitCpArg(arg: string): { container: string; path: string } {
  if (arg.startsWith('/')) return { container: '', path: arg };
  const i = arg.indexOf(':');
  if (i < 0 || arg.startsWith('.')) return { container: '', path: arg };
  return { container: arg.slice(0, i), path: arg.slice(i + 1) };
}

function decodeStat(header: string | string[] | undefined): PathStat | null {
  if (typeof header !== 'string' || header === '') return null;
  return JSON.parse(Buffer.from(header, 'base64').toString('utf8')) as PathStat;
}

function absolute(path: string): string {
  return path.startsWith('/') ? path : `/${path}`;
}

async function statPath(api: EngineApi, container: string, path: string): Promise<PathStat | null> {
  try {
    const res = await api.client.request('HEAD', `/containers/${encodeURIComponent(container)}/archive`, { query: { path } });
    res.resume();
    return decodeStat(res.headers['x-docker-container-path-stat']);
  } catch (e) {
    if (isApiError(e) && e.statusCode === 404) return null;
    throw e;
  }
}

export async function cp(ctx: CliContext, src: string, dst: string, opts: CpOptions): Promise<number> {
  const s = splitCpArg(src);
  const d = splitCpArg(dst);
  if (s.container && d.container) throw new InvalidArgument('copying between containers is not supported');
  if (!s.container && !d.container) throw new InvalidArgument('must specify at least one container source');
  const api = await ctx.api();
  if (s.container) return copyFromContainer(ctx, api, s.container, s.path, dst, opts);
  return copyToContainer(ctx, api, src, d.container, d.path, opts);
}

async function copyFromContainer(ctx: CliContext, api: EngineApi, container: string, path: string, dst: string, opts: CpOptions): Promise<number> {
  await api.containerInspect(container);
  let srcPath = absolute(path);
  let rebaseName: string | null = null;
  if (opts.followLink) {
    const st = await statPath(api, container, srcPath);
    if (st && isSymlink(st)) {
      rebaseName = splitDirEntry(srcPath).base;
      srcPath = st.linkTarget;
    }
  }
  const res = await api.client.request('GET', `/containers/${encodeURIComponent(container)}/archive`, { query: { path: srcPath } });
  const st = decodeStat(res.headers['x-docker-container-path-stat']);
  const tar: Readable = res;
  if (dst === '-') {
    await pipeline(tar, ctx.stdout, { end: false });
    return 0;
  }
  const srcBase = splitDirEntry(srcPath).base;
  const local = await (dst.endsWith('/') ? stat(dst) : lstat(dst)).catch(() => null);
  const srcIsDir = st !== null && isDir(st);
  if (local?.isDirectory()) await extractLocal(tar, dst, srcBase, null);
  else if (local && srcIsDir) throw new InvalidArgument('cannot copy directory');
  else {
    if (!local && dst.endsWith('/') && !srcIsDir) throw new InvalidArgument(`destination directory ${JSON.stringify(dst)} does not exist`);
    const parent = dirname(dst.replace(/\/+$/, '') || '/');
    const parentSt = await stat(parent).catch(() => null);
    if (!parentSt?.isDirectory()) throw new InvalidArgument(`destination directory ${JSON.stringify(parent)} does not exist`);
    await extractLocal(tar, parent, rebaseName ?? srcBase, basename(dst.replace(/\/+$/, '')));
  }
  if (!opts.quiet && ctx.stderr.isTTY) ctx.err(`Successfully copied ${humanSize(st?.size ?? 0)} to ${dst}\n`);
  return 0;
}

async function copyToContainer(ctx: CliContext, api: EngineApi, src: string, container: string, path: string, opts: CpOptions): Promise<number> {
  await api.containerInspect(container);
  let dstPath = absolute(path);
  let dst = await statPath(api, container, dstPath);
  if (dst && isSymlink(dst)) {
    dstPath = dst.linkTarget.startsWith('/') ? dst.linkTarget : `${dirname(dstPath)}/${dst.linkTarget}`;
    dst = await statPath(api, container, dstPath);
  }
  const put = async (dir: string, body: Readable): Promise<void> => {
    const res = await api.client.request('PUT', `/containers/${encodeURIComponent(container)}/archive`, {
      query: { path: dir, noOverwriteDirNonDir: true, ...(opts.archive ? { copyUIDGID: true } : {}) },
      body,
    });
    res.resume();
  };
  if (src === '-') {
    if (!dst || !isDir(dst)) throw new InvalidArgument(`destination "${container}:${path}" must be a directory`);
    await put(dstPath, ctx.stdin);
    return 0;
  }
  const local = await (opts.followLink ? stat(src) : lstat(src)).catch(() => null);
  if (!local) throw new InvalidArgument(`lstat ${src}: no such file or directory`);
  const srcBase = splitDirEntry(src).base;
  if (dst && isDir(dst)) {
    await put(dstPath, await packLocal(src, srcBase, opts.followLink === true));
  } else if (dst && local.isDirectory()) {
    throw new InvalidArgument('cannot copy directory');
  } else {
    if (!dst && dstPath.endsWith('/') && !local.isDirectory()) throw new InvalidArgument(`destination directory ${JSON.stringify(`${container}:${path}`)} does not exist`);
    const { dir, base } = splitDirEntry(dstPath.replace(/\/+$/, '') || '/');
    await put(dir, await packLocal(src, base, opts.followLink === true));
  }
  if (!opts.quiet && ctx.stderr.isTTY) ctx.err(`Successfully copied ${humanSize(local.size)} to ${container}:${dstPath}\n`);
  return 0;
}
