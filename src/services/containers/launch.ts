import type { ContainerRecord } from '../../core/metadata/index.js';
import { buildRuntimeSpec, writeEtcFiles } from './runtime-spec.js';
import { logRotationOf } from './log-options.js';
import { linkRuntime } from './links.js';
import type { NetworkAttacher } from './ports.js';
import type { ContainerServiceDeps } from './service.js';

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
export async function launch(deps: ContainerServiceDeps, rec: ContainerRecord, paths: ContainerPaths): Promise<void> {
  const { runtime } = deps;
  let network: Awaited<ReturnType<NetworkAttacher['setUp']>> | undefined;
  try {
    // A remapped container's netns is made by runc inside its user namespace; endpoints follow.
    const pid = rec.idMap ? deferred<number>() : undefined;
    // Legacy links: every target must be running now; its address goes into /etc/hosts and the env.
    const links = linkRuntime(rec, (id) => deps.store.get(id));
    network = deps.network ? await deps.network.setUp(rec, { ...(pid ? { netnsOf: pid.promise } : {}), ...(links.hosts.length ? { linkHosts: links.hosts } : {}) }) : undefined;
    const spec = await buildRuntimeSpec(rec, { rootfs: paths.rootfs, dir: paths.dir, runtime, linkEnv: links.env, defaultSeccomp: deps.seccompProfile, ...(deps.mounts ? { mounts: deps.mounts } : {}), ...(network ? { network: { mode: network.mode } } : {}) });
    // The endpoints are made while runc creates the container; its process starts once both are done.
    const creating = runtime.create(spec, { logPath: paths.log, logRotation: logRotationOf(rec, deps.logOpts, deps.logDriver) });
    creating.then((c) => pid?.resolve(c.pid), (e: unknown) => pid?.reject(e));
    const [created, files] = await Promise.allSettled([creating, network?.files]);
    if (files.status === 'rejected') throw files.reason;
    if (created.status === 'rejected') throw created.reason;
    if (files.value) await writeEtcFiles(paths.dir, files.value);
    await runtime.start(rec.id);
  } catch (e) {
    await runtime.delete(rec.id, { force: true }).catch(() => undefined);
    await network?.files.catch(() => undefined);
    await deps.network?.tearDown(rec).catch((err: unknown) => deps.log(`network teardown ${rec.id}`, err));
    await deps.rootfs.unmount(paths.rootfs).catch(() => undefined);
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
