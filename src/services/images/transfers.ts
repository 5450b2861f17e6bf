import { availableParallelism } from 'node:os';
import { LayerWorkers, type LayerFormat } from '../../core/diff/index.js';
import type { Remote } from '../../core/remotes/index.js';
import { Slots, type Digest } from '../../util/index.js';
import { PullWorkers } from './pull-workers.js';
import type { LayerStreamJob, LayerStreamProgress } from './stream-layer.js';

export interface TransferLimits {
  /** Layers downloaded at once across every pull (daemon.json max-concurrent-downloads, default 3). */
  downloads: number;
  /** Layers uploaded at once across every push (max-concurrent-uploads, default 5). */
  uploads: number;
  /** Layers unpacked from the content store at once (load, import, build): default one per core. */
  unpacks?: number;
}

export interface SlotOptions {
  /** Called when the transfer has to wait for a slot (progress says Waiting). */
  onWait?: () => void;
  signal?: AbortSignal;
}

/**
 * The daemon's one transfer pool, as Docker's transfer manager: it bounds downloads and uploads
 * across all pulls and pushes at once (two pulls of three layers each with the default limit run
 * three downloads, not six), bounds unpacks, and owns the worker threads they run on — the pull
 * threads (download, store and unpack of a layer in one pass, off the main thread) and the unpack
 * threads of load, import and build.
 */
export class TransferPool {
  readonly #downloads: Slots;
  readonly #uploads: Slots;
  readonly #unpacks: Slots;
  readonly #layerWorkers = new LayerWorkers();
  #pullWorkers: PullWorkers | undefined;

  constructor(limits: TransferLimits) {
    this.#downloads = new Slots(limits.downloads);
    this.#uploads = new Slots(limits.uploads);
    this.#unpacks = new Slots(limits.unpacks ?? availableParallelism());
  }

  /** Lets pulls stream their layers on worker threads of their own (berthd; without it they stream in-process). */
  useThreads(remote: Remote, contentRoot: string): void {
    this.#pullWorkers = new PullWorkers(remote, contentRoot);
  }

  get threaded(): boolean {
    return this.#pullWorkers !== undefined;
  }

  /** Runs one layer's download (and the unpack that goes with it) in a download slot. */
  download<T>(fn: () => Promise<T>, opts?: SlotOptions): Promise<T> {
    return this.#downloads.run(fn, opts);
  }

  /** Runs one layer's upload in an upload slot. */
  upload<T>(fn: () => Promise<T>, opts?: SlotOptions): Promise<T> {
    return this.#uploads.run(fn, opts);
  }

  /** Unpacks a layer on an unpack thread, in an unpack slot. */
  applyLayer(target: string, layer: AsyncIterable<Uint8Array>, opts: { format: LayerFormat; signal?: AbortSignal }): Promise<{ diffId: Digest; size: number }> {
    return this.#unpacks.run(() => this.#layerWorkers.apply(target, layer, opts), opts.signal ? { signal: opts.signal } : {});
  }

  /** A layer's download-store-unpack pass on a pull thread (the caller holds its download slot). */
  streamLayer(job: LayerStreamJob, progress: LayerStreamProgress): Promise<{ diffId: Digest }> {
    if (!this.#pullWorkers) throw new Error('the transfer pool has no pull threads');
    return this.#pullWorkers.stream(job, progress);
  }

  /** A pull of this many layers is about to stream: start its threads now. */
  warm(layers: number): void {
    this.#pullWorkers?.warm(Math.min(layers, availableParallelism()));
  }
}
