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
export function inspect(ctx: CliContext, names: string[], opts: InspectOptions): Promise<number> {
  return inspectEach(ctx, names, opts.format, (api, name) => lookup(api, name, opts));
}

/**
 * The `inspect` of every object kind: each name looked up (`lookup` throws NotFound in Docker's
 * words for a missing one), printed as a 4-space indented JSON array, one compact JSON line
 * (`--format json`) or one template line per object; errors after, exit 1 when there were any.
 */
export async function inspectEach(ctx: CliContext, names: string[], format: string | undefined, lookup: (api: EngineApi, name: string) => Promise<unknown>): Promise<number> {
  const tmpl = format !== undefined && format !== '' && format !== 'json' ? new Template(format) : undefined;
  const api = await ctx.api();
  const found: unknown[] = [];
  const errors: string[] = [];
  for (const name of names) {
    try {
      found.push(await lookup(api, name));
    } catch (e) {
      if (e instanceof NotFound) errors.push(`Error: ${e.message}`);
      else if (isApiError(e)) errors.push(`Error response from daemon: ${e.message}`);
      else throw e;
    }
  }
  if (tmpl) {
    for (const obj of found) ctx.out(`${tmpl.execute(obj)}\n`);
  } else if (format === 'json') {
    for (const obj of found) ctx.out(`${JSON.stringify(obj)}\n`);
  } else {
    ctx.out(`${found.length === 0 ? '[]' : JSON.stringify(found, null, 4)}\n`);
  }
  for (const e of errors) ctx.err(`${e}\n`);
  return errors.length > 0 ? 1 : 0;
}

/** A GET of one object whose 404 is Docker's "No such <kind>: <name>". */
export async function getOrNoSuch<T>(api: EngineApi, path: string, kind: string, name: string): Promise<T> {
  try {
    return await api.client.json<T>('GET', path);
  } catch (e) {
    if (notFound(e)) throw new NotFound(`No such ${kind}: ${name}`);
    throw e;
  }
}
