import type { Digest } from '../../util/index.js';

/** Plain data describing one mount; `target` is absolute. Only mountAll() performs them. */
export interface Mount {
  type: string;
  source: string;
  target: string;
  options: string[];
}

export type DriverName = 'overlay' | 'copy';

export interface PrepareOptions {
  /** A new writable layer's size limit in bytes (refused where sizeLimitRefusal says why). */
  sizeBytes?: number;
}

export interface Snapshotter {
  readonly driver: DriverName;
  /**
   * Whether a layer's dir is independent of its parent's (overlay: yes, so layers of one image can
   * be unpacked at once; copy: no, each starts as a copy of its parent).
   */
  readonly independentLayers: boolean;
  /** <root>/layers/<hex>/diff: the layer's own changes (overlay) or its full tree (copy). */
  layerPath(chainId: Digest): string;
  hasLayer(chainId: Digest): Promise<boolean>;
  /**
   * Unpacks a layer once: `fill(dir, format)` writes into a temp dir that is renamed to
   * layers/<hex> on success. Concurrent calls for the same chainId unpack once. For 'copy', dir
   * starts as a copy of the parent's tree. An existing layer is left as it is. The parent must
   * exist (NotFound otherwise) unless `parentPending` says it is being created at the same time,
   * which only independent layers allow.
   *
   * `resumable` (independent layers only): a fill that fails for any reason but bad input
   * (InvalidArgument) leaves its temp dir for the next createLayer of the same layer, which gets
   * it back as it was; `fill` is then handed a file of its own (`progressFile`) to note how far it
   * got. Such dirs are removed at start-up once older than a day.
   */
  createLayer(
    chainId: Digest,
    parent: Digest | null,
    fill: (dir: string, format: DriverName, progressFile?: string) => Promise<void>,
    signal?: AbortSignal,
    opts?: { parentPending?: boolean; resumable?: boolean },
  ): Promise<void>;
  /** Removes a layer; removing one that is absent is not an error. */
  removeLayer(chainId: Digest): Promise<void>;
  /**
   * Creates the container's writable layer if it does not exist yet (so a restart keeps its
   * changes) and returns the mounts that make its rootfs at `rootfs`. chainIds bottom to top.
   */
  prepare(containerId: string, chainIds: Digest[], rootfs: string, opts?: PrepareOptions): Promise<Mount[]>;
  /**
   * Why a writable layer cannot be given a size here (e.g. "the data root is not on xfs"), or
   * undefined where it can (overlay on a filesystem with project quotas).
   */
  readonly sizeLimitRefusal: string | undefined;
  /** Deletes the container's writable layer; detaches anything still mounted beneath it first. */
  remove(containerId: string): Promise<void>;
  /** containers/<id>/upper: overlay's upper dir, or the copy driver's full tree. */
  upperPath(containerId: string): string;
  /** The same driver, with the same options, over another root (a remapped storage area). */
  withRoot(root: string): Snapshotter;
}
