import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, hostname, release } from 'node:os';
import { join } from 'node:path';
import { Conflict, InvalidArgument } from '../errdefs/index.js';
import { VolumeStore } from '../core/metadata/index.js';
import { LocalVolumeDriver } from '../core/volumes/index.js';
import { ContainerMounts, ContainerNetworking, NetworkService, VolumeService } from '../services/index.js';
import { NetworkStore } from '../core/metadata/index.js';
import { BridgeDriver, ulaPool } from '../core/network/index.js';
import { openDatabase, ImageStore, ContainerStore, ExecStore, LeaseStore } from '../core/metadata/index.js';
import { createContentStore } from '../core/content/index.js';
import { createSnapshotter, mountAll, unmountAll } from '../core/snapshots/index.js';
import { EventBus } from '../core/events/index.js';
import { createRuntime, parseSeccompProfile, probeToolVersion, readLogs, resolveUser, detectCgroupFeatures } from '../core/runtime/index.js';
import type { SeccompProfile } from '../core/runtime/index.js';
import { BuildService, ContainerService, FilesystemService, ImageService, checkStore, collectOrphans, type ContainerRuntime, type RootfsProvider } from '../services/index.js';
import { storeCheckPorts } from './store-check.js';
import { startHeapTrim } from './heap-trim.js';
import { Checkpoints, ExecService, PodService, SandboxStore } from '../services/index.js';
import { createEngineServer, API_VERSION, MIN_API_VERSION, recordFromLegacy } from '../server/engine/index.js';
import { DEFAULT_UPLOAD_POLICY, RegistryClient, RegistryHosts, Remote, dockerConfigCredentials } from '../core/remotes/index.js';
import { RemoteImages, TransferPool } from '../services/index.js';
import { imageArchives, imageRecords, references } from './adapters.js';
import type { DaemonOptions } from './options.js';
import { probeRuntimes } from './runtime-options.js';
import { CdiRegistry } from '../core/cdi/index.js';
import { RemapAreas, checkRemappedAccess, resolveRemap } from './userns.js';
import { rootOwner, treeUsage } from '../util/index.js';
import type { Logger } from './logger.js';

export interface RunningDaemon {
  stop(): Promise<void>;
}

