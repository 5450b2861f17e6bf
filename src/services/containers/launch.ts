import type { ContainerRecord } from '../../core/metadata/index.js';
import { buildRuntimeSpec, writeEtcFiles } from './runtime-spec.js';
import { cgroupParentOf } from './resources.js';
import { logRotationOf } from './log-options.js';
import { linkRuntime } from './links.js';
import type { NetworkAttacher } from './ports.js';
import type { ContainerServiceDeps } from './service.js';
import { join } from 'node:path';
import { mountShm, reserveRealtime, unmountShm } from '../../core/runtime/index.js';

/** Docker's default ShmSize, 64 MiB. */
const DEFAULT_SHM = 64 * 1024 * 1024;

/** Where one container's files are: its folder (bundle, etc files), rootfs mount point and log. */
export interface ContainerPaths {
  dir: string;
  rootfs: string;
  log: string;
}

/**
 * One start of a container's process on its mounted rootfs: its network endpoints, a fresh runtime
 * spec, then the runtime's create and start. On failure it undoes all of that, unmounts the rootfs
 * and rethrows; recording the failure is the caller's.
 */
export async function launch(deps: ContainerServiceDeps, rec: ContainerRecord, paths: ContainerPaths, trace: { mark(step: string): void } = { mark: () => undefined }, restoreFrom?: string): Promise<void> {
  const { runtime } = deps;
  let network: Awaited<ReturnType<NetworkAttacher['setUp']>> | undefined;
  // A remapped container's netns is made by runc inside its user namespace; endpoints follow.
  const pid = rec.idMap ? deferred<number>() : undefined;
  // Rejected on a failure before runc create too: never an unhandled rejection when nothing waits on it.
  pid?.promise.catch(() => undefined);
  try {
    // Legacy links: every target must be running now; its address goes into /etc/hosts and the env.
    const links = linkRuntime(rec, (id) => deps.store.get(id));
    network = deps.network ? await deps.network.setUp(rec, { ...(pid ? { netnsOf: pid.promise } : {}), ...(links.hosts.length ? { linkHosts: links.hosts } : {}) }) : undefined;
    trace.mark('network planned');
    // A shareable IPC namespace's /dev/shm is on the host, so that joiners can bind it too.
    if (rec.spec.namespaces.ipc.shareable) await mountShm(join(paths.dir, 'shm'), rec.spec.resources.shmSize ?? DEFAULT_SHM);
    // A real-time budget needs one in berth's parent cgroup first (cgroup v1).
    if (rec.spec.resources.cpuRealtimeRuntime) await reserveRealtime(rec.id, rec.spec.resources.cpuRealtimeRuntime, undefined, cgroupParentOf(rec));
    const spec = await buildRuntimeSpec(rec, { rootfs: paths.rootfs, dir: paths.dir, runtime, linkEnv: links.env, lookup: (id) => deps.store.get(id), defaultSeccomp: deps.seccompProfile, devices: deps, ...(deps.mounts ? { mounts: deps.mounts } : {}), ...(network ? { network: { mode: network.mode } } : {}) });
    // The endpoints are made while runc creates the container; its process starts once both are done.
    trace.mark('spec built');
    // A restore (checkpoint) runs the saved processes in the new namespaces as create returns: no start then.
    const creating = runtime.create(spec, { logPath: paths.log, logRotation: logRotationOf(rec, deps.logOpts, deps.logDriver), restoreFrom });
    creating.then((c) => {
      trace.mark('runtime created');
      pid?.resolve(c.pid);
    }, (e: unknown) => pid?.reject(e));
    void network?.files.then(() => trace.mark('endpoints made'), () => undefined);
    const [created, files] = await Promise.allSettled([creating, network?.files]);
    if (files.status === 'rejected') throw files.reason;
    if (created.status === 'rejected') throw created.reason;
    if (files.value) await writeEtcFiles(paths.dir, files.value);
    trace.mark('etc files');
    if (restoreFrom === undefined) await runtime.start(rec.id);
    trace.mark('runtime started');
  } catch (e) {
    // A failure before runc create (a joined container gone, a shm or real-time refusal) must also end
    // the endpoints' wait for the container's pid, or the cleanup below would wait for ever.
    pid?.reject(e);
    await runtime.delete(rec.id, { force: true }).catch(() => undefined);
    await network?.files.catch(() => undefined);
    await deps.network?.tearDown(rec).catch((err: unknown) => deps.log(`network teardown ${rec.id}`, err));
    await deps.rootfs.unmount(paths.rootfs).catch(() => undefined);
    unmountShm(join(paths.dir, 'shm'));
    throw e;
  }
}

function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void; reject: (e: unknown) => void } {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}
