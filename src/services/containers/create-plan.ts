import { mkdir, rm, writeFile } from 'node:fs/promises';
import type { ContainerRecord } from '../../core/metadata/index.js';
import { NotImplemented } from '../../errdefs/index.js';
import { generateName, newContainerRecord, validateName, type CreateInput } from './create-record.js';
import { planDevices } from './devices.js';
import { prepareDriverLog } from './log-forwarder.js';
import { isUserNetwork, planLinks } from './links.js';
import { createLogOpts, DEFAULT_LOG_DRIVER } from './log-options.js';
import { planNamespaces } from './namespaces.js';
import { initBinary } from './resources.js';
import { seccompOf } from './runtime-spec.js';
import { applyUserns } from './userns.js';
import type { ContainerServiceDeps } from './service.js';

/**
 * A new container's record, planned and checked before anything is made: its image, name, user
 * namespace, namespaces, links, network endpoints, seccomp profile, log driver and options, devices,
 * init and mounts. A refusal here leaves nothing behind.
 */
export async function planContainer(deps: ContainerServiceDeps, input: CreateInput, get: (idOrName: string) => ContainerRecord): Promise<ContainerRecord> {
  const image = await deps.images.resolveImage(input.image);
  const names = new Set(deps.store.list().map((c) => c.name));
  const name = input.name ? validateName(input.name) : generateName((n) => names.has(n));
  const rec = newContainerRecord(input, image, name, deps.rootfs.driver);
  applyUserns(rec, deps.userns);
  await planNamespaces(rec, { cgroupns: input.cgroupnsUnset, ipc: input.ipcUnset }, deps.namespaces ?? {}, get);
  const links = planLinks(rec.spec, input.links ?? [], get);
  if (links.length) rec.spec.networking.links = links;
  const endpoints = { ...(input.endpoints ?? {}) };
  const mode = rec.spec.networking.network;
  // On a user network a link is a name only the linking container resolves (the docker CLI also sends it per endpoint).
  if (input.links?.length && isUserNetwork(mode) && !endpoints[mode]?.links?.length) endpoints[mode] = { ...(endpoints[mode] ?? {}), links: input.links };
  if (deps.network) deps.network.plan(rec, endpoints);
  else if (rec.spec.namespaces.network.mode === 'container' || !['default', 'none', 'host'].includes(rec.spec.networking.network)) {
    const asked = rec.spec.namespaces.network.mode === 'container' ? `container:${rec.spec.namespaces.network.target ?? ''}` : rec.spec.networking.network;
    throw new NotImplemented(`network ${asked} not found: this berthd runs without networks (use none or host)`);
  }
  // Limits are checked at create, as Docker does, not first at start.
  // The limits were checked by the front end; a seccomp profile is checked here (the runtime's parser).
  seccompOf(rec.spec.security.seccomp);
  rec.spec.logging.options = createLogOpts(rec.spec.logging.driver, deps.logOpts, rec.spec.logging.options, deps.logDriver);
  rec.spec.logging.driver ||= deps.logDriver ?? DEFAULT_LOG_DRIVER;
  await planDevices(rec.spec, deps);
  if (rec.spec.lifecycle.init) initBinary();
  if (deps.mounts) rec.mounts = await deps.mounts.plan(rec, get);
  return rec;
}

/**
 * Makes what a planned container is on disk: its folder and empty log, the driver's log, its record,
 * its writable layer and (Docker's copy-up, once, at create) new volumes filled from the image. A
 * failure takes all of it back.
 */
export async function makeContainer(deps: ContainerServiceDeps, rec: ContainerRecord, paths: { dir: string; log: string; rootfs: string }, nameGenerated = false): Promise<void> {
  await mkdir(paths.dir, { recursive: true });
  try {
    // The log exists from the start, so an attach made before `start` follows it from byte 0.
    await writeFile(paths.log, '', { flag: 'a' });
    await prepareDriverLog(rec, paths.dir);
    // A generated name another create took meanwhile (both planned before either was recorded) is picked
    // again here, where nothing awaits between the check and the insert.
    if (nameGenerated) {
      const names = new Set(deps.store.list().map((c) => c.name));
      if (names.has(rec.name)) rec.name = generateName((n) => names.has(n));
    }
    deps.store.insert(rec);
    const size = rec.spec.rootfs.sizeLimit;
    const prepared = await deps.rootfs.prepare(rec.id, rec.layers, paths.rootfs, { newLayer: true, ...(size !== undefined ? { sizeBytes: size } : {}) });
    // Docker's copy-up happens once, at create: new volumes take the image's content at their path.
    if (deps.mounts && rec.mounts?.some((m) => m.copyData)) {
      await deps.rootfs.mount(prepared);
      try {
        await deps.mounts.populate(rec, paths.rootfs);
      } finally {
        await deps.rootfs.unmount(paths.rootfs).catch(() => undefined);
      }
    }
  } catch (e) {
    // The record goes last: it tells the rootfs provider where the container's layer is.
    await deps.rootfs.remove(rec.id).catch(() => undefined);
    deps.store.delete(rec.id);
    await deps.mounts?.release(rec, true).catch(() => undefined);
    await rm(paths.dir, { recursive: true, force: true });
    throw e;
  }
}
