import { chainIds } from '../../core/images/index.js';
import type { RemoteRepo } from '../../core/remotes/index.js';
import { InvalidArgument } from '../../errdefs/index.js';
import type { Descriptor } from '../../oci/index.js';
import type { Digest } from '../../util/index.js';
import { LayerProgress } from './layer-progress.js';
import { blobError, counter, fetchRest, resumePoint, streamLayer, type LayerStreamer, type LayerStreamProgress } from './stream-layer.js';
import { eachSettled, shortId, type ProgressSink, type RemoteImageDeps, type RemoteOptions } from './remote-deps.js';

interface LayerPlan {
  desc: Descriptor;
  diffId: Digest;
  chain: Digest;
  parent: Digest | null;
  haveBlob: boolean;
  haveLayer: boolean;
  progress: LayerProgress;
  /** Bytes left to fetch (what a stopped pull kept counts as fetched); set when the layers are queued. */
  left?: number;
}

/**
 * Fetches and unpacks an image's layers. With independent layer dirs (overlay) each layer goes
 * through one streaming pass — download → sha256 into the content store, and at the same time
 * decompress → untar into the layer's own dir — several layers at once; the layer is committed
 * only after the blob's digest has verified. With the copy driver, where each layer starts as a
 * copy of its parent, the downloads run at once and the layers are unpacked in order afterwards.
 */
export class LayerPuller {
  /** Downloads in flight by digest: two pulls sharing a blob fetch it once. */
  readonly #inflight = new Map<Digest, Promise<void>>();

  constructor(readonly deps: RemoteImageDeps) {}

  /** Fetches one blob into the content store (a config), sharing a download already running. */
  fetchBlob(repo: RemoteRepo, desc: Descriptor, opts: RemoteOptions): Promise<void> {
    return this.#shared(desc.digest, () => this.#transfer(repo, desc, opts));
  }

  async pullLayers(repo: RemoteRepo, descs: Descriptor[], diffIds: Digest[], sink: ProgressSink, opts: RemoteOptions): Promise<void> {
    const { blobs, layers } = this.deps.images.deps;
    const chains = chainIds(diffIds);
    const plans: LayerPlan[] = await Promise.all(
      descs.map(async (desc, i) => ({
        desc,
        diffId: diffIds[i] as Digest,
        chain: chains[i] as Digest,
        parent: i > 0 ? (chains[i - 1] as Digest) : null,
        haveBlob: (await blobs.info(desc.digest)) !== null,
        haveLayer: await layers.hasLayer(chains[i] as Digest),
        progress: new LayerProgress(shortId(desc.digest), desc.size, sink),
      })),
    );
    const todo = plans.filter((p) => !(p.haveBlob && p.haveLayer));
    for (const p of plans) p.progress.status(todo.includes(p) ? 'Pulling fs layer' : 'Already exists');
    const queue = await byWorkLeft(todo, blobs);
    const streaming = layers.independentLayers;
    // Every layer queues for a download slot of the daemon's pool at once, in this order: a layer
    // behind the limit (this pull's or another's) says Waiting, as Docker's transfer manager does.
    await eachSettled(queue, async (p) => {
      if (!p.haveBlob) await this.#download(repo, p, streaming && !p.haveLayer, opts);
      if (streaming) {
        // A stored blob whose layer is missing (a pull stopped between the two) is unpacked the
        // resumable way too: what the stopped pull unpacked is kept.
        if (!(await layers.hasLayer(p.chain))) await this.#slot(p, opts, () => this.#streamLayer(repo, p, opts));
        p.progress.status('Pull complete');
      }
    });
    if (streaming) return;
    for (const p of todo) {
      if (!(await layers.hasLayer(p.chain))) await this.#extract(p, false, opts.signal);
      p.progress.status('Pull complete');
    }
  }

  #shared(digest: Digest, job: () => Promise<void>): Promise<void> {
    const running = this.#inflight.get(digest);
    if (running) return running;
    const p = job().finally(() => this.#inflight.delete(digest));
    this.#inflight.set(digest, p);
    return p;
  }

