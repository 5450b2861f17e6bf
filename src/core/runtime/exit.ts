import { watch } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { NotFound } from '../../errdefs/index.js';
import type { ContainerPaths } from './paths.js';

export interface ExitStatus {
  exitCode: number;
  exitedAt: Date;
}

/** The exit file conmon wrote (code; 128+n for a signal), or null while the container runs. */
export async function readExitFile(paths: ContainerPaths): Promise<ExitStatus | null> {
  let text: string;
  try {
    text = await readFile(paths.exitFile, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
  const code = Number.parseInt(text.trim(), 10);
  // conmon writes the file in one go, but guard against catching it empty.
  if (!Number.isFinite(code)) return null;
  const st = await stat(paths.exitFile);
  return { exitCode: code, exitedAt: st.mtime };
}

/** The pid in a pid file if that process still lives and is conmon (pids get reused). */
export async function aliveConmonPid(paths: ContainerPaths): Promise<number | null> {
  let pid: number;
  try {
    pid = Number.parseInt((await readFile(paths.conmonPidFile, 'utf8')).trim(), 10);
  } catch {
    return null;
  }
  if (!Number.isInteger(pid) || pid <= 0) return null;
  try {
    const comm = (await readFile(`/proc/${pid}/comm`, 'utf8')).trim();
    if (comm !== 'conmon') return null;
    const st = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ').at(1)?.[0];
    return st === 'Z' ? null : pid;
  } catch {
    return null;
  }
}

export async function containerDirExists(paths: ContainerPaths): Promise<boolean> {
  try {
    await stat(paths.dir);
    return true;
  } catch {
    return false;
  }
}

/**
 * Waits for conmon's exit file. Works for containers started by an earlier berthd: it relies on
 * files only (inotify on the exit dir, plus a slow poll in case the watch misses an event).
 * If conmon is gone without writing a code, the container died with its monitor: 255, like Docker
 * reports a container whose shim vanished.
 */
export async function waitExitFile(
  paths: ContainerPaths,
  id: string,
  signal?: AbortSignal,
): Promise<ExitStatus & { oomKilled: boolean }> {
  const withOom = async (s: ExitStatus): Promise<ExitStatus & { oomKilled: boolean }> => {
    const oomKilled = await stat(paths.oomFile).then(
      () => true,
      () => false,
    );
    return { ...s, oomKilled };
  };
  if (!(await containerDirExists(paths))) throw new NotFound(`No such container: ${id}`);
  signal?.throwIfAborted();
  const first = await readExitFile(paths);
  if (first) return withOom(first);

  return new Promise((resolve, reject) => {
    let done = false;
    let checking = false;
    let again = false;
    const watcher = (() => {
      try {
        return watch(paths.exitDir, { persistent: false }, () => void check());
      } catch {
        return null;
      }
    })();
    watcher?.on('error', () => undefined);
    const timer = setInterval(() => void check(), 1000);
    const finish = (fn: () => void): void => {
      if (done) return;
      done = true;
      clearInterval(timer);
      watcher?.close();
      signal?.removeEventListener('abort', onAbort);
      fn();
    };
    const onAbort = (): void => finish(() => reject(signal?.reason as Error));
    signal?.addEventListener('abort', onAbort, { once: true });
    const check = async (): Promise<void> => {
      if (done) return;
      if (checking) {
        again = true;
        return;
      }
      checking = true;
      try {
        do {
          again = false;
          const st = await readExitFile(paths);
          if (st) {
            const full = await withOom(st);
            return finish(() => resolve(full));
          }
          if (!(await containerDirExists(paths))) {
            return finish(() => reject(new NotFound(`No such container: ${id}`)));
          }
          if ((await aliveConmonPid(paths)) === null) {
            // conmon may have written the file between our two reads.
            const late = await readExitFile(paths);
            const full = await withOom(late ?? { exitCode: 255, exitedAt: new Date() });
            return finish(() => resolve(full));
          }
        } while (again);
      } catch (e) {
        finish(() => reject(e));
      } finally {
        checking = false;
      }
    };
    void check();
  });
}
