import { humanSize, parseFilters } from '../../api/index.js';
import { InvalidArgument } from '../../errdefs/index.js';
import type { CliContext } from '../context.js';
import { renderFormat } from '../format/formatter.js';
import { goEscape } from '../template/index.js';
import { DEFAULT_HISTORY_FORMAT, DEFAULT_IMAGES_FORMAT, DIGESTS_IMAGES_FORMAT, HISTORY_HEADERS, IMAGE_HEADERS, historyRows, imageRows } from '../format/images.js';
import { forEach } from './containers.js';
import { splitReference } from './image-io.js';
import { confirm } from './prompt.js';

export interface ImagesOptions {
  all?: boolean;
  digests?: boolean;
  filter?: string[];
  format?: string;
  trunc?: boolean;
  quiet?: boolean;
}

export async function images(ctx: CliContext, repo: string | undefined, opts: ImagesOptions): Promise<number> {
  const filters = parseFilters(opts.filter ?? []);
  if (repo !== undefined) (filters['reference'] ??= {})[repo] = true;
  const api = await ctx.api();
  const list = await api.imageList({ all: opts.all === true, filters });
  list.sort((a, b) => b.Created - a.Created);
  const trunc = opts.trunc !== false;
  const format = opts.quiet ? '{{.ID}}' : opts.format ?? (opts.digests ? DIGESTS_IMAGES_FORMAT : DEFAULT_IMAGES_FORMAT);
  const rows = imageRows(list, { trunc, digests: opts.digests === true });
  ctx.out(renderFormat(format, rows, IMAGE_HEADERS));
  return 0;
}

export async function rmi(ctx: CliContext, names: string[], opts: { force?: boolean; prune?: boolean }): Promise<number> {
  return forEach(ctx, names, async (api, name) => {
    const items = await api.imageRemove(name, { force: opts.force === true, noprune: opts.prune === false });
    for (const it of items ?? []) {
      if (it.Untagged !== undefined) ctx.out(`Untagged: ${it.Untagged}\n`);
      if (it.Deleted !== undefined) ctx.out(`Deleted: ${it.Deleted}\n`);
    }
  }, false);
}

export async function tag(ctx: CliContext, source: string, target: string): Promise<number> {
  const { repo, tag: t } = splitReference(target);
  if (repo.includes('@')) throw new InvalidArgument(`refusing to create a tag with a digest reference`);
  const api = await ctx.api();
  await api.imageTag(source, repo, t ?? 'latest');
  return 0;
}

export async function history(ctx: CliContext, name: string, opts: { human?: boolean; format?: string; trunc?: boolean; quiet?: boolean }): Promise<number> {
  const api = await ctx.api();
  const items = await api.imageHistory(name);
  const rows = historyRows(items, { trunc: opts.trunc !== false, human: opts.human !== false });
  const format = opts.quiet ? '{{.ID}}' : opts.format ?? DEFAULT_HISTORY_FORMAT;
  if (format === 'json') {
    // docker marshals each row's columns as a map: keys in order, Go's escapes.
    const keys = ['Comment', 'CreatedAt', 'CreatedBy', 'CreatedSince', 'ID', 'Size'] as const;
    ctx.out(rows.map((r) => `${goEscape(JSON.stringify(Object.fromEntries(keys.map((k) => [k, r[k]]))))}\n`).join(''));
    return 0;
  }
  ctx.out(renderFormat(format, rows, HISTORY_HEADERS));
  return 0;
}

export async function imagePrune(ctx: CliContext, opts: { all?: boolean; force?: boolean; filter?: string[] }): Promise<number> {
  const warning = opts.all
    ? 'WARNING! This will remove all images without at least one container associated to them.'
    : 'WARNING! This will remove all dangling images.';
  if (!opts.force && !(await confirm(ctx, warning))) return 0;
  const filters = parseFilters(opts.filter ?? []);
  if (opts.all) filters['dangling'] = { false: true };
  const api = await ctx.api();
  const r = await api.imagePrune(filters);
  let out = '';
  if (r.ImagesDeleted && r.ImagesDeleted.length > 0) {
    out += 'Deleted Images:\n';
    for (const d of r.ImagesDeleted) {
      if (d.Untagged !== undefined) out += `untagged: ${d.Untagged}\n`;
      if (d.Deleted !== undefined) out += `deleted: ${d.Deleted}\n`;
    }
    out += '\n';
  }
  out += `Total reclaimed space: ${humanSize(r.SpaceReclaimed)}\n`;
  ctx.out(out);
  return 0;
}
