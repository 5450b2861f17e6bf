import { pathToFileURL } from 'node:url';
import type { Worker } from 'node:worker_threads';
import * as errdefs from '../../errdefs/index.js';
import { distPath, IdleWorkers, type Digest } from '../../util/index.js';
import type { LayerFormat } from './apply.js';
import type { FromWorker, ToWorker } from './apply-worker.js';

/** Bytes sent to a worker and not yet taken by its unpacker before the sender waits. */
const WINDOW = 4 << 20;
/** Bytes per message to a worker. */
const BATCH = 1 << 20;
/** An idle worker is ended after this long (berthd's idle memory stays small). */
const IDLE_MS = 10_000;

/**
 * applyLayer on worker threads: each layer is unpacked on its own thread, fed the layer's bytes
 * by message (a window of 4 MiB in flight), so several layers use several cores and the main
 * thread keeps only the network and the content store. Same contract as applyLayer: the errors
 * come back as the same errdefs classes; an abort stops the worker's unpack.
 */
export class LayerWorkers {
  readonly #workers = new IdleWorkers(pathToFileURL(distPath('src/core/diff/apply-worker.js')), IDLE_MS);
  /** Numbers jobs, so that a late message of an earlier job on a reused worker is ignored. */
  #jobs = 0;

  async apply(target: string, layer: AsyncIterable<Uint8Array>, opts: { format: LayerFormat; signal?: AbortSignal }): Promise<{ diffId: Digest; size: number }> {
    opts.signal?.throwIfAborted();
    const worker = this.#workers.take();
    let healthy = true;
    try {
      return await run(worker, ++this.#jobs, target, layer, opts);
    } catch (e) {
      healthy = !(e instanceof WorkerDied);
      throw e instanceof WorkerDied ? new errdefs.Internal(`the unpack worker failed: ${e.message}`, { cause: e }) : e;
    } finally {
      if (healthy) this.#workers.release(worker);
      else this.#workers.discard(worker);
    }
  }
}

class WorkerDied extends Error {}

function run(worker: Worker, job: number, target: string, layer: AsyncIterable<Uint8Array>, opts: { format: LayerFormat; signal?: AbortSignal }): Promise<{ diffId: Digest; size: number }> {
  const post = (m: ToWorker, transfer?: ArrayBuffer[]): void => worker.postMessage(m, transfer);
  let unacked = 0;
  let wake: (() => void) | undefined;
  let settled = false;
  return new Promise((resolve, reject) => {
    const finish = (err: Error | undefined, value?: { diffId: Digest; size: number }): void => {
      if (settled) return;
      settled = true;
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
      opts.signal?.removeEventListener('abort', onAbort);
      wake?.();
      if (err) reject(err);
      else resolve(value as { diffId: Digest; size: number });
    };
    const onMessage = (m: FromWorker): void => {
      if (m.job !== job) return;
      if (m.type === 'ack') {
        unacked -= m.bytes;
        if (unacked < WINDOW) wake?.();
      } else if (m.type === 'done') finish(undefined, { diffId: m.diffId as Digest, size: m.size });
      else {
        const e = errdefs.fromPlainError(m);
        if (!errdefs.isPlainBerthError(m) && opts.signal?.aborted) return finish(opts.signal.reason instanceof Error ? opts.signal.reason : e);
        finish(e);
      }
    };
    const onError = (e: Error): void => finish(new WorkerDied(e.message));
    const onExit = (code: number): void => finish(new WorkerDied(`exited with code ${code}`));
    const onAbort = (): void => post({ job, type: 'abort', message: 'the operation was aborted' });
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.on('exit', onExit);
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    post({ job, type: 'start', target, format: opts.format });
    void (async () => {
      try {
        // The network's small chunks are gathered into 1 MiB messages: one copy, as few messages
        // as possible, and big inputs for the worker's inflate (it is several times faster so).
        // Each message is a copy, moved (not cloned) to the worker: the chunks themselves may share
        // their memory with other readers (the content store gets the same buffers).
        let batch = new Uint8Array(BATCH);
        let filled = 0;
        const flush = async (): Promise<void> => {
          if (filled === 0) return;
          const data = filled === batch.length ? batch : batch.slice(0, filled);
          unacked += filled;
          post({ job, type: 'chunk', data }, [data.buffer]);
          batch = new Uint8Array(BATCH);
          filled = 0;
          while (unacked >= WINDOW && !settled) await new Promise<void>((r) => (wake = r));
        };
        for await (const chunk of layer) {
          if (settled) break;
          for (let off = 0; off < chunk.byteLength; ) {
            const n = Math.min(chunk.byteLength - off, BATCH - filled);
            batch.set(chunk.subarray(off, off + n), filled);
            filled += n;
            off += n;
            if (filled === BATCH) await flush();
          }
        }
        if (!settled) await flush();
        if (!settled) post({ job, type: 'end' });
      } catch (e) {
        // The source failed (a cut download): the unpack fails with its error.
        if (!settled) post({ job, type: 'abort', message: (e as Error).message });
        finish(e instanceof Error ? e : new Error(String(e)));
      }
    })();
  });
}
