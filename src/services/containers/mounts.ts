import { mkdir, stat } from 'node:fs/promises';
import { InvalidArgument, NotFound } from '../../errdefs/index.js';
import type { ContainerRecord, MountPoint } from '../../core/metadata/index.js';
import { copyUp, resolveInRoot } from '../../core/volumes/index.js';
import { ANONYMOUS_LABEL, type VolumeService } from '../volumes/index.js';
import type { MountRequest } from '../../core/metadata/index.js';
import { tmpfsOptions } from './tmpfs.js';
import { checkPropagation } from './propagation.js';

/** A mount as the runtime spec takes it. */
export interface RuntimeMount {
  source: string;
  destination: string;
  type: string;
  options: string[];
}

/** What the container service asks of mount planning: at create, at start, at remove. */
export interface ContainerMountPlanner {
  /** Checks the request's mounts, creates named and anonymous volumes; the result goes on the record. */
  plan(rec: ContainerRecord, lookup: (idOrName: string) => ContainerRecord): Promise<MountPoint[]>;
  /** Fills each empty new volume from the image's content at its destination (rootfs is mounted); once, at create. */
  populate(rec: ContainerRecord, rootfs: string, signal?: AbortSignal): Promise<void>;
  /** The runtime mounts for a start; publishes Docker's `volume mount` events. */
  runtimeMounts(rec: ContainerRecord, signal?: AbortSignal): Promise<RuntimeMount[]>;
  /** The container stopped: Docker's `volume unmount` events. */
  unmounted(rec: ContainerRecord): void;
  /** After the record is gone: removes the container's anonymous volumes when asked (`rm -v`, `--rm`). */
  release(rec: ContainerRecord, removeAnonymous: boolean): Promise<void>;
}

/** Mount planning backed by the volume service. */
export class ContainerMounts implements ContainerMountPlanner {
  constructor(readonly volumes: VolumeService) {}

