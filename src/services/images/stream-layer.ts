import { Readable } from 'node:stream';
import type { Credentials, Remote, RemoteRepo } from '../../core/remotes/index.js';
import { InvalidArgument } from '../../errdefs/index.js';
import type { Descriptor } from '../../oci/index.js';
import { BytePipe, fanOut, type Digest } from '../../util/index.js';
import type { ApplyLayer, Blobs } from './ports.js';
import { UnpackProgress } from './unpack-progress.js';

/** Room for the unpacker to fall behind the network before the download waits for it. */
const UNPACK_BUFFER = 8 << 20;
const STORE_BUFFER = 1 << 20;
/** The unpacker takes what queued up meanwhile in one piece, up to this much. */
const GATHER = 1 << 20;
/** How often (bytes of tar) a resumable unpack notes a checkpoint it can continue from. */
const CHECKPOINT_EVERY = 4 << 20;

/** One layer to download into the content store and unpack into `dir` in the same pass. */
export interface LayerStreamJob {
  repo: RemoteRepo;
  desc: Descriptor;
  dir: string;
  format: 'overlay' | 'copy';
  creds?: Credentials;
  signal?: AbortSignal;
  /** Where to note how far the unpack got, so that the next try continues it (createLayer's resumable). */
  progressFile?: string;
  /** About how many bytes the job has left to fetch (a thread pool balances with it); default desc.size. */
  weight?: number;
}

/** Running totals of a layer stream; `stored` once the blob is verified and committed. */
export interface LayerStreamProgress {
  downloaded(total: number): void;
  unpacked(total: number): void;
  stored(): void;
}

/** Runs a LayerStreamJob: in-process (streamLayer) or on a worker thread (PullWorkers). */
export type LayerStreamer = (job: LayerStreamJob, progress: LayerStreamProgress) => Promise<{ diffId: Digest }>;

export interface LayerStreamDeps {
  remote: Remote;
  blobs: Blobs;
  applyLayer: ApplyLayer;
}

/**
 * Where an earlier, interrupted download of this blob stopped: one ingest ref per blob, whose bytes
 * the next try continues with HTTP Range (also after a kill -9 of berthd).
 */
export async function resumePoint(blobs: Blobs, desc: Descriptor): Promise<{ ref: string; have: number }> {
  const ref = `pull-${desc.digest.slice('sha256:'.length)}`;
  const have = await blobs.partialSize(ref);
  return { ref, have: have <= desc.size ? have : 0 };
}

/**
 * The blob's bytes from `have` on: none when the partial already holds them all (the earlier try
 * was stopped before it committed), else from the registry with HTTP Range.
 */
export async function fetchRest(remote: Remote, repo: RemoteRepo, desc: Descriptor, have: number, opts: { creds?: Credentials; signal?: AbortSignal }): Promise<{ body: Readable; start: number }> {
  if (have > 0 && have === desc.size) return { body: Readable.from([]), start: have };
  return remote.fetchBlobFrom(repo, desc, have, opts);
}

/**
 * One pass: the network's bytes go to the content store (hashed, written, verified) and, at the
 * same time, through decompress and untar into `dir`. Resolves with the tar's digest once both
 * succeeded and the blob's digest verified; a download that was cut keeps its partial for the next
 * try. When resuming, the bytes kept from the earlier try are fed to the unpacker first, then the
 * rest from the network.
 */
