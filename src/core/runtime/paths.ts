import { join } from 'node:path';

/** Where the runtime keeps what it knows about one container (survives berthd, not a reboot). */
export interface ContainerPaths {
  dir: string;
  conmonPidFile: string;
  /** conmon's own stderr. */
  conmonLog: string;
  containerPidFile: string;
  exitDir: string;
  exitFile: string;
  persistDir: string;
  oomFile: string;
  /** Holds the bundle dir's path: conmon puts its attach socket there. */
  bundleFile: string;
}

export function runcRoot(stateDir: string): string {
  return join(stateDir, 'runc');
}

export function containersDir(stateDir: string): string {
  return join(stateDir, 'containers');
}

export function containerPaths(stateDir: string, id: string): ContainerPaths {
  const dir = join(containersDir(stateDir), id);
  const exitDir = join(dir, 'exit');
  const persistDir = join(dir, 'persist');
  return {
    dir,
    conmonPidFile: join(dir, 'conmon.pid'),
    conmonLog: join(dir, 'conmon.log'),
    containerPidFile: join(dir, 'pid'),
    exitDir,
    exitFile: join(exitDir, id),
    persistDir,
    oomFile: join(persistDir, 'oom'),
    bundleFile: join(dir, 'bundle'),
  };
}

/** Container ids become path parts and runc/conmon arguments: allow Docker's id charset only. */
export function isValidId(id: string): boolean {
  return /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}$/.test(id);
}
