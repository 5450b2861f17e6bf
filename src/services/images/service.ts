import { PassThrough, Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { Conflict, InvalidArgument } from '../../errdefs/index.js';
import { chainIds, newImageConfig, parseChanges } from '../../core/images/index.js';
import type { Digest } from '../../util/index.js';
import type { EventBus } from '../../core/events/index.js';
import type { ApplyLayer, ArchiveCodec, Blobs, ImageRecords, LayerStore, References, StoredImage } from './ports.js';
import { LEASE_TTL_MS, MemoryLeases, OperationLease, type LeaseKind, type LeaseRecords } from './lease.js';
import { writeImage, type NewImage } from './write-image.js';

/** What an OCI image config holds that berth reads (PascalCase as in the spec's `config`). */
export interface ImageConfigJson {
  created?: string;
  author?: string;
  architecture?: string;
  os?: string;
  variant?: string;
  config?: Record<string, unknown>;
  rootfs?: { type: string; diff_ids: string[] };
  history?: { created?: string; created_by?: string; author?: string; comment?: string; empty_layer?: boolean }[];
  comment?: string;
  container_config?: Record<string, unknown>;
  /** Docker's image JSON: the ID of the container a commit or build step was made from. */
  container?: string;
  'os.version'?: string;
  docker_version?: string;
}

export interface ImageUser {
  id: string;
  running: boolean;
}

export interface ImageServiceDeps {
  records: ImageRecords;
  blobs: Blobs;
  layers: LayerStore;
  applyLayer: ApplyLayer;
  archives: ArchiveCodec;
  refs: References;
  /** Containers made from an image (to refuse removal, and to keep their layers). */
  containersUsing(imageId: string): ImageUser[];
  /** Chain IDs that containers still stand on. */
  layersInUse(): Set<string>;
  bus?: EventBus;
  /** Leases of operations in flight (SQLite, so a killed berthd's survive it); in memory when absent. */
  leases?: LeaseRecords;
}

export type DeleteAction = { Untagged: string } | { Deleted: string };

export class ImageService {
  readonly #leases: LeaseRecords;

  constructor(readonly deps: ImageServiceDeps) {
    this.#leases = deps.leases ?? new MemoryLeases();
  }

  /** A lease for an operation that assembles content: what it names is not collected until it ends. */
  lease(ttlMs = LEASE_TTL_MS): OperationLease {
    return new OperationLease(this.#leases.create(ttlMs), this.#leases, (refs) => this.#collectRefs(refs));
  }

  /** Ends the leases a killed berthd left that have expired, and removes what only they held. */
  async expireLeases(): Promise<void> {
    const refs = this.#leases.expire();
    if (refs.length > 0) await this.#collectRefs(refs);
  }

  /** Layers a removed container held: those nothing else names go (children first). */
  async releaseLayers(chains: string[]): Promise<void> {
    await this.#collectUnused([...chains].reverse(), []);
  }

  async #collectRefs(refs: { kind: LeaseKind; ref: string }[]): Promise<void> {
    const of = (k: LeaseKind): string[] => refs.filter((r) => r.kind === k).map((r) => r.ref);
    await this.#collectUnused(of('layer').reverse(), of('blob'));
  }

  #publish(action: string, id: string, name?: string): void {
    this.deps.bus?.publish('image', action, id, name ? { name } : {});
  }

  count(): number {
    return this.deps.records.list().length;
  }

  /** A reference in full (docker.io/library/x:latest for x), as the store keeps it. */
  normalize(ref: string): string {
    return this.deps.refs.normalize(ref);
  }

  /** A full reference as users name it (x:latest for docker.io/library/x:latest). */
  familiar(ref: string): string {
    return this.deps.refs.familiar(ref);
  }

  /** Whether the content store holds the blob. */
  async hasBlob(digest: Digest): Promise<boolean> {
    return (await this.deps.blobs.info(digest)) !== null;
  }

  /** Containers made from the image. */
  usersOf(imageId: string): ImageUser[] {
    return this.deps.containersUsing(imageId);
  }

  /**
   * Stores an image made of a parent plus at most one layer, under a lease (write-image.ts): used
   * by commit and by the builder.
   */
  writeImage(n: NewImage): Promise<StoredImage> {
    return writeImage(this, this.deps, n);
  }

  get(ref: string): StoredImage {
    return this.deps.records.resolve(ref);
  }

  list(): StoredImage[] {
    return this.deps.records.list();
  }

  tagsOf(id: Digest): string[] {
    return this.deps.records.tagsOf(id).map((t) => this.deps.refs.familiar(t));
  }

  repoDigestsOf(id: Digest): string[] {
    return this.deps.records.repoDigestsOf(id).map((t) => this.deps.refs.familiar(t));
  }

  async config(img: StoredImage): Promise<ImageConfigJson> {
    return JSON.parse((await this.deps.blobs.readAll(img.configDigest, 8 << 20)).toString('utf8')) as ImageConfigJson;
  }

  /** The manifest an image came with (pull, load, build), or null for one made here without one; with its config's size. */
  async manifestOf(img: StoredImage): Promise<{ mediaType: string; digest: Digest; size: number; configSize: number } | null> {
    if (!img.manifestDigest) return null;
    const bytes = await this.deps.blobs.readAll(img.manifestDigest, 4 << 20).catch(() => null);
    if (!bytes) return null;
    let mediaType = 'application/vnd.oci.image.manifest.v1+json';
    let configSize = 0;
    try {
      const m = JSON.parse(bytes.toString('utf8')) as { mediaType?: unknown; config?: { size?: unknown } };
      if (typeof m.mediaType === 'string') mediaType = m.mediaType;
      if (typeof m.config?.size === 'number') configSize = m.config.size;
    } catch {
      return null;
    }
    return { mediaType, digest: img.manifestDigest, size: bytes.length, configSize };
  }

  chainIdsOf(img: StoredImage): Digest[] {
    return chainIds(img.layers.map((l) => l.diffId));
  }

  /** For containers: the image, its layers as chain IDs, and its runtime config. */
  async resolveImage(ref: string): Promise<{ id: string; chainIds: string[]; config: Record<string, unknown> }> {
    const img = this.get(ref);
    const cfg = await this.config(img);
    return { id: img.id, chainIds: this.chainIdsOf(img), config: cfg.config ?? {} };
  }

  ancestorIds(v: string): Set<string> {
    try {
      return new Set([this.get(v).id]);
    } catch {
      return new Set();
    }
  }

  /** What `ps` shows in IMAGE: the name the container was made from while it still names that image. */
  displayName(imageId: string, asGiven: string): string {
    try {
      if (this.get(asGiven).id === imageId) return asGiven;
    } catch {
      /* the name moved or was removed */
    }
    return imageId.replace(/^sha256:/, '').slice(0, 12);
  }

  tag(source: string, repo: string, tag: string | null): void {
    const img = this.get(source);
    if (!repo) throw new InvalidArgument('repository name must have at least one component');
    if (tag && !/^[\w][\w.-]{0,127}$/.test(tag)) throw new InvalidArgument(`invalid tag format: ${tag}`);
    const full = this.deps.refs.normalize(tag ? `${repo}:${tag}` : repo);
    if (full.includes('@')) throw new InvalidArgument('refusing to create a tag with a digest reference');
    this.deps.records.tag(img.id, full);
    this.#publish('tag', img.id, this.deps.refs.familiar(full));
  }

  /** Docker's rmi: untag by name, delete by id; refuse while containers use it, unless forced. */
  async remove(ref: string, opts: { force: boolean; prune: boolean }): Promise<DeleteAction[]> {
    const img = this.get(ref);
    const tags = this.deps.records.tagsOf(img.id);
    const byId = isIdRef(ref, img.id);
    const users = this.deps.containersUsing(img.id);
    const short = img.id.replace(/^sha256:/, '').slice(0, 12);
    const actions: DeleteAction[] = [];
    if (!byId) {
      const full = this.deps.refs.normalize(ref);
      const refs = [...tags, ...this.deps.records.repoDigestsOf(img.id)];
      if (refs.includes(full)) {
        if (users.length > 0 && !opts.force && isSingleReference(refs)) {
          throw new Conflict(
            `conflict: unable to remove repository reference "${ref}" (must force) - container ${users[0]?.id.slice(0, 12)} is using its referenced image ${short}`,
          );
        }
        const untagged = this.#untagReference(img.id, full);
        // Other references keep the image; so do its users and children (it stays, untagged).
        const left = this.deps.records.tagsOf(img.id).length + this.deps.records.repoDigestsOf(img.id).length;
        if (left > 0 || users.length > 0 || this.deps.records.childrenOf(img.id).length > 0) return untagged;
        actions.push(...untagged);
      }
    } else {
      const running = users.find((u) => u.running);
      if (running) throw new Conflict(`conflict: unable to delete ${short} (cannot be forced) - image is being used by running container ${running.id.slice(0, 12)}`);
      if (users.length > 0 && !opts.force) {
        throw new Conflict(`conflict: unable to delete ${short} (must be forced) - image is being used by stopped container ${users[0]?.id.slice(0, 12)}`);
      }
      if (tags.length > 1 && !opts.force) {
        throw new Conflict(`conflict: unable to delete ${short} (must be forced) - image is referenced in multiple repositories`);
      }
    }
    // An image that builds stand on stays: by name it is only untagged (Docker's rmi), by ID refused.
    if (this.deps.records.childrenOf(img.id).length > 0) {
      if (byId) throw new Conflict(`conflict: unable to delete ${short} (cannot be forced) - image has dependent child images`);
      const full = this.deps.refs.normalize(ref);
      this.deps.records.untag(full);
      this.#publish('untag', img.id, this.deps.refs.familiar(full));
      return [{ Untagged: this.deps.refs.familiar(full) }];
    }
    const untaggedBefore = actions.length;
    for (const t of this.deps.records.tagsOf(img.id)) {
      this.deps.records.untag(t);
      actions.push({ Untagged: this.deps.refs.familiar(t) });
    }
    for (const d of this.deps.records.repoDigestsOf(img.id)) actions.push({ Untagged: this.deps.refs.familiar(d) });
    this.deps.records.delete(img.id);
    actions.push({ Deleted: img.id });
    for (const a of actions.slice(untaggedBefore)) {
      if ('Untagged' in a) this.#publish('untag', img.id, a.Untagged);
    }
    this.#publish('delete', img.id);
    await this.#collect(img);
    if (opts.prune) await this.#pruneParents(img, actions);
    return actions;
  }

  /**
   * Removes one reference, as dockerd: a tag's removal takes the digests of the same repository
   * along once no tag of that repository is left. Returns (and publishes) what was untagged.
   */
  #untagReference(id: Digest, full: string): DeleteAction[] {
    const gone = [full];
    this.deps.records.untag(full);
    const repo = repositoryOf(full);
    if (!full.includes('@') && !this.deps.records.tagsOf(id).some((t) => repositoryOf(t) === repo)) {
      for (const d of this.deps.records.repoDigestsOf(id)) {
        if (repositoryOf(d) !== repo) continue;
        this.deps.records.untag(d);
        gone.push(d);
      }
    }
    return gone.map((r) => {
      const name = this.deps.refs.familiar(r);
      this.#publish('untag', id, name);
      return { Untagged: name };
    });
  }

  /** As Docker's rmi: the untagged parents (build steps) that nothing else needs go with the image. */
  async #pruneParents(img: StoredImage, actions: DeleteAction[]): Promise<void> {
    let id = img.parent;
    while (id) {
      const p = this.deps.records.get(id as Digest);
      if (!p || this.deps.records.tagsOf(p.id).length || this.deps.records.repoDigestsOf(p.id).length) return;
      if (this.deps.records.childrenOf(p.id).length || this.deps.containersUsing(p.id).length) return;
      this.deps.records.delete(p.id);
      actions.push({ Deleted: p.id });
      this.#publish('delete', p.id);
      await this.#collect(p);
      id = p.parent;
    }
  }

  /**
   * `image prune`: dangling images (untagged, and not a parent of another image) that no container
   * uses, with their untagged parents; with `all`, every image no container uses.
   */
  async prune(all: boolean, keep: (img: StoredImage) => boolean = () => false): Promise<{ actions: DeleteAction[]; reclaimed: number }> {
    await this.expireLeases();
    const out: DeleteAction[] = [];
    const sizes = new Map(this.list().flatMap((i) => i.layers.map((l) => [l.digest, l.size] as const)));
    for (let changed = true; changed; ) {
      changed = false;
      for (const img of this.list()) {
        if (!this.deps.records.get(img.id) || keep(img)) continue;
        const tagged = this.deps.records.tagsOf(img.id).length > 0;
        if ((tagged && !all) || this.deps.records.childrenOf(img.id).length || this.deps.containersUsing(img.id).length) continue;
        out.push(...(await this.remove(img.id, { force: true, prune: true })));
        changed = true;
      }
    }
    const kept = new Set(this.list().flatMap((i) => i.layers.map((l) => l.digest as string)));
    let reclaimed = 0;
    for (const [d, size] of sizes) if (!kept.has(d)) reclaimed += size;
    this.deps.bus?.publish('image', 'prune', '', { reclaimed: String(reclaimed) });
    return { actions: out, reclaimed };
  }

  /** Images `images` lists without --all: Docker hides untagged images that are parents (build steps). */
  isIntermediate(img: StoredImage): boolean {
    return this.deps.records.tagsOf(img.id).length === 0 && this.deps.records.childrenOf(img.id).length > 0;
  }

  /** Removes the layers and blobs of a removed image that no other image and no container still needs. */
  async #collect(img: StoredImage): Promise<void> {
    const mine = [img.configDigest, ...(img.manifestDigest ? [img.manifestDigest] : []), ...img.layers.map((l) => l.digest)];
    await this.#collectUnused(this.chainIdsOf(img).reverse(), mine);
  }

  /**
   * Removes those of `chains` (children first) and `blobs` that no image record, no container and no
   * lease names: the one place that deletes content.
   */
  async #collectUnused(chains: string[], blobs: string[]): Promise<void> {
    const others = this.deps.records.list();
    const usedChains = this.deps.layersInUse();
    for (const o of others) for (const c of this.chainIdsOf(o)) usedChains.add(c);
    for (const c of this.#leases.held('layer')) usedChains.add(c);
    for (const c of chains) {
      if (!usedChains.has(c)) await this.deps.layers.removeLayer(c as Digest);
    }
    const usedBlobs = this.#leases.held('blob');
    for (const o of others) {
      usedBlobs.add(o.configDigest);
      if (o.manifestDigest) usedBlobs.add(o.manifestDigest);
      for (const l of o.layers) usedBlobs.add(l.digest);
    }
    for (const b of blobs) if (!usedBlobs.has(b)) await this.deps.blobs.delete(b as Digest).catch(() => undefined);
  }

  /** Unpacks every layer once, checking each layer's diff ID against the config. */
  async unpack(img: StoredImage, signal?: AbortSignal): Promise<void> {
    const chains = this.chainIdsOf(img);
    let parent: Digest | null = null;
    for (const [i, layer] of img.layers.entries()) {
      const chain = chains[i] as Digest;
      if (!(await this.deps.layers.hasLayer(chain))) {
        await this.deps.layers.createLayer(
          chain,
          parent,
          async (dir, format) => {
            const { diffId } = await this.deps.applyLayer(dir, this.deps.blobs.read(layer.digest, signal ? { signal } : {}), { format, ...(signal ? { signal } : {}) });
            if (diffId !== layer.diffId) throw new InvalidArgument(`layer ${layer.digest} has diff ID ${diffId}, but the image config says ${layer.diffId}`);
          },
          signal,
        );
      }
      parent = chain;
    }
  }

  /** `docker load`: every image in a save or OCI archive, stored, unpacked, then recorded and tagged. */
  async load(source: Readable, signal?: AbortSignal): Promise<{ id: Digest; tags: string[] }[]> {
    const lease = this.lease();
    try {
      const out = await this.#load(source, lease, signal);
      await lease.end(true);
      return out;
    } catch (e) {
      // A rejected archive leaves nothing behind that it stored.
      await lease.end(false);
      throw e;
    }
  }

  async #load(source: Readable, lease: OperationLease, signal?: AbortSignal): Promise<{ id: Digest; tags: string[] }[]> {
    const loaded = await this.deps.archives.read(source, signal, lease.onCommit);
    if (loaded.length === 0) throw new InvalidArgument('no images found in the archive (it has no manifest.json or index.json)');
    const out: { id: Digest; tags: string[] }[] = [];
    for (const l of loaded) {
      const cfgBytes = await this.deps.blobs.readAll(l.configDigest, 8 << 20);
      const cfg = parseConfig(cfgBytes);
      const diffIds = cfg.rootfs?.diff_ids ?? [];
      if (diffIds.length !== l.layers.length) {
        throw new InvalidArgument(`image ${l.configDigest} has ${l.layers.length} layers but its config lists ${diffIds.length} diff IDs`);
      }
      const rec: StoredImage = {
        id: l.configDigest,
        configDigest: l.configDigest,
        ...(l.manifestDigest ? { manifestDigest: l.manifestDigest } : {}),
        layers: l.layers.map((x, i) => ({ digest: x.digest, mediaType: x.mediaType, size: x.size, diffId: diffIds[i] as Digest })),
        created: cfg.created ?? new Date(0).toISOString(),
        size: 0,
      };
      for (const c of this.chainIdsOf(rec)) lease.layer(c);
      await this.unpack(rec, signal);
      rec.size = l.layers.reduce((n, x) => n + (x.uncompressedSize ?? x.size), 0);
      const tags = l.repoTags.map((t) => this.deps.refs.normalize(t));
      this.deps.records.put(rec, tags);
      out.push({ id: rec.id, tags: tags.map((t) => this.deps.refs.familiar(t)) });
      this.#publish('load', rec.id, tags[0] ? this.deps.refs.familiar(tags[0]) : undefined);
    }
    return out;
  }

  /** `docker save`: names keep their tag in the archive; ids are saved untagged. */
  async save(refs: string[], out: Writable, signal?: AbortSignal): Promise<void> {
    if (refs.length === 0) throw new InvalidArgument('no image names given');
    const byId = new Map<Digest, { record: StoredImage; repoTags: string[] }>();
    for (const ref of refs) {
      const img = this.get(ref);
      const entry = byId.get(img.id) ?? { record: img, repoTags: [] };
      if (!isIdRef(ref, img.id)) {
        const full = this.deps.refs.normalize(ref);
        const tags = this.deps.records.tagsOf(img.id);
        // A name without a tag saves every tag of that repository, as docker save does.
        const tagged = /:[^/]+$/.test(ref) || ref.includes('@');
        const repo = full.slice(0, full.lastIndexOf(':'));
        const chosen = tagged ? tags.filter((t) => t === full) : tags.filter((t) => t.startsWith(`${repo}:`));
        for (const t of chosen) {
          const fam = this.deps.refs.familiar(t);
          if (!entry.repoTags.includes(fam)) entry.repoTags.push(fam);
        }
      }
      byId.set(img.id, entry);
    }
    await this.deps.archives.write([...byId.values()], out, signal);
    for (const id of byId.keys()) this.#publish('save', id);
  }

  /** `docker import`: a rootfs tar (plain or gzip) becomes a one-layer image. */
  async importRootfs(source: Readable, opts: { ref?: string; changes: string[]; message?: string; signal?: AbortSignal }): Promise<Digest> {
    const changes = parseChanges(opts.changes);
    const lease = this.lease();
    try {
      const id = await this.#import(source, changes, opts, lease);
      await lease.end(true);
      return id;
    } catch (e) {
      await lease.end(false);
      throw e;
    }
  }

  async #import(source: Readable, changes: ReturnType<typeof parseChanges>, opts: { ref?: string; message?: string; signal?: AbortSignal }, lease: OperationLease): Promise<Digest> {
    const plain = await decompressed(source);
    const layer = await this.deps.blobs.write(plain, undefined, { ...(opts.signal ? { signal: opts.signal } : {}), onCommit: lease.onCommit });
    const config = newImageConfig({ diffIds: [layer.digest], changes, ...(opts.message ? { comment: opts.message } : {}) });
    const cfgBytes = Buffer.from(JSON.stringify(config));
    const cfg = await this.deps.blobs.write(cfgBytes, undefined, { onCommit: lease.onCommit });
    const rec: StoredImage = {
      id: cfg.digest,
      configDigest: cfg.digest,
      layers: [{ digest: layer.digest, diffId: layer.digest, size: layer.size, mediaType: 'application/vnd.oci.image.layer.v1.tar' }],
      created: (config as { created?: string }).created ?? new Date().toISOString(),
      size: layer.size,
    };
    for (const c of this.chainIdsOf(rec)) lease.layer(c);
    await this.unpack(rec, opts.signal);
    const tags = opts.ref ? [this.deps.refs.normalize(opts.ref)] : [];
    this.deps.records.put(rec, tags);
    this.#publish('import', rec.id, opts.ref);
    return rec.id;
  }

  /** The image's history, newest first: the first row carries the image's id and tags, the others '<missing>'. */
  async history(ref: string): Promise<HistoryRow[]> {
    const img = this.get(ref);
    const cfg = await this.config(img);
    const hist: NonNullable<ImageConfigJson['history']> = cfg.history?.length ? cfg.history : img.layers.map(() => ({ created: cfg.created ?? '', created_by: '', comment: '' }));
    const rows: HistoryRow[] = [];
    let li = 0;
    for (const h of hist) {
      const layer = h.empty_layer ? undefined : img.layers[li++];
      rows.push({ id: '<missing>', created: Math.floor(Date.parse(h.created ?? '') / 1000) || 0, createdBy: h.created_by ?? '', tags: [], size: layer?.size ?? 0, comment: h.comment ?? '' });
    }
    rows.reverse();
    if (rows[0]) {
      rows[0].id = img.id;
      rows[0].tags = this.tagsOf(img.id);
    }
    return rows;
  }
}

