import { createReadStream, createWriteStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { EngineApi, JSONMessage } from '../../api/index.js';
import { InvalidArgument, Unavailable } from '../../errdefs/index.js';
import { formatReference, parseReference } from '../../oci/index.js';
import type { CliContext } from '../context.js';
import { ProgressRenderer } from '../progress.js';

/** Prints a progress stream the way docker does without a terminal; an errorDetail fails it. */
export async function printMessages(messages: AsyncIterable<JSONMessage>, out: NodeJS.WritableStream, quiet = false): Promise<JSONMessage[]> {
  const seen: JSONMessage[] = [];
  const renderer = new ProgressRenderer(out, (out as NodeJS.WriteStream).isTTY === true);
  for await (const m of messages) {
    seen.push(m);
    if (m.error !== undefined || m.errorDetail !== undefined) throw new Unavailable(m.errorDetail?.message ?? m.error ?? 'unknown error');
    if (!quiet) renderer.render(m);
  }
  return seen;
}

/** Splits `name[:tag]` (a registry port is not a tag; a digest reference has none). */
export function splitReference(ref: string): { repo: string; tag: string | undefined } {
  if (ref.includes('@')) return { repo: ref, tag: undefined };
  const i = ref.lastIndexOf(':');
  if (i < 0 || ref.slice(i).includes('/')) return { repo: ref, tag: undefined };
  return { repo: ref.slice(0, i), tag: ref.slice(i + 1) };
}

export async function pullImage(ctx: CliContext, api: EngineApi, image: string, platform: string | undefined, out: NodeJS.WritableStream, quiet = false): Promise<void> {
  void ctx;
  const { repo, tag } = splitReference(image);
  await printMessages(await api.imagePull(repo, tag ?? (repo.includes('@') ? undefined : 'latest'), platform), out, quiet);
}

/** `berth pull`: docker's lines, ending with the full reference it pulled (also with -q). */
export async function pull(ctx: CliContext, name: string, opts: { platform?: string; quiet?: boolean }): Promise<number> {
  let ref;
  try {
    ref = parseReference(name);
  } catch (e) {
    throw new InvalidArgument(`invalid reference format: ${(e as Error).message}`, { cause: e });
  }
  if (ref.tag === undefined && ref.digest === undefined && !opts.quiet) ctx.out('Using default tag: latest\n');
  const api = await ctx.api();
  await pullImage(ctx, api, name, opts.platform, ctx.stdout, opts.quiet === true);
  ctx.out(`${formatReference(ref.tag === undefined && ref.digest === undefined ? { ...ref, tag: 'latest' } : ref)}\n`);
  return 0;
}

export async function load(ctx: CliContext, opts: { input?: string; quiet?: boolean }): Promise<number> {
  let body: Readable;
  if (opts.input !== undefined) {
    body = createReadStream(opts.input);
    await new Promise<void>((resolve, reject) => { body.once('open', () => resolve()); body.once('error', reject); });
  } else {
    if (ctx.stdin.isTTY) throw new InvalidArgument('requested load from stdin, but stdin is empty');
    body = ctx.stdin;
  }
  const api = await ctx.api();
  await printMessages(await api.imageLoad(body, opts.quiet === true), ctx.stdout);
  return 0;
}

export async function save(ctx: CliContext, names: string[], opts: { output?: string }): Promise<number> {
  if (opts.output === undefined && ctx.stdout.isTTY) {
    throw new InvalidArgument('cowardly refusing to save to a terminal. Use the -o flag or redirect');
  }
  const api = await ctx.api();
  const stream = await api.imageSave(names);
  if (opts.output !== undefined) await pipeline(stream, createWriteStream(opts.output));
  else await pipeline(stream, ctx.stdout, { end: false });
  return 0;
}

export async function importImage(ctx: CliContext, file: string, ref: string | undefined, opts: { change?: string[]; message?: string; platform?: string }): Promise<number> {
  let source: Readable | string;
  if (file === '-') source = ctx.stdin;
  else if (/^https?:\/\//.test(file)) source = file;
  else {
    const s = createReadStream(file);
    await new Promise<void>((resolve, reject) => { s.once('open', () => resolve()); s.once('error', reject); });
    source = s;
  }
  const { repo, tag } = ref === undefined ? { repo: undefined, tag: undefined } : splitReference(ref);
  const api = await ctx.api();
  const messages = await api.imageImport(source, {
    ...(repo !== undefined ? { repo } : {}), ...(tag !== undefined ? { tag } : {}),
    ...(opts.change && opts.change.length > 0 ? { changes: opts.change } : {}),
    ...(opts.message !== undefined ? { message: opts.message } : {}),
    ...(opts.platform !== undefined ? { platform: opts.platform } : {}),
  });
  await printMessages(messages, ctx.stdout);
  return 0;
}
