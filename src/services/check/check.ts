import type { CheckPorts } from './ports.js';

export type FaultKind =
  | 'image-blob-missing'
  | 'image-blob-corrupt'
  | 'image-layer-missing'
  | 'orphan-blob'
  | 'orphan-layer'
  | 'container-dir-missing'
  | 'container-not-running'
  | 'orphan-container-dir'
  | 'volume-dir-missing'
  | 'orphan-volume-dir'
  | 'orphan-mount'
  | 'orphan-netns'
  | 'orphan-veth'
  | 'orphan-iptables-rule'
  | 'orphan-cgroup';

export interface Fault {
  kind: FaultKind;
  /** The object, as the user names it: an image name and id, a digest, a container id, a path. */
  object: string;
  message: string;
  /** Set by --repair: the orphan was removed. Broken objects a record names are never removed. */
  repaired: boolean;
}

export interface CheckReport {
  faults: Fault[];
  checked: { images: number; blobs: number; layers: number; containers: number; volumes: number; mounts: number; netns: number; veths: number; rules: number; cgroups: number };
}

const short = (id: string): string => id.replace(/^sha256:/, '').slice(0, 12);

/**
 * `berth system check`: the data root against its records. Every image's blobs present and hashing
 * to their digests and its layers unpacked; every blob and layer on disk named by an image, a
 * container or a lease; every container's record, folder and runtime state agreeing; every volume
 * with its folder and the reverse; no mount or network namespace left of a container that is gone.
 * With `repair`, what no record names is removed; what a record names but is broken is only reported.
 */