/** One row of an image's history: created in Unix seconds, size in bytes of the layer it made (0 for none). */
export interface HistoryRow {
  id: string;
  created: number;
  createdBy: string;
  tags: string[];
  size: number;
  comment: string;
}

function isIdRef(ref: string, id: string): boolean {
  const hex = ref.replace(/^sha256:/, '');
  return /^[a-f0-9]{4,64}$/.test(hex) && id.replace(/^sha256:/, '').startsWith(hex) && (ref.startsWith('sha256:') || hex.length >= 12 || !ref.includes(':'));
}

function parseConfig(bytes: Buffer): ImageConfigJson {
  try {
    const v: unknown = JSON.parse(bytes.toString('utf8'));
    if (!v || typeof v !== 'object') throw new Error('not an object');
    return v;
  } catch (e) {
    throw new InvalidArgument(`invalid image config: ${(e as Error).message}`, { cause: e });
  }
}

/** The tar inside a possibly gzip-compressed stream (import accepts both, as Docker does). */
async function decompressed(source: Readable): Promise<Readable> {
  const it = source[Symbol.asyncIterator]();
  const first = await it.next();
  if (first.done) throw new InvalidArgument('the archive is empty');
  const head = first.value as Buffer;
  const rest = Readable.from((async function* () {
    yield head;
    for (;;) {
      const n = await it.next();
      if (n.done) return;
      yield n.value as Buffer;
    }
  })());
  if (head[0] === 0x1f && head[1] === 0x8b) {
    const out = new PassThrough();
    pipeline(rest, createGunzip({ chunkSize: 256 * 1024 }), out).catch((e: unknown) => out.destroy(e instanceof Error ? new InvalidArgument(`invalid gzip data: ${e.message}`) : undefined));
    return out;
  }
  return rest;
}


/** `name:tag` or `name@digest` → name (a registry's port is no tag). */
function repositoryOf(full: string): string {
  const at = full.indexOf('@');
  return at >= 0 ? full.slice(0, at) : full.replace(/:[^:/]+$/, '');
}

/**
 * dockerd's isSingleReference: the references name one repository only (one tag at most, plus
 * digests of that same repository). Removing the last such reference of an image a container uses
 * needs force.
 */
function isSingleReference(refs: string[]): boolean {
  const tags = refs.filter((r) => !r.includes('@'));
  if (tags.length > 1) return false;
  const repos = new Set(refs.filter((r) => r.includes('@')).map(repositoryOf));
  const single = tags[0] ?? refs[0];
  if (single === undefined) return false;
  if (refs.length === 1) return true;
  return repos.size === 1 && repos.has(repositoryOf(single));
}
