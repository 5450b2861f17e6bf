import type { Readable } from 'node:stream';
import { ramInBytes } from '../../api/index.js';
import { InvalidArgument } from '../../errdefs/index.js';
import type { CliContext } from '../context.js';
import { packContext } from './build-context.js';
import { registryConfigHeader } from './login.js';

export interface BuildFlags {
  tag: string[];
  file?: string;
  buildArg: string[];
  label: string[];
  target?: string;
  cache?: boolean;
  quiet?: boolean;
  pull?: boolean;
  platform?: string;
  network?: string;
  addHost?: string[];
  cacheFrom?: string[];
  shmSize?: string;
}

function keyValues(list: string[], env: NodeJS.ProcessEnv, fromEnv: boolean): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  for (const kv of list) {
    const eq = kv.indexOf('=');
    // `--build-arg NAME` takes the value from the environment, as docker does.
    if (eq < 0) out[kv] = fromEnv ? (env[kv] ?? null) : '';
    else out[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  return out;
}

/** `berth build`: sends the context (a directory honouring .dockerignore, or a tar on stdin) and prints the build. */
export async function build(ctx: CliContext, path: string, flags: BuildFlags): Promise<number> {
  let context: Readable;
  let dockerfile: string | undefined = flags.file;
  if (path === '-') {
    if (ctx.stdin.isTTY) throw new InvalidArgument('requested a build context from stdin, but stdin is a terminal');
    context = ctx.stdin;
  } else {
    const packed = await packContext(path, flags.file);
    context = packed.tar;
    dockerfile = packed.dockerfile;
  }
  const buildArgs = Object.fromEntries(Object.entries(keyValues(flags.buildArg, ctx.env, true)).filter(([, v]) => v !== null)) as Record<string, string>;
  const labels = keyValues(flags.label, ctx.env, false) as Record<string, string>;
  const shmSize = flags.shmSize !== undefined ? ramInBytes(flags.shmSize) : undefined;
  if (flags.shmSize !== undefined && shmSize === undefined) throw new InvalidArgument(`invalid argument "${flags.shmSize}" for "--shm-size" flag: invalid size: '${flags.shmSize}'`);
  const registryConfig = await registryConfigHeader(ctx);
  const api = await ctx.api();
  const messages = await api.imageBuild(context, {
    ...(registryConfig ? { registryConfig } : {}),
    tags: flags.tag,
    ...(dockerfile !== undefined ? { dockerfile } : {}),
    buildArgs,
    labels,
    ...(flags.target ? { target: flags.target } : {}),
    noCache: flags.cache === false,
    quiet: flags.quiet === true,
    pull: flags.pull === true,
    ...(flags.platform ? { platform: flags.platform } : {}),
    ...(flags.network ? { networkMode: flags.network } : {}),
    ...(flags.addHost?.length ? { extraHosts: flags.addHost } : {}),
    ...(flags.cacheFrom?.length ? { cacheFrom: flags.cacheFrom } : {}),
    ...(shmSize !== undefined ? { shmSize } : {}),
  });
  let id = '';
  for await (const m of messages) {
    if (m.errorDetail || m.error !== undefined) {
      // As docker: the message alone, and the failed command's exit code (1 for other failures).
      ctx.err(`${m.errorDetail?.message ?? m.error ?? 'unknown error'}\n`);
      return m.errorDetail?.code || 1;
    }
    if (m.aux && typeof m.aux['ID'] === 'string') id = m.aux['ID'];
    if (!flags.quiet && m.stream !== undefined) ctx.out(m.stream);
    else if (!flags.quiet && m.status !== undefined) ctx.out(`${m.id ? `${m.id}: ` : ''}${m.status}\n`);
  }
  if (flags.quiet) ctx.out(`${id}\n`);
  return 0;
}

/** `berth builder prune`: the build cache (untagged step images). */
export async function builderPrune(ctx: CliContext): Promise<number> {
  const api = await ctx.api();
  const r = await api.buildPrune();
  const deleted = r.CachesDeleted ?? [];
  if (deleted.length) ctx.out(`Deleted build cache objects:\n${deleted.map((d) => `${d}\n`).join('')}\n`);
  ctx.out(`Total reclaimed space: ${r.SpaceReclaimed}B\n`);
  return 0;
}
