import { execFile } from 'node:child_process';
import { lstat, mkdir, mkdtemp, readlink, rm, symlink, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { runcMessage } from './runc.js';

/** One OCI runtime berthd can run containers with (daemon.json `runtimes`, `--add-runtime`). */
export interface OciRuntime {
  name: string;
  /** The binary, absolute or found on PATH. */
  path: string;
  /** Its own global options, before berth's (`runtimeArgs`). */
  args: string[];
}

/** A runtime as probed at start: `unavailable` says why it cannot run containers on this host. */
export interface OciRuntimeStatus extends OciRuntime {
  unavailable?: string;
}

/** The runtime of containers that name none and of every container an older berth created. */
export const STOCK_RUNTIME = 'runc';

/** Whether the binary is runc, whose state files berth reads without spawning it. */
export function isRunc(rt: Pick<OciRuntime, 'path'>): boolean {
  return basename(rt.path) === 'runc';
}

function run(path: string, args: string[], timeoutMs: number): Promise<{ ok: boolean; out: string; err: string }> {
  return new Promise((resolve) => {
    execFile(path, args, { encoding: 'utf8', timeout: timeoutMs, maxBuffer: 1024 * 1024 }, (e, out, err) => {
      if (e && (e as NodeJS.ErrnoException).code === 'ENOENT') resolve({ ok: false, out: '', err: `${path}: no such file` });
      else resolve({ ok: !e, out, err: err || (e ? e.message : '') });
    });
  });
}

/** The host's top-level symlinks into /usr (Debian's merged /usr): the probe's rootfs has them too. */
async function usrLinks(rootfs: string): Promise<void> {
  for (const d of ['bin', 'sbin', 'lib', 'lib32', 'lib64', 'libx32']) {
    const st = await lstat(`/${d}`).catch(() => undefined);
    if (st?.isSymbolicLink()) await symlink(await readlink(`/${d}`), join(rootfs, d));
  }
}

/**
 * Whether a runtime can run a container here: it runs /usr/bin/true from a scratch bundle (the
 * host's /usr bound read-only, its own pid, mount, ipc and uts namespaces, a cgroup) and must exit 0.
 * Resolves with the reason it cannot, in the runtime's own words, or undefined when it can.
 * crun 1.8, for one, refuses the hybrid cgroup layout (v1 controllers beside a v2 mount holding one).
 */
export async function probeRuntime(rt: OciRuntime, scratchDir: string): Promise<string | undefined> {
  const version = await run(rt.path, ['--version'], 10_000);
  if (!version.ok) return `${rt.path} --version failed: ${runcMessage(version.err) || 'no output'}`;
  await mkdir(scratchDir, { recursive: true, mode: 0o700 });
  const dir = await mkdtemp(join(scratchDir, `probe-${rt.name.replace(/[^a-zA-Z0-9_.-]/g, '_')}-`));
  const id = `berth-probe-${process.pid}-${basename(dir).slice(-6)}`;
  const root = join(dir, 'state');
  const rootfs = join(dir, 'rootfs');
  const globals = [...rt.args, '--root', root];
  try {
    await mkdir(join(rootfs, 'usr'), { recursive: true });
    await mkdir(join(rootfs, 'proc'));
    await mkdir(join(rootfs, 'dev'));
    await usrLinks(rootfs);
    const spec = {
      ociVersion: '1.0.2',
      process: {
        terminal: false,
        user: { uid: 0, gid: 0 },
        args: ['/usr/bin/true'],
        env: ['PATH=/usr/bin:/bin'],
        cwd: '/',
        noNewPrivileges: true,
        capabilities: { bounding: [], effective: [], permitted: [] },
      },
      root: { path: rootfs, readonly: true },
      hostname: 'probe',
      mounts: [
        { destination: '/proc', type: 'proc', source: 'proc' },
        { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'mode=755', 'size=64k'] },
        { destination: '/usr', type: 'bind', source: '/usr', options: ['rbind', 'ro'] },
      ],
      linux: {
        cgroupsPath: `/${id}`,
        namespaces: [{ type: 'pid' }, { type: 'mount' }, { type: 'ipc' }, { type: 'uts' }],
      },
    };
    await writeFile(join(dir, 'config.json'), JSON.stringify(spec));
    const r = await run(rt.path, [...globals, 'run', '--bundle', dir, id], 20_000);
    if (!r.ok) return runcMessage(r.err) || 'the probe container failed';
    return undefined;
  } finally {
    await run(rt.path, [...globals, 'delete', '--force', id], 10_000);
    await rm(dir, { recursive: true, force: true }).catch(() => undefined);
  }
}
