import { parseStages } from '../../core/dockerfile/index.js';
import { InvalidArgument } from '../../errdefs/index.js';
import type { Digest } from '../../util/index.js';
import { stepTrace } from '../containers/index.js';
import type { StoredImage } from '../images/index.js';
import type { BuildDeps } from './builder.js';
import { CacheMounts, type CacheMountUsage } from './cache-mounts.js';
import { receiveContext } from './context.js';
import { exportVertex } from './progress.js';
import { runBuild } from './stages.js';
import type { BuildMessage, BuildOptions } from './types.js';

/**
 * `docker build` with Docker's classic builder: the context arrives as a tar, each Dockerfile step
 * becomes an image; steps are reused from earlier builds (the cache is the untagged step images,
 * children of their parent image, hidden from `images` as Docker hides them). The stages the target
 * needs run as stages.ts schedules them; progress is the classic text or, asked for, BuildKit-style.
 */
export class BuildService {
  /** Running builds by the client's build ID, for cancel(). */
  readonly #running = new Map<string, AbortController>();

  readonly deps: BuildDeps & { caches: CacheMounts };

  constructor(deps: BuildDeps) {
    // The cache mounts live under the data root, beside the containers.
    this.deps = { ...deps, caches: deps.caches ?? new CacheMounts(deps.cacheMountsDir) };
  }

  /** The RUN --mount=type=cache directories, for `system df`. */
  cacheMounts(): Promise<CacheMountUsage[]> {
    return this.deps.caches.usage();
  }

  /**
   * Cancels the build the client started with this ID (`POST /build/cancel`, which docker's BuildKit
   * client and `berth build` send on Ctrl-C); it stops as a client that hangs up stops it. False when
   * no build has this ID.
   */
  cancel(buildId: string): boolean {
    const c = this.#running.get(buildId);
    c?.abort(new InvalidArgument('the build was cancelled'));
    return c !== undefined;
  }

  get #scratchDir(): string {
    return this.deps.scratchDir;
  }

  /**
   * Runs a build; the messages go to `out`; resolves with the image ID once tagged. `started` is
   * called once the context is in and the Dockerfile parsed, where dockerd's first step begins.
   */
  async build(body: AsyncIterable<Uint8Array>, opts: BuildOptions, out: (m: BuildMessage) => void, started: () => void = () => undefined, buildId?: string): Promise<Digest> {
    const cancel = new AbortController();
    if (buildId) {
      if (this.#running.has(buildId)) throw new InvalidArgument(`a build with ID ${buildId} is already running`);
      this.#running.set(buildId, cancel);
    }
    try {
      return await this.#build(body, { ...opts, signal: AbortSignal.any([opts.signal, cancel.signal]) }, out, started);
    } finally {
      if (buildId) this.#running.delete(buildId);
    }
  }

  async #build(body: AsyncIterable<Uint8Array>, opts: BuildOptions, out: (m: BuildMessage) => void, started: () => void): Promise<Digest> {
    const trace = stepTrace(this.deps.trace, 'build');
    const ctx = await receiveContext(body, this.#scratchDir, opts.dockerfile || 'Dockerfile', opts.signal);
    trace.mark('context received');
    let id: Digest;
    let key: string;
    try {
      const df = parseStages(ctx.dockerfile);
      started();
      ({ id, key } = await runBuild(this.deps, opts, ctx.dir, df, out));
      trace.mark('stages built');
    } finally {
      await ctx.release();
      trace.mark('context released');
      trace.end();
    }
    const { images } = this.deps;
    const exporting = new Date();
    for (const t of opts.tags) images.tag(id, t, null);
    if (opts.structured) {
      if (!opts.quiet) {
        const lines = ['exporting layers done', `writing image ${id} done`, ...opts.tags.map((t) => `naming to ${t} done`)];
        for (const s of exportVertex(key, 'exporting to image', lines, exporting)) out({ progress: s });
      }
      out({ aux: { ID: id } });
      return id;
    }
    out({ aux: { ID: id } });
    if (opts.quiet) out({ stream: `${id}\n` });
    else out({ stream: `Successfully built ${id.replace(/^sha256:/, '').slice(0, 12)}\n` });
    if (!opts.quiet) for (const t of opts.tags) out({ stream: `Successfully tagged ${images.familiar(t)}\n` });
    return id;
  }

  /** Checks and normalizes the tags before anything is built (a bad one is a 400, not a failed stream). */
  normalizeTags(tags: string[]): string[] {
    return tags.map((t) => {
      const full = this.deps.images.normalize(t);
      if (full.includes('@')) throw new InvalidArgument(`invalid reference format: ${t} (a build cannot be tagged with a digest)`);
      return full;
    });
  }

  /**
   * The build cache: every untagged step image that no container uses, leaves first (their tagged
   * children, finished builds, keep their layers and lose only the parent link), and every
   * RUN --mount=type=cache directory no step holds now.
   */
  async prune(): Promise<{ deleted: string[]; spaceReclaimed: number }> {
    const { images } = this.deps;
    const { records } = this.deps;
    const deleted: string[] = [];
    let reclaimed = 0;
    const isCache = (img: StoredImage): boolean =>
      img.parent !== undefined && records.tagsOf(img.id).length === 0 && records.repoDigestsOf(img.id).length === 0 && images.usersOf(img.id).length === 0;
    for (;;) {
      const victims = images.list().filter(isCache);
      const leaves = victims.filter((v) => records.childrenOf(v.id).length === 0);
      const batch = leaves.length ? leaves : victims;
      if (batch.length === 0) break;
      for (const v of batch) {
        for (const child of records.childrenOf(v.id)) {
          const c = records.get(child);
          if (!c) continue;
          const { parent: _drop, ...rest } = c;
          void _drop;
          records.put(rest, []);
        }
        await images.remove(v.id, { force: false, prune: false });
        deleted.push(v.id);
        const top = v.layers.at(-1);
        if (top && !(await images.hasBlob(top.digest))) reclaimed += top.size;
      }
    }
    const mounts = await this.deps.caches.prune();
    return { deleted: [...deleted, ...mounts.deleted], spaceReclaimed: reclaimed + mounts.spaceReclaimed };
  }
}
