import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';

export type RuntimeStatus = 'created' | 'running' | 'paused' | 'stopped';

/** The parts of runc's `<root>/<id>/state.json` that berthd reads (runc 1.1's field names). */
export interface RuncStateFile {
  init_process_pid?: number;
  init_process_start?: number;
  cgroup_paths?: Record<string, string>;
  intel_rdt_path?: string;
  config?: {
    namespaces?: { type: string; path?: string }[];
    cgroups?: { systemd?: boolean };
    Hooks?: Record<string, unknown[] | null> | null;
  };
}

/**
 * The container's status computed from runc's own files, the way `runc state` does it, without
 * spawning runc (≈13 ms a call; `docker ps` asks for every container). Returns null when runc has
 * no such container, undefined when the files do not say (the caller then asks runc).
 */
export async function readRuncState(
  runcRoot: string,
  id: string,
): Promise<{ status: RuntimeStatus; pid: number } | null | undefined> {
  const dir = join(runcRoot, id);
  let st: RuncStateFile;
  try {
    st = JSON.parse(await readFile(join(dir, 'state.json'), 'utf8')) as RuncStateFile;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    return undefined;
  }
  const pid = st.init_process_pid;
  if (typeof pid !== 'number' || typeof st.init_process_start !== 'number') return undefined;
  if (!(await initAlive(pid, st.init_process_start))) return { status: 'stopped', pid: 0 };
  if (await isFrozen(st.cgroup_paths)) return { status: 'paused', pid };
  const created = await stat(join(dir, 'exec.fifo')).then(
    () => true,
    () => false,
  );
  return { status: created ? 'created' : 'running', pid };
}

/** Whether the container's init still runs: not dead, not a zombie, not a new process under its pid. */
export async function initAlive(pid: number, start: number): Promise<boolean> {
  try {
    const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ').at(-1)?.split(' ') ?? [];
    return fields[0] !== 'Z' && fields[0] !== 'X' && Number(fields[19]) === start;
  } catch {
    return false;
  }
}

async function isFrozen(paths: Record<string, string> | undefined): Promise<boolean> {
  if (!paths) return false;
  if (paths['freezer']) {
    const s = await readFile(join(paths['freezer'], 'freezer.state'), 'utf8').catch(() => '');
    // FREEZING counts as paused too: runc pause waits for FROZEN before it returns.
    return s.startsWith('FROZEN') || s.startsWith('FREEZING');
  }
  const unified = paths[''];
  if (unified) return (await readFile(join(unified, 'cgroup.freeze'), 'utf8').catch(() => '0')).trim() === '1';
  return false;
}
