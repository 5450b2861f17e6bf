import type { Duplex } from 'node:stream';
import { createDemuxer } from '../../api/index.js';
import type { CliContext } from '../context.js';

/* The client side of a hijacked attach or exec session, shared by run, start -a, attach and exec. */

/** Raw mode for a TTY session on a terminal; returns the undo. */
export function rawMode(stdin: NodeJS.ReadStream): () => void {
  if (!stdin.isTTY) return () => undefined;
  stdin.setRawMode(true);
  return () => stdin.setRawMode(false);
}

/**
 * Copies a hijacked session: output (raw for a TTY, demultiplexed otherwise) and, when asked,
 * stdin, half-closing when stdin ends. Resolves when the output ends (or the server detached us).
 */
export function pumpSession(ctx: CliContext, sock: Duplex, tty: boolean, withStdin: boolean): Promise<void> {
  const done = new Promise<void>((resolve) => {
    sock.on('end', resolve);
    sock.on('close', () => resolve());
    sock.on('error', () => resolve());
  });
  if (tty) sock.on('data', (d: Buffer) => ctx.stdout.write(d));
  else sock.pipe(createDemuxer(ctx.stdout, ctx.stderr));
  if (withStdin) {
    ctx.stdin.on('data', (d: Buffer) => sock.write(d));
    // Half-close: the container sees EOF on stdin and output keeps flowing.
    ctx.stdin.on('end', () => sock.end());
    ctx.stdin.resume();
  } else {
    sock.end();
  }
  return done;
}

export function stopStdin(ctx: CliContext): void {
  ctx.stdin.pause();
  ctx.stdin.removeAllListeners('data');
  ctx.stdin.removeAllListeners('end');
}