export async function streamLayer(deps: LayerStreamDeps, job: LayerStreamJob, progress: LayerStreamProgress): Promise<{ diffId: Digest }> {
  const { blobs, applyLayer } = deps;
  const { desc, signal } = job;
  const sig = signal ? { signal } : {};
  if (await blobs.info(desc.digest)) return unpackStored(deps, job, progress);
  const { ref, have } = await resumePoint(blobs, desc);
  const { body, start } = await fetchRest(deps.remote, job.repo, desc, have, { ...(job.creds ? { creds: job.creds } : {}), ...sig });
  let downloaded = start;
  // What the earlier try unpacked and noted a checkpoint for is not read again.
  const resume = job.progressFile
    ? await UnpackProgress.open(job.progressFile, job.dir, desc.digest, start).catch((e: unknown) => {
        body.destroy();
        throw e;
      })
    : undefined;
  const from = resume?.from;
  let unpacked = from?.checkpoint.in ?? 0;
  const took = (k: number): void => progress.unpacked((unpacked += k));
  const toStore = new BytePipe(STORE_BUFFER);
  const toUnpack = new BytePipe(UNPACK_BUFFER, took, GATHER);
  const kept = start > unpacked ? counter(blobs.readPartial(ref, start, { ...sig, from: unpacked }), took) : undefined;
  const unpackInput = kept ? concat(kept, toUnpack) : toUnpack;
  const stored = blobs.write(toStore, { digest: desc.digest, size: desc.size }, { ref, resume: start > 0, keepPartial: true, ...sig });
  const applied = applyLayer(job.dir, unpackInput, { format: job.format, ...sig, ...resumeOptions(resume, from) });
  // A failed unpack leaves the download running: the digest's verdict is the clearer error.
  // Either way the pipe is closed once its reader is done, so the fan-out never waits on it.
  applied.then(
    () => toUnpack.cancel(new Error('the layer is unpacked')),
    (e: unknown) => toUnpack.cancel(e),
  );
  stored.then(
    () => {
      // The store may answer without reading (the blob arrived meanwhile): stop feeding it.
      toStore.cancel(new Error('the blob is stored'));
      progress.stored();
    },
    (e: unknown) => {
      body.destroy();
      toUnpack.cancel(e);
    },
  );
  const fed = fanOut(body, [toStore, toUnpack], (k) => progress.downloaded((downloaded += k)));
  const [f, s, a] = await Promise.allSettled([fed, stored, applied]);
  // Whatever failed, the unpack's latest point is noted (a cut download is continued from it).
  resume?.close();
  if (s.status === 'rejected') throw blobError(job.repo, desc, s.reason);
  if (f.status === 'rejected') throw blobError(job.repo, desc, f.reason);
  if (a.status === 'rejected') throw a.reason;
  return { diffId: a.value.diffId };
}

/**
 * The blob is stored already (an earlier try was stopped after it committed the blob, before the
 * unpack ended): only the unpack runs, from the stored blob, continuing what the earlier try did.
 */
async function unpackStored(deps: LayerStreamDeps, job: LayerStreamJob, progress: LayerStreamProgress): Promise<{ diffId: Digest }> {
  const { desc, signal } = job;
  const sig = signal ? { signal } : {};
  const resume = job.progressFile ? await UnpackProgress.open(job.progressFile, job.dir, desc.digest, desc.size) : undefined;
  const from = resume?.from;
  let unpacked = from?.checkpoint.in ?? 0;
  progress.downloaded(desc.size);
  progress.stored();
  const source = counter(deps.blobs.read(desc.digest, { start: unpacked, ...sig }), (k) => progress.unpacked((unpacked += k)));
  try {
    const { diffId } = await deps.applyLayer(job.dir, source, { format: job.format, ...sig, ...resumeOptions(resume, from) });
    return { diffId };
  } finally {
    resume?.close();
  }
}

/** applyLayer's options to continue an earlier try's unpack, and to note where this one gets. */
function resumeOptions(resume: UnpackProgress | undefined, from: UnpackProgress['from']): Partial<Parameters<ApplyLayer>[2]> {
  if (!resume) return {};
  return {
    resumeAt: resume.resumeAt,
    onProgress: (offset: number) => resume.note(offset),
    ...(from ? { from } : {}),
    checkpoints: { every: CHECKPOINT_EVERY, on: (c, dirs) => resume.checkpoint(c, dirs) },
  };
}

export function blobError(repo: RemoteRepo, desc: Descriptor, e: unknown): unknown {
  if (e instanceof InvalidArgument) return new InvalidArgument(`failed to pull blob ${desc.digest} from ${repo.domain}/${repo.path}: ${e.message}`, { cause: e });
  return e;
}

/** Passes chunks through, telling `onBytes` each one's length. */
export function counter(source: AsyncIterable<Buffer>, onBytes: (n: number) => void): Readable {
  return Readable.from(
    (async function* () {
      for await (const c of source) {
        onBytes(c.length);
        yield c;
      }
    })(),
    { objectMode: false, highWaterMark: 1 << 20 },
  );
}

async function* concat(...sources: AsyncIterable<Buffer>[]): AsyncGenerator<Buffer> {
  for (const s of sources) for await (const c of s) yield c;
}