/** The composition root: opens the data root, wires core → services → server, recovers, listens. */
export async function startDaemon(opts: DaemonOptions, log: Logger, version: string): Promise<RunningDaemon> {
  const seccompProfile = await loadSeccompProfile(opts.seccompProfile);
  await mkdir(opts.dataRoot, { recursive: true, mode: 0o711 });
  await mkdir(opts.execRoot, { recursive: true, mode: 0o700 });
  await claimPidfile(opts.pidfile);
  // Each runtime runs one trivial container, alongside the rest of the start-up; awaited before the first container.
  const probing = probeRuntimes(opts, join(opts.execRoot, 'runtime', 'probe'));
  const cgroupFeatures = await detectCgroupFeatures();
  const remap = opts.usernsRemap ? await resolveRemap(opts.usernsRemap) : undefined;
  if (remap) await checkRemappedAccess(opts.dataRoot, remap);

  const db = openDatabase(join(opts.dataRoot, 'berth.db'));
  const imageStore = new ImageStore(db);
  const containerStore = new ContainerStore(db);
  // Records an older berth wrote hold the Docker request; they become typed specs once, here.
  containerStore.migrateLegacy(recordFromLegacy);
  const content = createContentStore(opts.dataRoot);
  // Partial downloads are kept for resumed pulls, but not forever.
  await content.prunePartials(24 * 3600_000);
  const snapshotter = await createSnapshotter({ root: opts.dataRoot, driver: opts.storageDriver });
  const noSizes = snapshotter.sizeLimitRefusal;
  // dockerd refuses to start with overlay2.size where the layers cannot be limited.
  if (opts.defaultLayerSize !== undefined && noSizes !== undefined) {
    throw new InvalidArgument(`Storage option overlay2.size not supported. Filesystem does not support Project Quota: ${noSizes}`);
  }
  if (noSizes === undefined) log.info(`writable layers can be size-limited (project quotas on the data root)${opts.defaultLayerSize ? `, default size ${opts.defaultLayerSize} bytes` : ''}`);
  // Remapped containers keep their layers in their own shifted storage areas; the record says which.
  const areas = new RemapAreas(snapshotter, opts.dataRoot);
  const layersOf = (id: string): Pick<typeof snapshotter, 'prepare' | 'remove' | 'upperPath' | 'layerPath'> => {
    const m = containerStore.get(id)?.idMap;
    return m ? areas.get(m) : snapshotter;
  };
  const runtime = createRuntime({
    stateDir: join(opts.execRoot, 'runtime'),
    runtimePath: opts.runtimePath,
    conmonPath: opts.conmonPath,
    log: (msg, err) => log.warn(msg, err),
  });
  log.info(`storage driver ${snapshotter.driver}, data root ${opts.dataRoot}${remap ? `, containers remapped to ${rootOwner(remap).uid}:${rootOwner(remap).gid}` : ''}`);

  const refs = references();
  const bus = new EventBus();
  const volumeStore = new VolumeStore(db);
  const volumeDriver = new LocalVolumeDriver(join(opts.dataRoot, 'volumes'), remap ? rootOwner(remap) : undefined);
  // A volume rm cut short by a kill: its folder returns to a recorded volume, or goes with a removed one.
  await volumeDriver.recover((n) => volumeStore.get(n) !== undefined);
  const volumes = new VolumeService({
    store: volumeStore,
    driver: volumeDriver,
    volumeUsers: () => {
      const users = new Map<string, string[]>();
      for (const c of containerStore.list()) for (const m of c.mounts ?? []) if (m.name) users.set(m.name, [...(users.get(m.name) ?? []), c.id]);
      return users;
    },
    bus,
  });
  // Assigned below, once the services it needs exist; the closures before it read it later.
  // eslint-disable-next-line prefer-const
  let containers: ContainerService | undefined;
  const bridges = new BridgeDriver(opts.cniPath, join(opts.dataRoot, 'network', 'ipam'), { ip6tables: opts.ip6tables });
  const networkStore = new NetworkStore(db);
  const networks = new NetworkService({
    store: networkStore,
    containers: () => containerStore.list(),
    driver: bridges,
    bus,
    defaultBridge: { name: opts.bridge, bip: opts.bip, ...(opts.fixedCidrV6 ? { fixedCidrV6: opts.fixedCidrV6 } : {}) },
    pools: opts.defaultAddressPools,
    ulaPool: ulaPool(await daemonId(opts.dataRoot)),
    log: (msg, err) => log.warn(msg, err),
  });
  await networks.ensurePredefined();
  const networking = new ContainerNetworking(networks, bridges, join(opts.execRoot, 'netns'), {
    get: (idOrName) => containerStore.resolve(idOrName),
    list: () => containerStore.list(),
    update: (rec) => containerStore.update(rec),
    locked: (id, fn) => {
      if (!containers) throw new Error('container service not ready');
      return containers.withLock(id, fn);
    },
    writeResolvConf: (id, text) => writeFile(join(opts.dataRoot, 'containers', id, 'resolv.conf'), text),
  });
  // One transfer pool: the download, upload and unpack slots and the worker threads of every pull, push, load and build.
  const transfers = new TransferPool({ downloads: opts.maxConcurrentDownloads, uploads: opts.maxConcurrentUploads });
  const leases = new LeaseStore(db);
  const records = imageRecords(imageStore);
  const images = new ImageService({
    records,
    blobs: content,
    layers: {
      independentLayers: snapshotter.independentLayers,
      hasLayer: (c) => snapshotter.hasLayer(c),
      createLayer: (c, parent, fill, signal, o) => snapshotter.createLayer(c, parent, fill, signal, o),
      layerPath: (c) => snapshotter.layerPath(c),
      removeLayer: async (c) => {
        await snapshotter.removeLayer(c);
        await areas.removeLayer(c);
      },
    },
    // Unpacking runs on worker threads: a pull's layers use more than the main thread's core.
    applyLayer: (target, layer, o) => transfers.applyLayer(target, layer, o),
    archives: imageArchives(content),
    refs,
    containersUsing: (imageId) =>
      containerStore.usingImage(imageId).map((c) => ({ id: c.id, running: c.state.status === 'running' || c.state.status === 'paused' })),
    layersInUse: () => new Set(containerStore.list().flatMap((c) => c.layers)),
    bus,
    leases,
  });
  // What the operations of a killed berthd had assembled is collected once their leases expire.
  await images.expireLeases();
  // What a berthd killed inside an rmi or a prune had unlinked but not yet removed goes now.
  // One set of ports over the stores: start-up's orphan collection, its veth sweep, and system check.
  const checkPorts = storeCheckPorts({ dataRoot: opts.dataRoot, execRoot: opts.execRoot, images: imageStore, content, snapshotter, leases, containers: containerStore, volumes: volumeStore, runtime, familiar: (r) => refs.familiar(r), networks: () => networkStore.list() });
  const orphans = await collectOrphans(checkPorts);
  if (orphans > 0) log.info(`removed ${orphans} blobs and layers no image, container or lease named (left by an interrupted removal)`);
  const runtimes = await probing;
  for (const r of runtimes.list()) if (r.unavailable !== undefined) log.warn(`runtime ${r.name} (${r.path}) cannot run containers on this host: ${r.unavailable}`);
  const rootfsProvider: RootfsProvider = {
    driver: snapshotter.driver,
    prepare: (id, chainIds, rootfs, o) => {
      // dockerd's overlay2.size: the size of every new writable layer that names none.
      const size = o?.sizeBytes ?? (o?.newLayer ? opts.defaultLayerSize : undefined);
      return layersOf(id).prepare(id, chainIds as never, rootfs, size !== undefined ? { sizeBytes: size } : {});
    },
    mount: (mounts) => mountAll(mounts),
    unmount: (target) => unmountAll(target),
    remove: (id) => layersOf(id).remove(id),
    upperPath: (id) => layersOf(id).upperPath(id),
    layerPath: (id, c) => layersOf(id).layerPath(c as never),
  };
  const containerRuntime: ContainerRuntime = {
    create: (spec, o) => runtime.create(spec, o),
    watchLog: (id, path, r) => runtime.watchLog(id, path, r),
    start: (id) => runtime.start(id),
    kill: (id, sig) => runtime.kill(id, sig),
    pause: (id) => runtime.pause(id),
    update: (id, r) => runtime.update(id, r),
    resume: (id) => runtime.resume(id),
    delete: (id, o) => runtime.delete(id, o),
    state: (id) => runtime.state(id),
    waitExit: (id, s) => runtime.waitExit(id, s),
    exitStatus: (id) => runtime.exitStatus(id),
    attachStdin: (id) => runtime.attachStdin(id),
    exec: (id, o) => runtime.exec(id, o),
    checkpoint: (id, o) => runtime.checkpoint(id, o),
    readLogs: (path, o) => readLogs(path, o),
    resolveUser: (rootfs, user) => resolveUser(rootfs, user),
  };
  containers = new ContainerService({
    runtimes,
    ...(opts.cdi ? { cdi: new CdiRegistry(opts.cdiSpecDirs) } : {}),
    store: containerStore,
    images: { resolveImage: (ref) => images.resolveImage(ref), releaseLayers: (chains) => images.releaseLayers(chains) },
    rootfs: rootfsProvider,
    runtime: containerRuntime,
    containersDir: join(opts.dataRoot, 'containers'),
    logOpts: opts.logOpts,
    logDriver: opts.logDriver,
    bus,
    mounts: new ContainerMounts(volumes),
    ...(seccompProfile ? { seccompProfile } : {}),
    network: networking,
    log: (msg, err) => log.warn(msg, err),
    ...(process.env['BERTH_TRACE'] === '1' ? { trace: (line: string) => log.info(line) } : {}),
    ...(remap ? { userns: remap } : {}),
    namespaces: { cgroupns: opts.defaultCgroupnsMode, ipc: opts.defaultIpcMode, cgroupParent: opts.cgroupParent, features: cgroupFeatures },
  });
  const svc = containers;
  await svc.restore();
  // The IPv6 port relays of containers that outlived the previous berthd.
  await networking.restoreIpv6Relays();
  // A connect or start a kill cut short can leave a veth on one of this berthd's bridges that no
  // recorded endpoint owns (the endpoint was made, its record not yet written): it goes, with its peer.
  for (const v of (await checkPorts.veths?.().catch(() => [])) ?? []) {
    if (!v.owned) await checkPorts.removeVeth?.(v.name).catch((e: unknown) => log.warn(`removing the leftover interface ${v.name}`, e));
  }
  const execs = new ExecService(svc, new ExecStore(db));
  await execs.restore();

  const registryClient = new RegistryClient({
    credentials: dockerConfigCredentials(),
    userAgent: `berth/${version}`,
    connections: Math.max(opts.maxConcurrentDownloads, opts.maxConcurrentUploads) * 2,
    certsDirs: opts.certsDirs,
  });
  const remote = new Remote(registryClient, new RegistryHosts({ mirrors: opts.registryMirrors, insecure: opts.insecureRegistries }), {
    ...DEFAULT_UPLOAD_POLICY,
    threshold: opts.pushChunkThreshold,
    chunkSize: opts.pushChunkSize,
  });
  // Each layer's download, blob store and unpack run on a thread of their own: the main thread
  // touches none of a pull's bytes.
  transfers.useThreads(remote, opts.dataRoot);
  // Restarted with pulls cut short (a crash, a kill -9), berthd readies its pull threads at once:
  // the retry finds them loaded. Unused, they end as idle ones do (30 s).
  if ((await content.partialRefs()).some((r) => r.startsWith('pull-'))) transfers.warm(availableParallelism());
  const remotes = new RemoteImages({
    remote,
    transfers,
    images,
    addRepoDigest: (id, ref) => imageStore.addRepoDigest(id as never, ref),
  });

  // One filesystem service for the container sizes of ps, prune and df, for cp, diff, commit, and builds.
  const fs = new FilesystemService({
    containers: svc,
    images,
    rootfs: rootfsProvider,
    runtime: containerRuntime,
    scratchDir: join(opts.dataRoot, 'tmp'),
    bus,
    log: (msg, err) => log.warn(msg, err),
  });
  const builds = new BuildService({
    containers: svc,
    images,
    fs,
    remotes,
    records,
    blobs: content,
    scratchDir: join(opts.dataRoot, 'tmp'),
    cacheMountsDir: join(opts.dataRoot, 'build-cache', 'mounts'),
    log: (msg, err) => log.warn(msg, err),
    ...(process.env['BERTH_TRACE'] === '1' ? { trace: (line: string) => log.info(line) } : {}),
  });
  const server = createEngineServer({
    containers: svc,
    images,
    fs,
    builds,
    volumes,
    remotes,
    execs,
    networks: networking,
    bus,
    checkpoints: new Checkpoints(svc),
    system: {
      id: await daemonId(opts.dataRoot),
      name: hostname(),
      version,
      apiVersion: API_VERSION,
      minApiVersion: MIN_API_VERSION,
      dataRoot: opts.dataRoot,
      driver: snapshotter.driver,
      runtimePath: opts.runtimePath,
      runtimes: runtimes.list().map((r) => ({ name: r.name, path: r.path, args: r.args, ...(r.unavailable !== undefined ? { unavailable: r.unavailable } : {}) })),
      defaultRuntime: runtimes.defaultName,
      cdiSpecDirs: opts.cdi ? opts.cdiSpecDirs : [],
      // Probed in the background: two process starts that berthd's start-up need not wait for.
      components: Promise.all([probeToolVersion('runc', opts.runtimePath), probeToolVersion('conmon', opts.conmonPath)]).then((v) => v.filter((x) => x !== undefined)),
      kernelVersion: release(),
      operatingSystem: await osName(),
      cgroupVersion: await cgroupVersion(),
      userns: remap !== undefined,
      seccompProfile: opts.seccompProfile,
      experimental: opts.experimental,
      cgroupFeatures,
    },
    check: (o) => checkStore(checkPorts, o),
    inspectPaths: (c) => ({
      dir: svc.dir(c.id),
      logPath: svc.driverLogPath(c),
      rootfs: svc.rootfsPath(c.id),
      upper: layersOf(c.id).upperPath(c.id),
      lowers: [...c.layers].reverse().map((l) => layersOf(c.id).layerPath(l as never)),
    }),
    layerPath: (c) => snapshotter.layerPath(c as never),
    log: (msg, err) => log.warn(msg, err),
  });
  await server.listen(opts.socketPath);
  const stopHeapTrim = startHeapTrim((m) => log.debug(m));
  log.info(`API listening on ${opts.socketPath}`);
  // The CRI socket is listened on now, but the gRPC stack and api.proto (a few hundred ms, ~7 MB)
  // load at the first connection (server/cri/listen); a berthd started with --cri=false has neither.
  let cri: { close(): Promise<void>; streamingUrl: string } | undefined;
  if (opts.cri.enabled) {
    const { startLazyCriServer } = await import('../server/cri/listen/index.js');
    const pods = new PodService({
      store: new SandboxStore(join(opts.dataRoot, 'pods')),
      runDir: join(opts.execRoot, 'pods'),
      cni: { confDir: opts.cri.cniConfDir, binDirs: opts.cri.cniBinDirs },
      containers: svc,
      namespace: opts.cri.namespace,
      runtimes,
      log: (msg, err) => log.warn(msg, err),
    });
    await pods.restore();
    cri = await startLazyCriServer({
      config: opts.cri,
      version,
      images,
      remotes,
      pods,
      containers: svc,
      execs,
      // Image content is the blobs and the unpacked layers, both under the data root.
      imageFsUsage: async () => {
        const u = await treeUsage([join(opts.dataRoot, 'blobs'), join(opts.dataRoot, 'layers')]);
        return { mountpoint: opts.dataRoot, usedBytes: u.bytes, inodesUsed: u.inodes };
      },
      writableLayerUsage: async (id) => {
        const u = await treeUsage([layersOf(id).upperPath(id)]);
        return { mountpoint: opts.dataRoot, usedBytes: u.bytes, inodesUsed: u.inodes };
      },
      log: (msg, err) => log.warn(msg, err),
    }, (url) => log.info(`CRI services loaded, streaming on ${url}`)).catch(async (e: unknown) => {
      await server.close();
      throw e;
    });
    log.info(`CRI listening on ${opts.cri.socket}`);
  }

  return {
    async stop() {
      stopHeapTrim();
      await cri?.close();
      await server.close();
      networks.close();
      bridges.close();
      await registryClient.close();
      db.close();
      await rm(opts.pidfile, { force: true });
    },
  };
}