export async function checkStore(ports: CheckPorts, opts: { repair: boolean; signal?: AbortSignal }): Promise<CheckReport> {
  const faults: Fault[] = [];
  const fault = async (kind: FaultKind, object: string, message: string, repair?: () => Promise<void>): Promise<void> => {
    let repaired = false;
    if (repair && opts.repair) {
      await repair();
      repaired = true;
    }
    faults.push({ kind, object, message, repaired });
  };

  const images = ports.images();
  const containers = ports.containers();
  const usedBlobs = new Set<string>(ports.leased('blob'));
  const usedLayers = new Set<string>(ports.leased('layer'));
  for (const c of containers) for (const l of c.layers) usedLayers.add(l);
  const onDisk = new Set(await ports.layers.list());
  const verified = new Map<string, 'ok' | 'missing' | 'corrupt'>();
  for (const img of images) {
    for (const b of img.blobs) {
      usedBlobs.add(b);
      opts.signal?.throwIfAborted();
      const v = verified.get(b) ?? (await ports.blobs.verify(b, opts.signal));
      verified.set(b, v);
      if (v === 'missing') await fault('image-blob-missing', `${img.name} (${short(img.id)})`, `image ${img.name} (${short(img.id)}) lacks blob ${b}: pull or load it again, or remove it`);
      if (v === 'corrupt') await fault('image-blob-corrupt', `${img.name} (${short(img.id)})`, `blob ${b} of image ${img.name} (${short(img.id)}) does not match its digest: pull or load it again, or remove it`);
    }
    for (const c of img.chainIds) {
      usedLayers.add(c);
      if (!onDisk.has(c)) await fault('image-layer-missing', `${img.name} (${short(img.id)})`, `image ${img.name} (${short(img.id)}) lacks its unpacked layer ${c}: pull or load it again, or remove it`);
    }
  }
  let blobCount = 0;
  for await (const b of ports.blobs.list()) {
    blobCount++;
    if (!usedBlobs.has(b)) await fault('orphan-blob', b, `blob ${b} belongs to no image`, () => ports.blobs.remove(b));
  }
  for (const c of onDisk) {
    if (!usedLayers.has(c)) await fault('orphan-layer', c, `layer ${c} belongs to no image and no container`, () => ports.layers.remove(c));
  }

  const known = new Set(containers.map((c) => c.id));
  // Mounts first: an orphaned folder is removed only once nothing is mounted beneath it.
  const mounts = await ports.mounts();
  for (const m of mounts) {
    if (m.containerId !== null && !known.has(m.containerId)) {
      await fault('orphan-mount', m.path, `mount ${m.path} belongs to container ${short(m.containerId)}, which no longer exists`, () => ports.unmount(m.path));
    }
  }
  const dirs = new Set(await ports.containerDirs());
  for (const c of containers) {
    if (!dirs.has(c.id)) await fault('container-dir-missing', `${c.name} (${short(c.id)})`, `container ${c.name} (${short(c.id)}) has no folder in the data root: remove it with rm -f`);
    if (c.status === 'running' || c.status === 'paused') {
      const rt = await ports.runtimeStatus(c.id);
      if (rt !== 'running' && rt !== 'paused') {
        await fault('container-not-running', `${c.name} (${short(c.id)})`, `container ${c.name} (${short(c.id)}) is recorded ${c.status}, but the runtime has it ${rt ?? 'gone'}: restart berthd to settle it, or rm -f it`);
      }
    }
  }
  for (const id of dirs) {
    if (!known.has(id)) await fault('orphan-container-dir', id, `folder of container ${short(id)} has no container record`, () => ports.removeContainerDir(id));
  }

  const volumes = ports.volumes();
  const volumeDirs = new Set(await ports.volumeDirs());
  for (const v of volumes) if (!volumeDirs.has(v)) await fault('volume-dir-missing', v, `volume ${v} has no folder in the data root: remove it with volume rm`);
  const named = new Set(volumes);
  for (const v of volumeDirs) if (!named.has(v)) await fault('orphan-volume-dir', v, `folder of volume ${v} has no volume record`, () => ports.removeVolumeDir(v));

  const netns = await ports.netns();
  for (const id of netns) {
    if (!known.has(id)) await fault('orphan-netns', id, `network namespace of container ${short(id)}, which no longer exists`, () => ports.removeNetns(id));
  }

  const veths = (await ports.veths?.()) ?? [];
  for (const v of veths) {
    if (!v.owned) await fault('orphan-veth', v.name, `interface ${v.name} on bridge ${v.bridge} belongs to no container endpoint`, ports.removeVeth && (() => (ports.removeVeth as (n: string) => Promise<void>)(v.name)));
  }
  const rules = (await ports.masqueradeRules?.()) ?? [];
  for (const r of rules) {
    if (!r.known && !r.bridgeExists) {
      await fault('orphan-iptables-rule', r.rule, `iptables rule of network ${short(r.network)}, which no longer exists: ${r.rule}`, ports.removeMasqueradeRule && (() => (ports.removeMasqueradeRule as (x: string) => Promise<void>)(r.rule)));
    }
  }
  // A cgroup of a container no record names, empty for a minute: one a killed runc or berthd left.
  const cgroups = (await ports.cgroups?.()) ?? [];
  for (const c of cgroups) {
    if (!known.has(c.containerId) && c.empty && c.ageMs > CGROUP_GRACE_MS) {
      await fault('orphan-cgroup', c.path, `cgroup ${c.path} belongs to container ${short(c.containerId)}, which no longer exists`, ports.removeCgroup && (() => (ports.removeCgroup as (p: string) => Promise<void>)(c.path)));
    }
  }
  return {
    faults,
    checked: {
      images: images.length,
      blobs: blobCount,
      layers: onDisk.size,
      containers: containers.length,
      volumes: volumes.length,
      mounts: mounts.length,
      netns: netns.length,
      veths: veths.length,
      rules: rules.length,
      cgroups: cgroups.length,
    },
  };
}

/** How long an empty cgroup of an unknown container is left alone (another berthd may be removing it). */
const CGROUP_GRACE_MS = 60_000;

/**
 * At berthd's start, before it serves: removes blobs and layers that no image, container or lease
 * names. A berthd killed between an image record's removal (rmi, prune) and its content's leaves
 * such content, and nothing would name it again to collect it. Blobs are not read (no digest check):
 * this is `system check --repair`'s orphan part only. Returns how many objects it removed.
 */
export async function collectOrphans(ports: Pick<CheckPorts, 'images' | 'containers' | 'leased' | 'blobs' | 'layers'>): Promise<number> {
  const usedBlobs = new Set<string>(ports.leased('blob'));
  const usedLayers = new Set<string>(ports.leased('layer'));
  for (const c of ports.containers()) for (const l of c.layers) usedLayers.add(l);
  for (const img of ports.images()) {
    for (const b of img.blobs) usedBlobs.add(b);
    for (const c of img.chainIds) usedLayers.add(c);
  }
  let removed = 0;
  for (const c of await ports.layers.list()) {
    if (usedLayers.has(c)) continue;
    await ports.layers.remove(c);
    removed++;
  }
  for await (const b of ports.blobs.list()) {
    if (usedBlobs.has(b)) continue;
    await ports.blobs.remove(b);
    removed++;
  }
  return removed;
}