  async plan(rec: ContainerRecord, lookup: (idOrName: string) => ContainerRecord): Promise<MountPoint[]> {
    const requests = rec.spec.mounts;
    const byDest = new Map<string, MountPoint>();
    // --volumes-from first: the request's own mounts replace what they share a destination with.
    for (const from of rec.spec.volumesFrom) {
      let other: ContainerRecord;
      try {
        other = lookup(from.container);
      } catch (e) {
        // A 404 here would make the docker CLI think the image is missing and try to pull it.
        if (e instanceof NotFound) throw new InvalidArgument(`${e.message} (in --volumes-from)`, { cause: e });
        throw e;
      }
      for (const m of other.mounts ?? []) {
        if (m.type === 'tmpfs') continue;
        const copy: MountPoint = { ...m, rw: from.rw ?? m.rw, copyData: false };
        delete copy.anonymous;
        if (from.rw !== undefined) copy.mode = from.rw ? 'rw' : 'ro';
        byDest.set(m.destination, copy);
      }
    }
    const created: string[] = [];
    try {
      for (const r of requests) byDest.set(r.destination, await this.#point(r, created));
      // The image's VOLUMEs (and Config.Volumes) that nothing else covers become anonymous volumes.
      for (const path of rec.spec.volumes) {
        if (path.includes(':')) continue; // handled as a bind by mountRequests
        if (!path.startsWith('/')) throw new InvalidArgument(`invalid mount path: '${path}' mount path must be absolute`);
        const dest = path.length > 1 ? path.replace(/\/+$/, '') : path;
        if (byDest.has(dest)) continue;
        byDest.set(dest, await this.#point({ type: 'volume', source: '', destination: dest, rw: true, mode: '', propagation: '', copyData: true }, created));
      }
    } catch (e) {
      for (const name of created) await this.volumes.remove(name).catch(() => undefined);
      throw e;
    }
    return [...byDest.values()];
  }

  async #point(r: MountRequest, created: string[]): Promise<MountPoint> {
    const base = { destination: r.destination, rw: r.rw, mode: r.mode, propagation: r.propagation };
    switch (r.type) {
      case 'bind': {
        const st = await stat(r.source).catch(() => undefined);
        if (!st) {
          if (!r.createSource) throw new InvalidArgument(`invalid mount config for type "bind": bind source path does not exist: ${r.source}`);
          await mkdir(r.source, { recursive: true, mode: 0o755 });
        }
        const p: MountPoint = { ...base, type: 'bind', source: r.source };
        if (r.nonRecursive) p.nonRecursive = true;
        if (r.fromMountsApi) p.fromMountsApi = true;
        return p;
      }
      case 'tmpfs': {
        const p: MountPoint = { ...base, type: 'tmpfs', source: '', options: r.options ?? [] };
        if (r.fromMountsApi) p.fromMountsApi = true;
        return p;
      }
      case 'volume': {
        const anonymous = r.source === '';
        const existed = !anonymous && this.volumes.find(r.source) !== undefined;
        const req: { name?: string; driver?: string; labels?: Record<string, string>; options?: Record<string, string> } = {};
        if (r.volumeDriver) req.driver = r.volumeDriver;
        if (r.volumeLabels) req.labels = r.volumeLabels;
        if (r.volumeOptions) req.options = r.volumeOptions;
        const v = anonymous ? await this.volumes.create({ ...req, labels: { ...req.labels, [ANONYMOUS_LABEL]: '' } }) : await this.volumes.create({ ...req, name: r.source });
        if (!existed) created.push(v.name);
        const p: MountPoint = { ...base, type: 'volume', name: v.name, source: v.mountpoint, driver: v.driver, copyData: r.copyData };
        if (anonymous) p.anonymous = true;
        if (r.subpath) p.subpath = r.subpath;
        if (r.fromMountsApi) p.fromMountsApi = true;
        return p;
      }
    }
  }

  async populate(rec: ContainerRecord, rootfs: string, signal?: AbortSignal): Promise<void> {
    for (const m of rec.mounts ?? []) {
      if (m.type !== 'volume' || !m.copyData || m.subpath || !m.name) continue;
      if (!(await this.volumes.isEmpty(m.name))) continue;
      const src = await this.volumes.mountSource(m.name);
      await copyUp(rootfs, m.destination, src.source, signal);
    }
  }

  async runtimeMounts(rec: ContainerRecord, signal?: AbortSignal): Promise<RuntimeMount[]> {
    const out: RuntimeMount[] = [];
    for (const m of rec.mounts ?? []) {
      signal?.throwIfAborted();
      const access = m.rw ? 'rw' : 'ro';
      switch (m.type) {
        case 'tmpfs':
          out.push({ type: 'tmpfs', source: 'tmpfs', destination: m.destination, options: tmpfsOptions(m.options ?? []) });
          break;
        case 'bind': {
          if (!(await stat(m.source).catch(() => undefined))) {
            throw new InvalidArgument(`error while creating mount source path '${m.source}': bind source path does not exist`);
          }
          await checkPropagation(m.source, m.propagation);
          out.push({ type: 'bind', source: m.source, destination: m.destination, options: [m.nonRecursive ? 'bind' : 'rbind', access, m.propagation || 'rprivate'] });
          break;
        }
        case 'volume': {
          const name = m.name ?? '';
          if (!this.volumes.find(name)) throw new NotFound(`error while mounting volume '${m.source}': get ${name}: no such volume`);
          const src = await this.volumes.mountSource(name);
          let source = src.source;
          if (m.subpath) {
            source = await resolveInRoot(src.source, m.subpath);
            if (!(await stat(source).catch(() => undefined))) throw new InvalidArgument(`cannot access path ${source}: no such file or directory`);
          }
          out.push({ type: src.type, source, destination: m.destination, options: [...src.options, access, ...(src.type === 'bind' ? ['rprivate'] : [])] });
          this.volumes.publish(name, 'mount', { container: rec.id, destination: m.destination, driver: m.driver ?? 'local', propagation: m.propagation, 'read/write': String(m.rw) });
          break;
        }
      }
    }
    // Parents before children, as Docker sorts: a mount at /a/b must land on top of the one at /a.
    return out.sort((a, b) => depth(a.destination) - depth(b.destination));
  }

  unmounted(rec: ContainerRecord): void {
    for (const m of rec.mounts ?? []) {
      if (m.type === 'volume' && m.name) this.volumes.publish(m.name, 'unmount', { container: rec.id, driver: m.driver ?? 'local' });
    }
  }

  async release(rec: ContainerRecord, removeAnonymous: boolean): Promise<void> {
    if (!removeAnonymous) return;
    for (const m of rec.mounts ?? []) {
      if (m.type !== 'volume' || !m.anonymous || !m.name) continue;
      // Still used by another container (e.g. through --volumes-from): kept, as Docker keeps it.
      await this.volumes.remove(m.name).catch(() => undefined);
    }
  }
}

function depth(p: string): number {
  return p.split('/').filter((c) => c !== '').length;
}
