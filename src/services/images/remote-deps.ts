import type { Credentials, Remote } from '../../core/remotes/index.js';
import type { ImageService } from './service.js';
import type { TransferPool } from './transfers.js';

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
  /**
   * The daemon's transfer pool: the download and upload slots every pull and push shares, and the
   * pull threads a layer's download-and-unpack pass runs on (in-process when it has none).
   */
  transfers: TransferPool;
}

export interface RemoteOptions {
  creds?: Credentials;
  signal?: AbortSignal;
}

/** Runs `fn` over every item at once (the transfer pool's slots bound them); the first failure wins, the rest finish first. */
export async function eachSettled<T>(items: readonly T[], fn: (item: T, i: number) => Promise<void>): Promise<void> {
  const results = await Promise.allSettled(items.map((item, i) => fn(item, i)));
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}

/** Docker's short layer id in progress lines. */
export function shortId(d: string): string {
  return d.replace(/^sha256:/, '').slice(0, 12);
}
