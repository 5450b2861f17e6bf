import { closeSync, constants, openSync, readSync } from 'node:fs';
import { readFile, rm, rmdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Conflict } from '../../errdefs/index.js';
import { initAlive, type RuncStateFile } from './state.js';

/*
 * Two steps of a container's life that berthd takes itself, on runc's own state files (as
 * readRuncState reads them), instead of starting a runc process for each: `runc start` and the
 * `runc delete` of a stopped container. Each is a few milliseconds of a Go program's start-up, of
 * CPU and of the event loop's time (spawn waits for the child's exec), for work that is one FIFO read
 * or a few rmdirs. Wherever the case is not the plain one (hooks, a shared PID namespace, the
 * systemd driver, Intel RDT, a cgroup that will not go), they answer false and runc does the step.
 */

async function readState(dir: string): Promise<RuncStateFile | null> {
  try {
    return JSON.parse(await readFile(join(dir, 'state.json'), 'utf8')) as RuncStateFile;
  } catch {
    return null;
  }
}

/** How long a start waits for the init to take its FIFO (runc's own start waits as long as the init lives). */
const START_LIMIT_MS = 30_000;

/**
 * `runc start`: runc's init waits in the container, before its exec, for a reader of the
 * container's exec.fifo; reading its byte lets it go on, and removing the FIFO marks the container
 * running (runc's state is "created" while the FIFO is there). false: not a created container
 * (let runc refuse it in its words).
 */
export async function startCreated(runcRoot: string, id: string, signal?: AbortSignal): Promise<boolean> {
  const dir = join(runcRoot, id);
  const st = await readState(dir);
  const pid = st?.init_process_pid;
  const start = st?.init_process_start;
  if (typeof pid !== 'number' || typeof start !== 'number') return false;
  const fifo = join(dir, 'exec.fifo');
  let fd: number;
  try {
    fd = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch {
    return false;
  }
  try {
    const buf = Buffer.alloc(8);
    const taken = (): boolean => {
      try {
        return readSync(fd, buf, 0, buf.length, null) > 0;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
        return false;
      }
    };
    const deadline = Date.now() + START_LIMIT_MS;
    for (;;) {
      if (taken()) break;
      // Nothing yet (the init has not opened its end, or has not written): it must still be there,
      // or have gone after its byte (a process that started, ran and ended since the last read).
      if (!(await initAlive(pid, start))) {
        if (taken()) break;
        throw new Conflict(`cannot start container ${id}: its process is already dead`);
      }
      signal?.throwIfAborted();
      if (Date.now() > deadline) throw new Conflict(`cannot start container ${id}: its process did not take the start for ${String(START_LIMIT_MS / 1000)} s`);
      await sleep(1);
    }
  } finally {
    closeSync(fd);
  }
  await unlink(fifo).catch(() => undefined);
  return true;
}

const hasHooks = (h: Record<string, unknown[] | null> | null | undefined): boolean => Object.values(h ?? {}).some((x) => Array.isArray(x) && x.length > 0);

/**
 * `runc delete` of a stopped container: its cgroups removed and its state folder. Only where
 * nothing else can be left: the init had its own PID namespace (its death ended every process in
 * it), no poststop hook is to run, the cgroups are cgroupfs ones and empty. false: runc deletes it.
 */
export async function deleteStopped(runcRoot: string, id: string): Promise<boolean> {
  const dir = join(runcRoot, id);
  const st = await readState(dir);
  const cfg = st?.config;
  if (!st || !cfg || typeof st.init_process_pid !== 'number' || typeof st.init_process_start !== 'number') return false;
  if (cfg.cgroups?.systemd || st.intel_rdt_path || hasHooks(cfg.Hooks)) return false;
  if (!cfg.namespaces?.some((n) => n.type === 'NEWPID' && !n.path)) return false;
  if (await initAlive(st.init_process_pid, st.init_process_start)) return false;
  for (const path of Object.values(st.cgroup_paths ?? {})) {
    try {
      await rmdir(path);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue;
      // Busy or holding cgroups of its own: runc's removal retries and walks them.
      return false;
    }
  }
  await rm(dir, { recursive: true, force: true });
  return true;
}
