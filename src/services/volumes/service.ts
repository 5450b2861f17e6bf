import { randomBytes } from 'node:crypto';
import { Conflict, InvalidArgument, NotFound } from '../../errdefs/index.js';
import type { VolumeRecord, VolumeStore } from '../../core/metadata/index.js';
import type { LocalVolumeDriver, VolumeMountSource } from '../../core/volumes/index.js';
import { validateVolumeName } from '../../core/volumes/index.js';
import type { EventBus } from '../../core/events/index.js';
import { ANONYMOUS_LABEL, pruneAll, validateListFilters, validatePruneFilters, volumeMatches, type VolumeFilters } from './filters.js';

export interface VolumeServiceDeps {
  store: VolumeStore;
  driver: LocalVolumeDriver;
  /** For each volume in use, the IDs of the containers (any state) whose mounts name it. */
  volumeUsers(): Map<string, string[]>;
  bus?: EventBus;
}

/** A volume as the API shows it. */
export interface VolumeView extends VolumeRecord {
  mountpoint: string;
  scope: 'local';
}

export interface VolumeCreateRequest {
  name?: string;
  driver?: string;
  labels?: Record<string, string>;
  options?: Record<string, string>;
}

/** The volume use cases: create, inspect, list, remove, prune, and what a container mount needs. */
export class VolumeService {
  /** Serializes create/remove per name, so a create racing a remove sees a settled volume. */
  readonly #pending = new Map<string, Promise<unknown>>();

  constructor(readonly deps: VolumeServiceDeps) {}

  #view(v: VolumeRecord): VolumeView {
    return { ...v, mountpoint: this.deps.driver.dataPath(v.name), scope: 'local' };
  }

  async #locked<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.#pending.get(name) ?? Promise.resolve();
    const run = prev.catch(() => undefined).then(fn);
    this.#pending.set(name, run);
    try {
      return await run;
    } finally {
      if (this.#pending.get(name) === run) this.#pending.delete(name);
    }
  }

  /** Docker's create: a name that exists with the same driver returns the existing volume. */
  async create(req: VolumeCreateRequest): Promise<VolumeView> {
    const driver = req.driver || 'local';
    if (driver !== 'local') throw new NotFound(`error looking up volume plugin ${driver}: plugin "${driver}" not found`);
    const name = req.name || randomBytes(32).toString('hex');
    validateVolumeName(name);
    return this.#locked(name, async () => {
      const existing = this.deps.store.get(name);
      if (existing) {
        if (existing.driver !== driver) throw new Conflict(`volume name ${name} already in use with a different driver: ${existing.driver}`);
        return this.#view(existing);
      }
      const options = req.options ?? {};
      await this.deps.driver.create(name, options);
      const rec: VolumeRecord = { name, driver, created: new Date().toISOString(), labels: req.labels ?? {}, options };
      try {
        this.deps.store.insert(rec);
      } catch (e) {
        await this.deps.driver.remove(name).catch(() => undefined);
        throw e;
      }
      this.deps.bus?.publish('volume', 'create', name, { driver });
      return this.#view(rec);
    });
  }

  /** A new volume for one container's `-v /path` or image VOLUME; prune and `rm -v` know it by its label. */
  createAnonymous(): Promise<VolumeView> {
    return this.create({ labels: { [ANONYMOUS_LABEL]: '' } });
  }

  isAnonymous(name: string): boolean {
    const v = this.deps.store.get(name);
    return v !== undefined && ANONYMOUS_LABEL in v.labels;
  }

  containersUsing(name: string): string[] {
    return this.deps.volumeUsers().get(name) ?? [];
  }

  get(name: string): VolumeView {
    if (!name) throw new InvalidArgument('volume name is required');
    return this.#view(this.deps.store.resolve(name));
  }

  find(name: string): VolumeView | undefined {
    const v = this.deps.store.get(name);
    return v ? this.#view(v) : undefined;
  }

  list(filters: VolumeFilters = new Map()): VolumeView[] {
    validateListFilters(filters);
    const users = this.deps.volumeUsers();
    return this.deps.store
      .list()
      .filter((v) => volumeMatches(v, users.has(v.name), filters))
      .map((v) => this.#view(v));
  }

  /** Refused while any container (running or not) uses the volume, with Docker's words; force only forgives a missing volume. */
  async remove(name: string, opts: { force?: boolean } = {}): Promise<void> {
    await this.#locked(name, async () => {
      const v = this.deps.store.get(name);
      if (!v) {
        if (opts.force) return;
        throw new NotFound(`get ${name}: no such volume`);
      }
      const users = this.containersUsing(name);
      if (users.length > 0) throw new Conflict(`remove ${name}: volume is in use - [${users.join(' ')}]`);
      // Folder aside, record, folder: a kill at any point leaves a volume whole or gone (driver.recover at start).
      await this.deps.driver.detach(name);
      this.deps.store.delete(name);
      await this.deps.driver.remove(name);
      this.deps.bus?.publish('volume', 'destroy', name, { driver: v.driver });
    });
  }

  /** Removes unused volumes; only anonymous ones unless `all=true` (API 1.42+). */
  async prune(filters: VolumeFilters = new Map(), signal?: AbortSignal): Promise<{ deleted: string[]; spaceReclaimed: number }> {
    validatePruneFilters(filters);
    const all = pruneAll(filters);
    const deleted: string[] = [];
    let spaceReclaimed = 0;
    for (const v of this.deps.store.list()) {
      signal?.throwIfAborted();
      if (!all && !(ANONYMOUS_LABEL in v.labels)) continue;
      if (!volumeMatches(v, false, filters)) continue;
      if (this.containersUsing(v.name).length > 0) continue;
      const size = await this.deps.driver.size(v.name);
      try {
        await this.remove(v.name);
      } catch (e) {
        if (e instanceof Conflict || e instanceof NotFound) continue; // taken or gone meanwhile
        throw e;
      }
      deleted.push(v.name);
      if (size > 0) spaceReclaimed += size;
    }
    this.deps.bus?.publish('volume', 'prune', '', { reclaimed: String(spaceReclaimed) });
    return { deleted, spaceReclaimed };
  }

  /** What a container mount binds: the data directory (recreated if missing) or the filesystem the options name. */
  async mountSource(name: string): Promise<VolumeMountSource> {
    const v = this.deps.store.resolve(name);
    if (!v.options['type']) await this.deps.driver.path(name);
    return this.deps.driver.mountSource(name, v.options);
  }

  /** Whether a copy-up may fill it: a plain local volume with an empty data directory. */
  async isEmpty(name: string): Promise<boolean> {
    const v = this.deps.store.resolve(name);
    if (v.options['type']) return false;
    return this.deps.driver.isEmpty(name);
  }

  /** Publishes a volume event (mount/unmount come from the containers that use it). */
  publish(name: string, action: string, attributes: Record<string, string>): void {
    this.deps.bus?.publish('volume', action, name, attributes);
  }

  size(name: string): Promise<number> {
    return this.deps.driver.size(name);
  }
}
