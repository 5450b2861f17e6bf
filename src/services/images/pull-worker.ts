import { parentPort } from 'node:worker_threads';
import { createContentStore } from '../../core/content/index.js';
import { applyLayer } from '../../core/diff/index.js';
import { Remote, type RemoteState } from '../../core/remotes/index.js';
import { toPlainError, type PlainError } from '../../errdefs/index.js';
import { streamLayer, type LayerStreamJob } from './stream-layer.js';

/**
 * The entry of a pull worker thread (loaded only as a Worker's script, never imported): a layer's
 * whole pass — download, hash and store the blob, decompress, hash and untar — runs here, so the
 * main thread touches none of its bytes. See pull-workers.ts for the protocol.
 */
export type ToPullWorker =
  | { type: 'start'; job: number; remote: RemoteState; contentRoot: string; layer: Omit<LayerStreamJob, 'signal'> }
  | { type: 'abort'; job: number; message: string };

export type FromPullWorker = { job: number } & (
  | { type: 'progress'; downloaded?: number; unpacked?: number; stored?: true }
  | { type: 'done'; diffId: string }
  | ({ type: 'error' } & PlainError)
);

/** Byte counts go to the main thread at most this often (its display shows ten a second). */
const PROGRESS_MS = 50;

const port = parentPort;
if (port) {
  const send = (m: FromPullWorker): void => port.postMessage(m);
  const aborts = new Map<number, AbortController>();
  port.on('message', (m: ToPullWorker) => {
    if (m.type === 'abort') {
      aborts.get(m.job)?.abort(new Error(m.message));
      return;
    }
    const abort = new AbortController();
    aborts.set(m.job, abort);
    const counts = { downloaded: 0, unpacked: 0, sent: 0 };
    const flush = (): void => {
      counts.sent = Date.now();
      send({ job: m.job, type: 'progress', downloaded: counts.downloaded, unpacked: counts.unpacked });
    };
    const tick = (): void => {
      if (Date.now() - counts.sent >= PROGRESS_MS) flush();
    };
    streamLayer(
      { remote: Remote.fromState(m.remote), blobs: createContentStore(m.contentRoot), applyLayer },
      { ...m.layer, signal: abort.signal },
      {
        downloaded: (n) => {
          counts.downloaded = n;
          tick();
        },
        unpacked: (n) => {
          counts.unpacked = n;
          tick();
        },
        stored: () => {
          flush();
          send({ job: m.job, type: 'progress', stored: true });
        },
      },
    ).then(
      (r) => {
        flush();
        send({ job: m.job, type: 'done', diffId: r.diffId });
      },
      (e: unknown) => send({ job: m.job, type: 'error', ...toPlainError(e) }),
    ).finally(() => aborts.delete(m.job));
  });
}
