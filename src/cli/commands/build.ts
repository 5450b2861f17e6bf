import { randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { ramInBytes } from '../../api/index.js';
import { InvalidArgument } from '../../errdefs/index.js';
import { progressMode, renderer, type BuildRenderer } from '../build-progress.js';
import type { CliContext } from '../context.js';
import { packContext } from './build-context.js';
import { parseOutput, writeMetadata, writeOutput } from './build-output.js';
import { parseSecret, parseSsh, readSecrets, secretsHeader } from './build-secrets.js';
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
  progress?: string;
  output?: string[];
  iidfile?: string;
  metadataFile?: string;
  /** --no-cache-filter (commander files a --no-… option's values under the name without "no"). */
  cacheFilter?: string[];
  secret?: string[];
  ssh?: string[];
  allow?: string[];
}

/** The JSON message ID of berth's structured progress (see server/engine/build.ts). */
const PROGRESS_ID = 'berth.build.progress';

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
  const outputs = (flags.output ?? []).map(parseOutput);
  if (outputs.length > 1) throw new InvalidArgument('berth build takes one --output (one engine, one exporter)');
  const output = outputs[0];
  const toStdout = output !== undefined && 'dest' in output && output.dest === '-';
  if (toStdout && ctx.stdout.isTTY) {
    throw new InvalidArgument(`cowardly refusing to write the ${output.type} output to a terminal: give dest=FILE or redirect`);
  }
  const tags = [...flags.tag, ...(output && 'names' in output ? output.names : [])];
  // As the docker CLI: DOCKER_BUILDKIT=0 is the classic builder's text; otherwise BuildKit's progress, on stderr.
  const classic = ctx.env['DOCKER_BUILDKIT'] === '0';
  const mode = classic ? null : progressMode(flags.progress ?? ctx.env['BUILDKIT_PROGRESS'], flags.quiet === true, ctx.stderr.isTTY === true);
  const view: BuildRenderer | null = mode ? renderer(mode, (t) => ctx.err(t), () => ctx.stderr.columns ?? 80, () => ctx.stderr.rows ?? 0) : null;
  const secrets = secretsHeader(await readSecrets((flags.secret ?? []).map(parseSecret), ctx.env));
  const ssh = await parseSsh(flags.ssh ?? [], ctx.env);
  for (const a of flags.allow ?? []) if (a !== 'security.insecure' && a !== 'network.host') throw new InvalidArgument(`invalid entitlement ${JSON.stringify(a)}: use security.insecure or network.host`);
  const buildId = randomUUID();
  const registryConfig = await registryConfigHeader(ctx);
  const api = await ctx.api();
  const onSigint = (): void => {
    // As the docker CLI: Ctrl-C asks berthd to cancel the build, whose stream then ends with the error.
    api.buildCancel(buildId).catch(() => undefined);
  };
  process.once('SIGINT', onSigint);
  try {
    return await run();
  } finally {
    process.off('SIGINT', onSigint);
  }

  async function run(): Promise<number> {
  const messages = await api.imageBuild(context, {
    ...(registryConfig ? { registryConfig } : {}),
    tags,
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
    ...(view ? { structured: true } : {}),
    ...(flags.cacheFilter?.length ? { noCacheFilter: flags.cacheFilter } : {}),
    buildId,
    ...(secrets ? { secrets } : {}),
    ...(Object.keys(ssh).length ? { ssh } : {}),
    ...(flags.allow?.length ? { allow: flags.allow } : {}),
  });
  let id = '';
  for await (const m of messages) {
    if (m.errorDetail || m.error !== undefined) {
      // As docker: the message alone, and the failed command's exit code (1 for other failures).
      const message = m.errorDetail?.message ?? m.error ?? 'unknown error';
      if (view) view.done(message);
      else ctx.err(`${message}\n`);
      return m.errorDetail?.code || 1;
    }
    if (m.id === PROGRESS_ID && m.aux) {
      view?.update(m.aux);
      continue;
    }
    if (m.aux && typeof m.aux['ID'] === 'string') id = m.aux['ID'];
    if (flags.quiet) continue;
    // The structured build sends its steps as progress only.
    if (view) continue;
    // The classic text goes to stderr when stdout carries the output itself.
    const say = toStdout ? (t: string): void => ctx.err(t) : (t: string): void => ctx.out(t);
    if (m.stream !== undefined) say(m.stream);
    else if (m.status !== undefined) say(`${m.id ? `${m.id}: ` : ''}${m.status}\n`);
  }
  view?.done();
  if (!id) throw new InvalidArgument('the build ended without an image ID');
  if (output) await writeOutput(api, output, id, tags, ctx.stdout);
  if (flags.iidfile) await writeFile(flags.iidfile, id);
  if (flags.metadataFile) await writeMetadata(flags.metadataFile, id, tags);
  // As buildx: -q prints the ID on stdout (not when the image itself goes to stdout).
  if ((flags.quiet || mode === 'quiet') && !toStdout) ctx.out(`${id}\n`);
  return 0;
  }
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
