import { detachKeysFor } from '../config-file.js';
import type { CliContext } from '../context.js';
import { errorLine } from '../errors.js';
import { pumpSession, rawMode, stopStdin } from './session.js';

export interface AttachFlags {
  stdin?: boolean;
  sigProxy?: boolean | string;
  detachKeys?: string;
}

/**
 * berth attach: the container's output from now on, our stdin into it. Detaching (ctrl-p ctrl-q,
 * seen by berthd) or hanging up leaves the container running; otherwise its exit code is ours.
 */
export async function attach(ctx: CliContext, container: string, flags: AttachFlags): Promise<number> {
  const api = await ctx.api();
  let info;
  try {
    info = await api.containerInspect(container);
  } catch (e) {
    ctx.err(`${errorLine(e)}\n`);
    return 1;
  }
  if (info.State.Paused) {
    ctx.err('You cannot attach to a paused container, unpause it first\n');
    return 1;
  }
  if (!info.State.Running) {
    ctx.err('You cannot attach to a stopped container, start it first\n');
    return 1;
  }
  const tty = info.Config.Tty === true;
  const withStdin = flags.stdin !== false && info.Config.OpenStdin === true;
  if (tty && withStdin && !ctx.stdin.isTTY) {
    ctx.err('the input device is not a TTY\n');
    return 1;
  }
  const sigProxy = flags.sigProxy !== false && flags.sigProxy !== 'false';
  let sock;
  try {
    const detachKeys = await detachKeysFor(ctx.env, flags.detachKeys);
    sock = await api.containerAttach(info.Id, {
      stream: true, stdin: withStdin, stdout: true, stderr: true,
      ...(detachKeys !== undefined ? { detachKeys } : {}),
    });
  } catch (e) {
    ctx.err(`${errorLine(e)}\n`);
    return 1;
  }
  const undoRaw = tty && withStdin ? rawMode(ctx.stdin) : () => undefined;
  const handlers: Array<[NodeJS.Signals, () => void]> = [];
  if (tty && ctx.stdout.isTTY) {
    const resize = (): void => {
      api.containerResize(info.Id, ctx.stdout.rows, ctx.stdout.columns).catch(() => undefined);
    };
    resize();
    handlers.push(['SIGWINCH', resize]);
  }
  if (sigProxy && !tty) {
    // docker's --sig-proxy: what the CLI receives goes to the container's main process.
    for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGUSR1', 'SIGUSR2'] as NodeJS.Signals[]) {
      handlers.push([sig, () => { api.containerKill(info.Id, sig).catch(() => undefined); }]);
    }
  }
  for (const [s, h] of handlers) process.on(s, h);
  try {
    await pumpSession(ctx, sock, tty, withStdin);
  } finally {
    for (const [s, h] of handlers) process.off(s, h);
    undoRaw();
    if (withStdin) stopStdin(ctx);
    sock.destroy();
  }
  try {
    // A moment for berthd to record the exit; a container still running means we detached.
    for (let i = 0; i < 20; i++) {
      const st = await api.containerInspect(info.Id);
      if (!st.State.Running) return st.State.ExitCode ?? 0;
      await new Promise((r) => setTimeout(r, 25));
    }
    return 0;
  } catch (e) {
    ctx.err(`${errorLine(e)}\n`);
    return 1;
  }
}
