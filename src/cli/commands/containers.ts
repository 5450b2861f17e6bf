import { pipeline } from 'node:stream/promises';
import { createDemuxer, humanSize, parseFilters, type EngineApi } from '../../api/index.js';
import { InvalidArgument } from '../../errdefs/index.js';
import type { CliContext } from '../context.js';
import { errorLine } from '../errors.js';
import { DEFAULT_PS_FORMAT, PS_HEADERS, containerRow } from '../format/containers.js';
import { renderFormat } from '../format/formatter.js';
import { toApiTimestamp } from '../timestamps.js';
import { confirm } from './prompt.js';

/** Runs `fn` for every name, printing the name on success and docker's error line otherwise. */
export async function forEach(ctx: CliContext, ids: readonly string[], fn: (api: EngineApi, id: string) => Promise<void>, printName = true): Promise<number> {
  const api = await ctx.api();
  let code = 0;
  for (const id of ids) {
    try {
      await fn(api, id);
      if (printName) ctx.out(`${id}\n`);
    } catch (e) {
      ctx.err(`${errorLine(e)}\n`);
      code = 1;
    }
  }
  return code;
}

function intFlag(v: string | undefined, flag: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n)) throw new InvalidArgument(`invalid argument "${v}" for "${flag}" flag: strconv.ParseInt: parsing "${v}": invalid syntax`);
  return n;
}

export function stop(ctx: CliContext, ids: string[], opts: { time?: string; signal?: string }): Promise<number> {
  const t = intFlag(opts.time, '-t, --time');
  return forEach(ctx, ids, (api, id) => api.containerStop(id, t, opts.signal));
}
export function restart(ctx: CliContext, ids: string[], opts: { time?: string; signal?: string }): Promise<number> {
  const t = intFlag(opts.time, '-t, --time');
  return forEach(ctx, ids, (api, id) => api.containerRestart(id, t, opts.signal));
}
export function kill(ctx: CliContext, ids: string[], opts: { signal?: string }): Promise<number> {
  return forEach(ctx, ids, (api, id) => api.containerKill(id, opts.signal));
}
export function rm(ctx: CliContext, ids: string[], opts: { force?: boolean; volumes?: boolean; link?: boolean }): Promise<number> {
  return forEach(ctx, ids, (api, id) => api.containerRemove(id, { force: opts.force === true, volumes: opts.volumes === true, link: opts.link === true }));
}
export function pause(ctx: CliContext, ids: string[]): Promise<number> {
  return forEach(ctx, ids, (api, id) => api.containerPause(id));
}
export function unpause(ctx: CliContext, ids: string[]): Promise<number> {
  return forEach(ctx, ids, (api, id) => api.containerUnpause(id));
}

export async function wait(ctx: CliContext, ids: string[]): Promise<number> {
  return forEach(ctx, ids, async (api, id) => {
    const { result } = await api.containerWait(id, 'not-running');
    const r = await result;
    if (r.Error?.Message) throw new InvalidArgument(r.Error.Message);
    ctx.out(`${r.StatusCode}\n`);
  }, false);
}

export interface PsOptions {
  all?: boolean;
  filter?: string[];
  format?: string;
  last?: string;
  latest?: boolean;
  trunc?: boolean;
  quiet?: boolean;
  size?: boolean;
}

export async function ps(ctx: CliContext, opts: PsOptions): Promise<number> {
  let limit = intFlag(opts.last, '-n, --last');
  if (opts.latest) limit = 1;
  const api = await ctx.api();
  const format = opts.quiet ? '{{.ID}}' : opts.format ?? DEFAULT_PS_FORMAT;
  const wantSize = opts.size === true || (!opts.quiet && /\.Size\b/.test(format));
  const list = await api.containerList({
    all: opts.all === true || (limit !== undefined && limit > 0),
    ...(limit !== undefined && limit !== -1 ? { limit } : {}),
    size: wantSize,
    filters: parseFilters(opts.filter ?? []),
  });
  const trunc = opts.trunc !== false;
  const now = Date.now();
  const fmt = opts.size && format === DEFAULT_PS_FORMAT ? `${DEFAULT_PS_FORMAT}\t{{.Size}}` : format;
  ctx.out(renderFormat(fmt, list.map((c) => containerRow(c, trunc, now)), PS_HEADERS));
  return 0;
}

export interface LogsOptions {
  follow?: boolean;
  since?: string;
  until?: string;
  tail?: string;
  timestamps?: boolean;
  details?: boolean;
}

export async function logs(ctx: CliContext, id: string, opts: LogsOptions): Promise<number> {
  const api = await ctx.api();
  const info = await api.containerInspect(id);
  const stream = await api.containerLogs(id, {
    stdout: true, stderr: true, follow: opts.follow === true, timestamps: opts.timestamps === true,
    ...(opts.details ? { details: true } : {}),
    ...(opts.tail !== undefined ? { tail: opts.tail } : {}),
    ...(opts.since !== undefined ? { since: toApiTimestamp(opts.since) } : {}),
    ...(opts.until !== undefined ? { until: toApiTimestamp(opts.until) } : {}),
  });
  // A TTY container's log is one raw stream; otherwise it is framed stdout/stderr.
  if (info.Config.Tty) {
    for await (const chunk of stream) ctx.stdout.write(chunk as Buffer);
  } else {
    await pipeline(stream, createDemuxer(ctx.stdout, ctx.stderr));
  }
  return 0;
}

export async function prune(ctx: CliContext, opts: { force?: boolean; filter?: string[] }): Promise<number> {
  if (!opts.force && !(await confirm(ctx, 'WARNING! This will remove all stopped containers.'))) return 0;
  const api = await ctx.api();
  const r = await api.containerPrune(parseFilters(opts.filter ?? []));
  let out = '';
  if (r.ContainersDeleted && r.ContainersDeleted.length > 0) out += `Deleted Containers:\n${r.ContainersDeleted.join('\n')}\n\n`;
  out += `Total reclaimed space: ${humanSize(r.SpaceReclaimed)}\n`;
  ctx.out(out);
  return 0;
}
