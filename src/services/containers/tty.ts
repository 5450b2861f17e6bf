import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { Conflict, InvalidArgument } from '../../errdefs/index.js';
import type { ContainerService } from './service.js';

/** conmon's `ctl` FIFO takes "<type> <rows> <columns>\n" (type 1 = resize); `winsz` takes "<rows> <columns>\n". */
const WIN_RESIZE_EVENT = 1;
/** conmon's `ctl` message that makes it reopen its log file (after a rotation by someone else). */
const REOPEN_LOGS_EVENT = 2;

/**
 * kubelet rotates a CRI container's log itself (renames it) and then asks for it to be reopened:
 * conmon opens the path anew. Unavailable when conmon does not answer (the container is gone).
 */
export async function reopenContainerLog(containers: ContainerService, idOrName: string): Promise<void> {
  const rec = containers.get(idOrName);
  if (rec.state.status !== 'running' && rec.state.status !== 'paused') throw new Conflict(`container ${rec.id} is not running`);
  const fh = await open(join(containers.dir(rec.id), 'ctl'), constants.O_WRONLY | constants.O_NONBLOCK).catch(() => null);
  if (!fh) throw new Conflict(`the log of container ${rec.id} cannot be reopened: its monitor does not answer`);
  try {
    await fh.write(`${REOPEN_LOGS_EVENT} 0 0\n`);
  } finally {
    await fh.close();
  }
}

/**
 * docker resize for a TTY container: conmon owns the pty master, so the new size goes through
 * its FIFO in the bundle dir (`winsz` since conmon 2.1, `ctl` before), which conmon applies with
 * TIOCSWINSZ and the process gets SIGWINCH.
 */
export async function resizeContainerTty(containers: ContainerService, idOrName: string, height: number, width: number): Promise<void> {
  const rec = containers.get(idOrName);
  if (!Number.isInteger(height) || !Number.isInteger(width) || height < 0 || width < 0) {
    throw new InvalidArgument('invalid resize parameters');
  }
  if (rec.state.status !== 'running' && rec.state.status !== 'paused') throw new Conflict(`Container ${rec.id} is not running`);
  if (!rec.spec.process.terminal || height === 0 || width === 0) return;
  const dir = containers.dir(rec.id);
  const lines: Array<[string, Buffer]> = [
    ['winsz', Buffer.from(`${height} ${width}\n`)],
    ['ctl', Buffer.from(`${WIN_RESIZE_EVENT} ${height} ${width}\n`)],
  ];
  for (const [name, line] of lines) {
    // Non-blocking: a FIFO without its reader (conmon gone) fails with ENXIO instead of hanging.
    const fh = await open(join(dir, name), constants.O_WRONLY | constants.O_NONBLOCK).catch(() => null);
    if (!fh) continue;
    try {
      await fh.write(line);
      return;
    } finally {
      await fh.close();
    }
  }
}
