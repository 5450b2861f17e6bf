import type { Duplex } from 'node:stream';
import { readFileSync } from 'node:fs';
import { execCreate, execInspect, execResize, execStartAttached, execStartDetached, type EngineApi } from '../../api/index.js';
import { detachKeysFor } from '../config-file.js';
import type { CliContext } from '../context.js';
import { errorLine } from '../errors.js';
import { pumpSession, rawMode, stopStdin } from './session.js';

export interface ExecFlags {
  detach?: boolean;
  detachKeys?: string;
  env?: string[];
  envFile?: string[];
  interactive?: boolean;
  privileged?: boolean;
  tty?: boolean;
  user?: string;
  workdir?: string;
}

function envList(flags: ExecFlags, env: NodeJS.ProcessEnv): string[] {
  const out: string[] = [];
  const add = (e: string): void => {
    if (e.includes('=')) out.push(e);
    else if (env[e] !== undefined) out.push(`${e}=${env[e]}`);
  };
  for (const f of flags.envFile ?? []) {
    for (const l of readFileSync(f, 'utf8').split(/\r?\n/)) if (l.trim() && !l.trimStart().startsWith('#')) add(l.trimStart());
  }
  for (const e of flags.env ?? []) add(e);
  return out;
}

/** Polls (10 ms each, then 50 ms) after which an interactive exec still running means we detached: about a second. */
const DETACH_POLLS = 36;

/** berth exec: create, start (hijacked or detached), then the exit code from the exec's inspect. */
export async function exec(ctx: CliContext, container: string, cmd: string[], flags: ExecFlags): Promise<number> {
  const tty = flags.tty === true;
  const interactive = flags.interactive === true;
  if (tty && interactive && !ctx.stdin.isTTY) {
    ctx.err('the input device is not a TTY\n');
    return 1;
  }
  let api: EngineApi;
  let id: string;
  const size: [number, number] | undefined = tty && ctx.stdout.isTTY ? [ctx.stdout.rows, ctx.stdout.columns] : undefined;
  try {
    const detachKeys = await detachKeysFor(ctx.env, flags.detachKeys);
    api = await ctx.api();
    const res = await execCreate(api, container, {
      AttachStdin: interactive && !flags.detach,
      AttachStdout: !flags.detach,
      AttachStderr: !flags.detach,
      Tty: tty,
      Cmd: cmd,
      Env: envList(flags, ctx.env),
      ...(size ? { ConsoleSize: size } : {}),
      ...(flags.user !== undefined ? { User: flags.user } : {}),
      ...(flags.workdir !== undefined ? { WorkingDir: flags.workdir } : {}),
      ...(flags.privileged ? { Privileged: true } : {}),
      ...(detachKeys !== undefined ? { DetachKeys: detachKeys } : {}),
    });
    id = res.Id;
    if (flags.detach) {
      await execStartDetached(api, id, tty);
      return 0;
    }
  } catch (e) {
    ctx.err(`${errorLine(e)}\n`);
    return 1;
  }

  let sock: Duplex;
  try {
    sock = await execStartAttached(api, id, tty, size);
  } catch (e) {
    ctx.err(`${errorLine(e)}\n`);
    return 1;
  }
  const undoRaw = tty && interactive ? rawMode(ctx.stdin) : () => undefined;
  const onWinch = (): void => {
    execResize(api, id, ctx.stdout.rows, ctx.stdout.columns).catch(() => undefined);
  };
  try {
    if (size) {
      onWinch();
      process.on('SIGWINCH', onWinch);
    }
    await pumpSession(ctx, sock, tty, interactive);
  } finally {
    process.off('SIGWINCH', onWinch);
    undoRaw();
    if (interactive) stopStdin(ctx);
    sock.destroy();
  }
  try {
    // The output can end a moment before the exit is recorded.
    for (let i = 0; i < 100; i++) {
      const info = await execInspect(api, id);
      if (!info.Running) return info.ExitCode ?? 0;
      if (interactive && i === DETACH_POLLS) {
        // berthd ended the stream on the detach keys and the process runs on: the docker CLI's words and code.
        ctx.err('read escape sequence\n');
        return 1;
      }
      await new Promise((r) => setTimeout(r, i < 20 ? 10 : 50));
    }
    return 0;
  } catch (e) {
    ctx.err(`${errorLine(e)}\n`);
    return 1;
  }
}
