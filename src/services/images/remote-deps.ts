import type { Credentials, Remote } from '../../core/remotes/index.js';
import type { ImageService } from './service.js';
import type { LayerStreamer } from './stream-layer.js';

/** One line of pull/push progress; the engine turns it into Docker's JSON message. */
export interface ProgressEvent {
  id?: string;
  status: string;
  current?: number;
  total?: number;
  /**
   * A status line of its own (Docker's progress.Message, e.g. "Pulling from x"), not a layer's
   * progress line: it goes out without progressDetail, so clients do not rewrite it in place.
   */
  message?: boolean;
  /** Push's final record (Docker's `aux`). */
  aux?: { tag: string; digest: string; size: number };
}

export type ProgressSink = (e: ProgressEvent) => void;

export interface RemoteImageDeps {
  remote: Remote;
  images: ImageService;
  addRepoDigest(id: string, fullRef: string): void;
  /** Layers fetched or pushed at once (default 3, as Docker's max-concurrent-downloads). */
  concurrency?: number;
  /** Layers pushed at once (default 5, Docker's max-concurrent-uploads). */
  uploadConcurrency?: number;
  /** Runs a layer's download-and-unpack pass (berthd: on a worker thread); default in-process. */
  streamLayer?: LayerStreamer;
  /** A pull of this many layers is about to stream: get ready (berthd: start the threads). */
  warmStreams?: (layers: number) => void;
}

export interface RemoteOptions {
  creds?: Credentials;
  signal?: AbortSignal;
}

/** Runs `fn` over `items` with at most `limit` at once; the first failure wins, the rest finish first. */
export async function eachLimited<T>(items: readonly T[], limit: number, fn: (item: T, i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const errors: unknown[] = [];
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      try {
        await fn(items[i] as T, i);
      } catch (e) {
        errors.push(e);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  if (errors.length) throw errors[0];
}

/** Docker's short layer id in progress lines. */
export function shortId(d: string): string {
  return d.replace(/^sha256:/, '').slice(0, 12);
}
