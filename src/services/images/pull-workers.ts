import type { Worker } from 'node:worker_threads';
import type { Remote } from '../../core/remotes/index.js';
import { fromPlainError, Internal, isPlainBerthError } from '../../errdefs/index.js';
import { IdleWorkers, type Digest } from '../../util/index.js';
import type { FromPullWorker, ToPullWorker } from './pull-worker.js';
import type { LayerStreamJob, LayerStreamProgress } from './stream-layer.js';

/** An idle pull worker is ended after this long (berthd's idle memory stays small). */
const IDLE_MS = 30_000;

/**
 * streamLayer on worker threads: each layer's download, blob store and unpack run on a thread of
 * their own, which starts from a copy of the main thread's registry state (tokens, challenges,
 * plain-HTTP fallbacks, the credentials it needs). Same contract as streamLayer: the errors come
 * back as the same errdefs classes, an abort stops the worker's job.
 */
export class PullWorkers {
  readonly #workers = new IdleWorkers(new URL('./pull-worker.js', import.meta.url), IDLE_MS);
  #jobs = 0;

  constructor(
    private readonly remote: Remote,
    private readonly contentRoot: string,
  ) {}

  async stream(job: LayerStreamJob, progress: LayerStreamProgress): Promise<{ diffId: Digest }> {
    job.signal?.throwIfAborted();
    const remote = await this.remote.exportState(job.repo.domain);
    const worker = this.#workers.take();
    const id = ++this.#jobs;
    const start: ToPullWorker = {
      type: 'start',
      job: id,
      remote,
      contentRoot: this.contentRoot,
      repo: job.repo,
      desc: job.desc,
      dir: job.dir,
      format: job.format,
      ...(job.creds ? { creds: job.creds } : {}),
    };
    let healthy = true;
    try {
      return await run(worker, id, start, progress, job.signal);
    } catch (e) {
      healthy = !(e instanceof WorkerDied);
      throw e instanceof WorkerDied ? new Internal(`the pull worker failed: ${e.message}`, { cause: e }) : e;
    } finally {
      if (healthy) this.#workers.release(worker);
      else this.#workers.discard(worker);
    }
  }
}

class WorkerDied extends Error {}

function run(worker: Worker, job: number, start: ToPullWorker, progress: LayerStreamProgress, signal?: AbortSignal): Promise<{ diffId: Digest }> {
  return new Promise((resolve, reject) => {
    const finish = (err: Error | undefined, diffId?: Digest): void => {
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
      signal?.removeEventListener('abort', onAbort);
      if (err) reject(err);
      else resolve({ diffId: diffId as Digest });
    };
    const onMessage = (m: FromPullWorker): void => {
      if (m.job !== job) return;
      if (m.type === 'progress') {
        if (m.downloaded !== undefined) progress.downloaded(m.downloaded);
        if (m.unpacked !== undefined) progress.unpacked(m.unpacked);
        if (m.stored) progress.stored();
      } else if (m.type === 'done') finish(undefined, m.diffId as Digest);
      else if (!isPlainBerthError(m) && signal?.aborted) finish(signal.reason instanceof Error ? signal.reason : fromPlainError(m));
      else finish(fromPlainError(m));
    };
    const onError = (e: Error): void => finish(new WorkerDied(e.message));
    const onExit = (code: number): void => finish(new WorkerDied(`exited with code ${code}`));
    const onAbort = (): void => worker.postMessage({ type: 'abort', job, message: 'the operation was aborted' } satisfies ToPullWorker);
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.on('exit', onExit);
    signal?.addEventListener('abort', onAbort, { once: true });
    worker.postMessage(start);
  });
}
