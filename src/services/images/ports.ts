import type { Readable, Writable } from 'node:stream';
import type { ApplyCheckpoint, DirTime } from '../../core/diff/index.js';
import type { Digest } from '../../util/index.js';

/** A stored image as the image service sees it (the metadata store's record). */
export interface StoredImage {
  id: Digest;
  configDigest: Digest;
  manifestDigest?: Digest;
  layers: { digest: Digest; diffId: Digest; size: number; mediaType: string }[];
  created: string;
  size: number;
  /** The image a build step or commit started from (kept for the build cache). */
  parent?: string;
}

export interface ImageRecords {
  put(rec: StoredImage, tags: string[]): void;
  get(id: Digest): StoredImage | undefined;
  /** Name, name:tag, name@digest, full or short id; NotFound "No such image: X". */
  resolve(ref: string): StoredImage;
  list(): StoredImage[];
  tag(id: Digest, ref: string): void;
  untag(ref: string): void;
  tagsOf(id: Digest): string[];
  repoDigestsOf(id: Digest): string[];
  delete(id: Digest): void;
  /** Images recorded with `id` as their parent (build steps made on top of it). */
  childrenOf(id: string): Digest[];
  /** The image a full reference (docker.io/library/x:tag) names, if any. */
  byTag(ref: string): StoredImage | undefined;
}

export interface Blobs {
  info(d: Digest): Promise<{ digest: Digest; size: number } | null>;
  /** `end` inclusive (fs.createReadStream's convention). */
  read(d: Digest, opts?: { start?: number; end?: number; signal?: AbortSignal }): Readable;
  readAll(d: Digest, maxBytes?: number): Promise<Buffer>;
  write(
    source: Readable | AsyncIterable<Uint8Array> | Buffer,
    expected?: { digest?: Digest; size?: number },
    opts?: { signal?: AbortSignal; ref?: string; resume?: boolean; keepPartial?: boolean; onCommit?: (digest: Digest) => void },
  ): Promise<{ digest: Digest; size: number }>;
  /** Bytes a partial download under this ingest ref already holds (0 when none). */
  partialSize(ref: string): Promise<number>;
  /** The first `length` bytes of that partial. */
  readPartial(ref: string, length: number, opts?: { signal?: AbortSignal; from?: number }): Readable;
  delete(d: Digest): Promise<void>;
}

export interface LayerStore {
  /** Layers of one image may be unpacked at once (overlay), or only each on its finished parent (copy). */
  readonly independentLayers: boolean;
  hasLayer(chainId: Digest): Promise<boolean>;
  /** See Snapshotter.createLayer: `resumable` keeps a failed fill's dir, and its progress file, for the next try. */
  createLayer(
    chainId: Digest,
    parent: Digest | null,
    fill: (dir: string, format: 'overlay' | 'copy', progressFile?: string) => Promise<void>,
    signal?: AbortSignal,
    opts?: { parentPending?: boolean; resumable?: boolean },
  ): Promise<void>;
  removeLayer(chainId: Digest): Promise<void>;
  layerPath(chainId: Digest): string;
}

export type ApplyLayer = (
  target: string,
  layer: Readable | AsyncIterable<Uint8Array>,
  opts: {
    format: 'overlay' | 'copy';
    signal?: AbortSignal;
    resumeAt?: number;
    onProgress?: (offset: number) => void;
    from?: { checkpoint: ApplyCheckpoint; dirs: DirTime[] };
    checkpoints?: { every: number; on: (c: ApplyCheckpoint, dirs: DirTime[]) => void };
  },
) => Promise<{ diffId: Digest; size: number }>;

export interface LoadedArchiveImage {
  configDigest: Digest;
  layers: { digest: Digest; mediaType: string; size: number; uncompressedSize?: number }[];
  manifestDigest?: Digest;
  repoTags: string[];
}

export interface ArchiveCodec {
  /** `onCommit` is told each blob stored (the load's lease names it). */
  read(source: Readable, signal?: AbortSignal, onCommit?: (digest: Digest) => void): Promise<LoadedArchiveImage[]>;
  write(images: { record: StoredImage; repoTags: string[] }[], out: Writable, signal?: AbortSignal): Promise<void>;
}

/** Normalizes a user's reference to the stored full form; InvalidArgument when malformed. */
export interface References {
  normalize(ref: string): string;
  familiar(fullRef: string): string;
  /** docker.io/library/busybox:latest -> { repo: 'busybox', tag: 'latest' } in familiar form. */
  split(fullRef: string): { repo: string; tag: string };
}
