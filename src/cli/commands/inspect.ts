import { isApiError, type EngineApi } from '../../api/index.js';
import { InvalidArgument, NotFound } from '../../errdefs/index.js';
import type { CliContext } from '../context.js';
import { Template } from '../template/index.js';

export interface InspectOptions {
  format?: string;
  size?: boolean;
  type?: string;
}

const notFound = (e: unknown): boolean => isApiError(e) && e.statusCode === 404;

async function lookup(api: EngineApi, name: string, opts: InspectOptions): Promise<unknown> {
  const type = opts.type ?? '';
  if (type === 'container') {
    try { return await api.containerInspect(name, opts.size === true); } catch (e) {
      if (notFound(e)) throw new NotFound(`No such container: ${name}`);
      throw e;
    }
  }
  if (type === 'image') {
    try { return await api.imageInspect(name); } catch (e) {
      if (notFound(e)) throw new NotFound(`No such image: ${name}`);
      throw e;
    }
  }
  if (type !== '') throw new InvalidArgument(`"${type}" is not a valid value for --type`);
  try { return await api.containerInspect(name, opts.size === true); } catch (e) { if (!notFound(e)) throw e; }
  try { return await api.imageInspect(name); } catch (e) { if (!notFound(e)) throw e; }
  throw new NotFound(`No such object: ${name}`);
}

/** docker inspect: a 4-space indented JSON array, or one template line per object. */
export async function inspect(ctx: CliContext, names: string[], opts: InspectOptions): Promise<number> {
  const tmpl = opts.format !== undefined && opts.format !== '' && opts.format !== 'json' ? new Template(opts.format) : undefined;
  const api = await ctx.api();
  const found: unknown[] = [];
  const errors: string[] = [];
  for (const name of names) {
    try {
      found.push(await lookup(api, name, opts));
    } catch (e) {
      if (e instanceof NotFound) errors.push(`Error: ${e.message}`);
      else if (isApiError(e)) errors.push(`Error response from daemon: ${e.message}`);
      else throw e;
    }
  }
  if (tmpl) {
    for (const obj of found) ctx.out(`${tmpl.execute(obj)}\n`);
  } else if (opts.format === 'json') {
    for (const obj of found) ctx.out(`${JSON.stringify(obj)}\n`);
  } else {
    ctx.out(`${found.length === 0 ? '[]' : JSON.stringify(found, null, 4)}\n`);
  }
  for (const e of errors) ctx.err(`${e}\n`);
  return errors.length > 0 ? 1 : 0;
}
