import { isApiError, type EngineApi, type WaitResponse } from '../../api/index.js';
import type { CliContext } from '../context.js';
import { EXIT_ENGINE, errorLine, runErrorText, startFailureCode } from '../errors.js';
import { detachKeysFor } from '../config-file.js';
import { buildCreatePlan, type CreatePlan, type RunFlags } from '../run-options.js';
import { pullImage } from './image-io.js';
import { pumpSession, rawMode } from './session.js';
import { Writable } from 'node:stream';
import { closeSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { InvalidArgument } from '../../errdefs/index.js';

/** A --cidfile already there: `create` exits 1 with the bare sentence, as the docker CLI does (`run` 125). */
class CidFileExists extends InvalidArgument {}

/** docker's --cidfile: made before the container (an existing file is refused), filled after, removed on failure. */
function openCidFile(path: string | undefined): { write(id: string): void; abandon(): void } {
  if (path === undefined || path === '') return { write: () => undefined, abandon: () => undefined };
  let fd: number;
  try {
    fd = openSync(path, 'wx');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw new CidFileExists(`container ID file found, make sure the other container isn't running or delete ${path}`);
    throw new InvalidArgument(`failed to create the container ID file: ${(e as Error).message.replace(/^[A-Z]+: /, '')}`);
  }
  closeSync(fd);
  return {
    write: (id) => writeFileSync(path, id),
    abandon: () => rmSync(path, { force: true }),
  };
}

const discard = (): NodeJS.WritableStream => new Writable({ write: (_c, _e, cb) => cb() });

/** Creates the container; a missing image is pulled once, as docker does. */
async function createContainer(ctx: CliContext, api: EngineApi, plan: CreatePlan, flags: RunFlags): Promise<string> {
  const image = plan.body.Image ?? '';
  const quiet = flags.quiet === true;
  const pullOut = quiet ? discard() : ctx.stderr;
  const cid = openCidFile(flags.cidfile);
  try {
    if (plan.pull === 'always') await pullImage(ctx, api, image, plan.platform, pullOut);
    let res;
    try {
      res = await api.containerCreate(plan.body, plan.name, plan.platform);
    } catch (e) {
      if (!(isApiError(e) && e.statusCode === 404 && /no such image/i.test(e.message)) || plan.pull === 'never') throw e;
      if (!quiet) ctx.err(`Unable to find image '${image}' locally\n`);
      await pullImage(ctx, api, image, plan.platform, pullOut);
      res = await api.containerCreate(plan.body, plan.name, plan.platform);
    }
    for (const w of res.Warnings ?? []) ctx.err(`WARNING: ${w}\n`);
    cid.write(res.Id);
    return res.Id;
  } catch (e) {
    cid.abandon();
    throw e;
  }
}

export async function createCommand(ctx: CliContext, image: string, args: string[], flags: RunFlags): Promise<number> {
  try {
    const plan = buildCreatePlan(image, args, flags, ctx.env);
    const api = await ctx.api();
    ctx.out(`${await createContainer(ctx, api, plan, flags)}\n`);
    return 0;
  } catch (e) {
    if (e instanceof CidFileExists) {
      ctx.err(`${e.message}\n`);
      return 1;
    }
    ctx.err(runErrorText(e, 'create'));
    return EXIT_ENGINE;
  }
}

interface Session {
  api: EngineApi;
  id: string;
  tty: boolean;
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  autoRemove: boolean;
  /** Sent with the attach when stdin is attached: the flag's or the config file's keys. */
  detachKeys: string | undefined;
  /** docker's --sig-proxy (default true): SIGINT/SIGTERM the CLI receives go to a non-TTY container. */
  sigProxy?: boolean;
}

async function resize(ctx: CliContext, s: Session): Promise<void> {
  const out = ctx.stdout;
  if (!s.tty || !out.isTTY) return;
  try {
    await s.api.containerResize(s.id, out.rows, out.columns);
  } catch {
    // The container may already have exited; docker ignores resize errors too.
  }
}

/** attach → wait (headers received) → start → output → exit code: docker's order of requests. */
async function attachStartWait(ctx: CliContext, s: Session, start: boolean, command: string): Promise<number> {
  const sock = await s.api.containerAttach(s.id, {
    stream: true, stdin: s.stdin, stdout: s.stdout, stderr: s.stderr,
    ...(s.stdin && s.detachKeys !== undefined ? { detachKeys: s.detachKeys } : {}),
  });
  const { result } = await s.api.containerWait(s.id, s.autoRemove ? 'removed' : 'next-exit');
  const undoRaw = s.tty && s.stdin ? rawMode(ctx.stdin) : () => undefined;
  const signals: Array<[NodeJS.Signals, () => void]> = [];
  try {
    if (start) {
      try {
        await s.api.containerStart(s.id);
      } catch (e) {
        sock.destroy();
        undoRaw();
        ctx.err(runErrorText(e, command));
        return startFailureCode(e);
      }
    }
    await resize(ctx, s);
    if (s.tty) {
      const onWinch = (): void => { void resize(ctx, s); };
      process.on('SIGWINCH', onWinch);
      signals.push(['SIGWINCH', onWinch]);
    } else if (s.sigProxy !== false) {
      // docker's --sig-proxy: signals the CLI receives go to the container.
      for (const sig of ['SIGINT', 'SIGTERM'] as NodeJS.Signals[]) {
        const h = (): void => { s.api.containerKill(s.id, sig).catch(() => undefined); };
        process.on(sig, h);
        signals.push([sig, h]);
      }
    }
    const output = pumpSession(ctx, sock, s.tty, s.stdin);
    let status: WaitResponse;
    try {
      // berthd ends the stream on the detach keys (ctrl-p ctrl-q): the container runs on, no exit comes.
      if (s.stdin && (await detachedFrom(s, output, result))) return 0;
      status = await result;
    } catch (e) {
      ctx.err(`${errorLine(e)}\n`);
      return EXIT_ENGINE;
    }
    // Output that is still in flight when the exit status arrives must not be lost.
    await Promise.race([output, new Promise((r) => setTimeout(r, 2000).unref())]);
    if (status.Error?.Message) ctx.err(`${status.Error.Message}\n`);
    return status.StatusCode;
  } finally {
    for (const [sig, h] of signals) process.off(sig, h);
    undoRaw();
    if (s.stdin) {
      ctx.stdin.pause();
      ctx.stdin.removeAllListeners('data');
    }
    sock.destroy();
  }
}

/** True when the attach stream ended while the container keeps running (the user detached). */
async function detachedFrom(s: Session, output: Promise<void>, result: Promise<WaitResponse>): Promise<boolean> {
  const first = await Promise.race([result.then(() => 'exited' as const, () => 'exited' as const), output.then(() => 'ended' as const)]);
  if (first === 'exited') return false;
  const settled = await Promise.race([result.then(() => true, () => true), new Promise<boolean>((r) => setTimeout(() => r(false), 1000).unref())]);
  if (settled) return false;
  const info = await s.api.containerInspect(s.id).catch(() => null);
  return info?.State.Running === true;
}

export async function runCommand(ctx: CliContext, image: string, args: string[], flags: RunFlags): Promise<number> {
  let plan: CreatePlan;
  let api: EngineApi;
  let id: string;
  try {
    plan = buildCreatePlan(image, args, flags, ctx.env);
    if (plan.body.Tty && plan.attachStdin && !ctx.stdin.isTTY) {
      ctx.err('the input device is not a TTY\n');
      return 1;
    }
    api = await ctx.api();
    id = await createContainer(ctx, api, plan, flags);
  } catch (e) {
    ctx.err(runErrorText(e, 'run'));
    return EXIT_ENGINE;
  }
  if (flags.detach) {
    try {
      await api.containerStart(id);
    } catch (e) {
      ctx.err(runErrorText(e, 'run'));
      return startFailureCode(e);
    }
    ctx.out(`${id}\n`);
    return 0;
  }
  try {
    return await attachStartWait(ctx, {
      api, id, tty: plan.body.Tty === true, stdin: plan.attachStdin, stdout: plan.attachStdout, stderr: plan.attachStderr,
      autoRemove: flags.rm === true, detachKeys: await detachKeysFor(ctx.env, flags.detachKeys),
      sigProxy: flags.sigProxy !== false && flags.sigProxy !== 'false',
    }, true, 'run');
  } catch (e) {
    ctx.err(runErrorText(e, 'run'));
    return EXIT_ENGINE;
  }
}

export async function startCommand(ctx: CliContext, ids: string[], opts: { attach?: boolean; interactive?: boolean; detachKeys?: string; checkpoint?: string; checkpointDir?: string }): Promise<number> {
  const api = await ctx.api();
  if (opts.checkpoint !== undefined || opts.checkpointDir !== undefined) return restoreCommand(ctx, api, ids, opts);
  if (opts.attach || opts.interactive) {
    if (ids.length > 1) {
      ctx.err('berth: you cannot start and attach multiple containers at once.\n');
      return 1;
    }
    const id = ids[0] ?? '';
    try {
      const info = await api.containerInspect(id);
      const stdin = opts.interactive === true && info.Config.OpenStdin === true;
      return await attachStartWait(ctx, {
        api, id: info.Id, tty: info.Config.Tty === true, stdin, stdout: true, stderr: true,
        autoRemove: info.HostConfig.AutoRemove === true, detachKeys: await detachKeysFor(ctx.env, opts.detachKeys),
      }, true, 'start');
    } catch (e) {
      ctx.err(`${errorLine(e)}\n`);
      return 1;
    }
  }
  const failed: string[] = [];
  for (const id of ids) {
    try {
      await api.containerStart(id);
      ctx.out(`${id}\n`);
    } catch (e) {
      ctx.err(`${errorLine(e)}\n`);
      failed.push(id);
    }
  }
  if (failed.length === 0) return 0;
  ctx.err(`Error: failed to start containers: ${failed.join(', ')}\n`);
  return 1;
}

/** start --checkpoint: one container, restored (as the docker CLI, nothing printed on success). */
async function restoreCommand(ctx: CliContext, api: Awaited<ReturnType<CliContext['api']>>, ids: string[], opts: { attach?: boolean; interactive?: boolean; checkpoint?: string; checkpointDir?: string }): Promise<number> {
  const refusal = ids.length > 1 ? 'you cannot restore multiple containers at once.'
    : opts.attach || opts.interactive ? '--checkpoint cannot be used with --attach or --interactive'
    : !opts.checkpoint ? '--checkpoint-dir needs --checkpoint NAME' : undefined;
  if (refusal) {
    ctx.err(`berth: ${refusal}\n`);
    return 1;
  }
  try {
    await api.containerStart(ids[0] ?? '', { name: opts.checkpoint ?? '', dir: opts.checkpointDir });
    return 0;
  } catch (e) {
    ctx.err(`${errorLine(e)}\n`);
    return 1;
  }
}