/** --seccomp-profile: a file is read once, at start, so a broken one stops berthd instead of every container. */
async function loadSeccompProfile(setting: string): Promise<SeccompProfile | 'unconfined' | undefined> {
  if (setting === 'builtin' || setting === '') return undefined;
  if (setting === 'unconfined') return 'unconfined';
  let text: string;
  try {
    text = await readFile(setting, 'utf8');
  } catch (e) {
    throw new InvalidArgument(`opening seccomp profile (${setting}) failed: ${(e as Error).message}`, { cause: e });
  }
  return parseSeccompProfile(text);
}

async function claimPidfile(path: string): Promise<void> {
  const old = await readFile(path, 'utf8').catch(() => '');
  const pid = Number(old.trim());
  if (pid > 0 && pid !== process.pid) {
    let alive = true;
    try {
      process.kill(pid, 0);
      // A berthd killed a moment ago may still be a zombie its parent has not reaped: it is gone.
      const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
      if (/\) [ZX] /.test(stat)) alive = false;
    } catch {
      alive = false;
    }
    if (alive) throw new Conflict(`pid file found, ensure berthd is not running or delete ${path}`);
  }
  await writeFile(path, `${process.pid}\n`);
}

async function daemonId(dataRoot: string): Promise<string> {
  const p = join(dataRoot, 'engine-id');
  const existing = (await readFile(p, 'utf8').catch(() => '')).trim();
  if (existing) return existing;
  const id = crypto.randomUUID();
  await writeFile(p, id);
  return id;
}

async function osName(): Promise<string> {
  const text = await readFile('/etc/os-release', 'utf8').catch(() => '');
  return /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(text)?.[1] ?? 'Linux';
}

async function cgroupVersion(): Promise<'1' | '2'> {
  const text = await readFile('/proc/self/mountinfo', 'utf8').catch(() => '');
  return / \/sys\/fs\/cgroup [^\n]* - cgroup2 /.test(text) ? '2' : '1';
}