  /**
   * Downloads a layer's blob, unpacking it on the way when `unpack`; a pull already fetching it is
   * joined (without a slot of its own: only the transfer holds one).
   */
  async #download(repo: RemoteRepo, p: LayerPlan, unpack: boolean, opts: RemoteOptions): Promise<void> {
    let mine = false;
    await this.#shared(p.desc.digest, () => {
      mine = true;
      return this.#slot(p, opts, () => (unpack ? this.#streamLayer(repo, p, opts) : this.#transfer(repo, p.desc, opts, p.progress)));
    });
    if (!mine) p.progress.status('Download complete');
  }

  #slot(p: LayerPlan, opts: RemoteOptions, fn: () => Promise<void>): Promise<void> {
    return this.deps.transfers.download(fn, { onWait: () => p.progress.status('Waiting'), ...sig(opts) });
  }

  /** Unpacks a layer from its stored blob. */
  async #extract(p: LayerPlan, parentPending: boolean, signal?: AbortSignal): Promise<void> {
    const { blobs, layers, applyLayer } = this.deps.images.deps;
    await layers.createLayer(
      p.chain,
      p.parent,
      async (dir, format) => {
        let n = 0;
        const counted = counter(blobs.read(p.desc.digest, signal ? { signal } : {}), (k) => p.progress.bytes('Extracting', (n += k)));
        const { diffId } = await applyLayer(dir, counted, { format, ...(signal ? { signal } : {}) });
        checkDiffId(p, diffId);
      },
      signal,
      { parentPending },
    );
    p.progress.bytes('Extracting', p.desc.size);
  }

  /** Download only: into the content store, verified there. */
  async #transfer(repo: RemoteRepo, desc: Descriptor, opts: RemoteOptions, progress?: LayerProgress): Promise<void> {
    const { blobs } = this.deps.images.deps;
    if (await blobs.info(desc.digest)) return;
    const { ref, have } = await resumePoint(blobs, desc);
    const { body, start } = await fetchRest(this.deps.remote, repo, desc, have, fetchOpts(opts));
    let n = start;
    const source = progress ? counter(body, (k) => progress.bytes('Downloading', (n += k))) : body;
    try {
      await blobs.write(source, { digest: desc.digest, size: desc.size }, { ref, resume: start > 0, keepPartial: true, ...sig(opts) });
    } catch (e) {
      body.destroy();
      throw blobError(repo, desc, e);
    }
    progress?.status('Verifying Checksum');
    progress?.status('Download complete');
  }

  /**
   * Downloads and unpacks a layer in one pass (streamLayer, here or on a worker thread); a blob
   * already stored is only unpacked.
   */
  async #streamLayer(repo: RemoteRepo, p: LayerPlan, opts: RemoteOptions): Promise<void> {
    const { blobs, layers, applyLayer } = this.deps.images.deps;
    const { transfers } = this.deps;
    const stream: LayerStreamer = transfers.threaded ? (job, progress) => transfers.streamLayer(job, progress) : (job, progress) => streamLayer({ remote: this.deps.remote, blobs, applyLayer }, job, progress);
    let unpacked = 0;
    let extracting = false;
    const progress: LayerStreamProgress = {
      downloaded: (n) => p.progress.bytes('Downloading', n),
      unpacked: (n) => {
        unpacked = n;
        if (extracting) p.progress.bytes('Extracting', n);
      },
      stored: () => {
        p.progress.status('Verifying Checksum');
        p.progress.status('Download complete');
        extracting = true;
        p.progress.bytes('Extracting', unpacked);
      },
    };
    await layers.createLayer(
      p.chain,
      p.parent,
      async (dir, format, progressFile) => {
        const job = { repo, desc: p.desc, dir, format, ...(progressFile ? { progressFile } : {}), ...(p.left !== undefined ? { weight: p.left } : {}), ...fetchOpts(opts) };
        const { diffId } = await stream(job, progress);
        checkDiffId(p, diffId);
      },
      opts.signal,
      // A pull cut short (a kill -9 too) keeps what it unpacked: the next one continues it.
      { parentPending: p.parent !== null, resumable: true },
    );
    p.progress.bytes('Extracting', p.desc.size);
  }
}

/**
 * The layers with the most bytes left to fetch go first (a stopped pull's partials count as fetched),
 * so that a resumed pull does not start its one big layer last, after the slots were spent on the
 * short rests of the others. Equal ones keep the manifest's order (a fresh pull is unchanged).
 */
async function byWorkLeft(todo: LayerPlan[], blobs: RemoteImageDeps['images']['deps']['blobs']): Promise<LayerPlan[]> {
  await Promise.all(todo.map(async (p) => (p.left = p.haveBlob ? 0 : p.desc.size - (await resumePoint(blobs, p.desc)).have)));
  return todo.map((p, i) => ({ p, i })).sort((a, b) => (b.p.left ?? 0) - (a.p.left ?? 0) || a.i - b.i).map((x) => x.p);
}

function checkDiffId(p: LayerPlan, diffId: Digest): void {
  if (diffId !== p.diffId) throw new InvalidArgument(`layer ${p.desc.digest} has diff ID ${diffId}, but the image config says ${p.diffId}`);
}

function sig(opts: RemoteOptions): { signal?: AbortSignal } {
  return opts.signal ? { signal: opts.signal } : {};
}

function fetchOpts(opts: RemoteOptions): RemoteOptions {
  return { ...(opts.creds ? { creds: opts.creds } : {}), ...sig(opts) };
}
