import { statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Remote } from '../../core/remotes/index.js';
import { fromPlainError, Internal, isPlainBerthError } from '../../errdefs/index.js';
import { distPath, type Digest } from '../../util/index.js';
import type { FromPullWorker, ToPullWorker } from './pull-worker.js';
import type { LayerStreamJob, LayerStreamProgress } from './stream-layer.js';

/** An idle pull worker is ended after this long (berthd's idle memory stays small). */
const IDLE_MS = 30_000;

interface Slot {
  worker: Worker;
  jobs: number;
  /** What its running jobs had left to fetch when they started (their `weight`s). */
  load: number;
  timer?: NodeJS.Timeout | undefined;
}

/**
 * streamLayer on worker threads: each layer's download, blob store and unpack run off the main
 * thread, which starts each job from a copy of its registry state (tokens, challenges, plain-HTTP
 * fallbacks, the credentials it needs). One thread per core at most, each running several layers
 * at once if need be: a fresh thread costs a few hundred ms of CPU before it runs at full speed.
 * Same contract as streamLayer: the errors come back as the same errdefs classes, an abort stops
 * the worker's job.
 */
export class PullWorkers {
  readonly #slots: Slot[] = [];
  readonly #max: number;
  #jobs = 0;

  constructor(
    private readonly remote: Remote,
    private readonly contentRoot: string,
    threads = availableParallelism(),
  ) {
    this.#max = Math.max(1, threads);
  }

  async stream(job: LayerStreamJob, progress: LayerStreamProgress): Promise<{ diffId: Digest }> {
    job.signal?.throwIfAborted();
    const remote = await this.remote.exportState(job.repo.domain);
    const weight = job.weight ?? job.desc.size;
    const slot = this.#take(weight);
    const id = ++this.#jobs;
    // Everything of the job but its signal (an abort goes as a message of its own).
    const { signal: _signal, ...layer } = job;
    const start: ToPullWorker = { type: 'start', job: id, remote, contentRoot: this.contentRoot, layer };
    try {
      return await run(slot.worker, id, start, progress, job.signal);
    } catch (e) {
      if (e instanceof WorkerDied) throw new Internal(`the pull worker failed: ${e.message}`, { cause: e });
      throw e;
    } finally {
      this.#release(slot, weight);
    }
  }

  /**
   * Starts threads for a pull about to need them (up to one per core, at most `layers`), so that
   * their start-up overlaps the pull's manifest and config requests; unused, they end as idle ones do.
   */
  warm(layers: number): void {
    while (this.#slots.length < Math.min(this.#max, layers)) this.#idle(this.#spawn());
  }

  #spawn(): Slot {
    const slot: Slot = { worker: new Worker(workerScript()), jobs: 0, load: 0 };
    // A thread that fails is never used again (its jobs hear of it through their own listeners);
    // with a listener an idle one's failure cannot become berthd's uncaught error.
    slot.worker.on('error', () => this.#drop(slot));
    slot.worker.on('exit', () => this.#drop(slot));
    this.#slots.push(slot);
    return slot;
  }

  /**
   * The thread with the fewest bytes to do (a job stays on its thread: two big layers on one
   * thread and small ones on the other leave a core idle); a new one while every thread is busy and
   * there are fewer than one per core.
   */
  #take(weight: number): Slot {
    let slot = this.#slots.reduce<Slot | undefined>((best, s) => (!best || s.load < best.load || (s.load === best.load && s.jobs < best.jobs) ? s : best), undefined);
    if (!slot || (slot.jobs > 0 && this.#slots.length < this.#max)) slot = this.#spawn();
    if (slot.timer) clearTimeout(slot.timer);
    slot.timer = undefined;
    slot.load += weight;
    if (slot.jobs++ === 0) slot.worker.ref();
    return slot;
  }

  #release(slot: Slot, weight: number): void {
    slot.load -= weight;
    if (--slot.jobs > 0 || !this.#slots.includes(slot)) return;
    this.#idle(slot);
  }

  #idle(slot: Slot): void {
    slot.worker.unref();
    slot.timer = setTimeout(() => this.#drop(slot), IDLE_MS);
    slot.timer.unref();
  }

  #drop(slot: Slot): void {
    const i = this.#slots.indexOf(slot);
    if (i >= 0) this.#slots.splice(i, 1);
    if (slot.timer) clearTimeout(slot.timer);
    void slot.worker.terminate();
  }
}

let script: URL | undefined;

/**
 * The worker's script: dist/berth-pull-worker.cjs, the worker as one bundle (scripts/setup builds it),
 * while it is newer than the last tsc build, else the compiled module. A fresh thread loads one file
 * in ~30 ms instead of ~40 modules in ~90 (more while other threads compete for the cores), and a
 * resumed pull always starts on fresh threads. BERTH_NO_BUNDLE=1 skips the bundle.
 */
function workerScript(): URL {
  if (script) return script;
  const bundle = distPath('berth-pull-worker.cjs');
  const mtime = (p: string): number | undefined => statSync(p, { throwIfNoEntry: false })?.mtimeMs;
  const built = mtime(bundle);
  const fresh = built !== undefined && built >= (mtime(distPath('.tsbuildinfo')) ?? 0);
  script = pathToFileURL(!process.env.BERTH_NO_BUNDLE && fresh ? bundle : distPath('src/services/images/pull-worker.js'));
  return script;
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
