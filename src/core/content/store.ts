import { closeSync, createReadStream, openSync, statSync } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { InvalidArgument, NotFound } from '../../errdefs/index.js';
import { bootId, digestHex, isDigest, newResumableHash, randomHex, writeChunks, writeRecord, type Digest, type ResumableHash } from '../../util/index.js';

export interface BlobInfo {
  digest: Digest;
  size: number;
}

export interface ExpectedBlob {
  digest?: Digest;
  size?: number;
}

export type BlobSource = Readable | AsyncIterable<Uint8Array> | Buffer;

/** Reading committed blobs (containerd's Provider + Info). */
export interface ContentReader {
  info(d: Digest): Promise<BlobInfo | null>;
  /** For readers that need a file path; the file may not exist. */
  path(d: Digest): string;
  /** NotFound (thrown at once) if the blob is missing. `end` is inclusive, as in fs.createReadStream. */
  read(d: Digest, opts?: { start?: number; end?: number; signal?: AbortSignal }): Readable;
  /** Small JSON blobs; InvalidArgument when larger than maxBytes (default 32 MiB). */
  readAll(d: Digest, maxBytes?: number): Promise<Buffer>;
}

/** Adding blobs (containerd's Ingester). */
export interface ContentWriter {
  /**
   * Streams `source` into ingest/<ref>, verifies size/digest when expected is given (else computes the
   * digest), fdatasyncs, then renames into place. Nothing half-written is ever visible. Wrong digest or
   * size → InvalidArgument, ingest removed. When `expected.digest` is already stored, returns at once
   * and leaves `source` unread (the caller owns it).
   */
  write(source: BlobSource, expected?: ExpectedBlob, opts?: WriteOptions): Promise<BlobInfo>;
}

export interface WriteOptions {
  ref?: string;
  signal?: AbortSignal;
  /**
   * `source` continues what ingest/<ref> already holds (a download resumed with HTTP Range): the
   * partial is hashed first and the source appended. Needs `ref`.
   */
  resume?: boolean;
  /**
   * Keep what was written when the source fails or the signal aborts, so a later write with
   * `resume` can continue it. A digest or size mismatch still removes it.
   */
  keepPartial?: boolean;
  /**
   * Told the digest before the blob becomes readable (and of a blob already stored), so that a lease
   * names it before any collector can see it unreferenced.
   */
  onCommit?: (digest: Digest) => void;
}

/** Partial ingests kept for resumed downloads (containerd's Ingester status). */
export interface ContentPartials {
  /** Bytes already in ingest/<ref> (0 when there is none). */
  partialSize(ref: string): Promise<number>;
  /**
   * The first `length` bytes of the partial in ingest/<ref> (from byte `from`, default 0), for a
   * consumer that must see the whole blob (a layer unpacked while it downloads) when the download
   * continues with HTTP Range.
   */
  readPartial(ref: string, length: number, opts?: { signal?: AbortSignal; from?: number }): Readable;
  /** Removes partial ingests not written to for longer than `maxAgeMs`; returns how many. */
  prunePartials(maxAgeMs: number): Promise<number>;
  /** The refs of the partial ingests kept. */
  partialRefs(): Promise<string[]>;
}

/** Taking in a file someone else wrote and hashed (a registry's upload session). */
export interface ContentAdopter {
  /**
   * Moves the file at `path` into the store as `blob` (rename: same filesystem). The caller vouches
   * for the digest, having hashed every byte it wrote; the store checks the size, fsyncs the file and
   * makes the rename durable. When the blob is already stored, `path` is left alone.
   */
  adopt(path: string, blob: BlobInfo): Promise<BlobInfo>;
}

export interface ContentStore extends ContentReader, ContentWriter, ContentPartials, ContentAdopter {
  /** NotFound if missing. */
  delete(d: Digest): Promise<void>;
  list(): AsyncIterable<Digest>;
}

const DEFAULT_MAX_READ_ALL = 32 << 20;
const REF_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

function notFound(d: Digest, cause?: unknown): NotFound {
  return new NotFound(`content digest ${d}: not found`, cause === undefined ? undefined : { cause });
}

function toIterable(source: BlobSource): AsyncIterable<Uint8Array> {
  if (Buffer.isBuffer(source)) return Readable.from([source]);
  return source;
}

class FsContentStore implements ContentStore {
  readonly #blobs: string;
  readonly #ingest: string;
  /** Writers of the same ref take turns: the ingest directory belongs to one writer at a time. */
  readonly #refLocks = new Map<string, Promise<void>>();

  constructor(root: string) {
    this.#blobs = join(root, 'blobs', 'sha256');
    this.#ingest = join(root, 'ingest');
  }

  path(d: Digest): string {
    if (!isDigest(d)) throw new InvalidArgument(`invalid digest: ${JSON.stringify(d)}`);
    return join(this.#blobs, digestHex(d));
  }

  async info(d: Digest): Promise<BlobInfo | null> {
    try {
      const st = await stat(this.path(d));
      return st.isFile() ? { digest: d, size: st.size } : null;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw e;
    }
  }

  read(d: Digest, opts: { start?: number; end?: number; signal?: AbortSignal } = {}): Readable {
    const p = this.path(d);
    try {
      statSync(p);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw notFound(d, e);
      throw e;
    }
    return createReadStream(p, {
      highWaterMark: 1 << 20,
      ...(opts.start !== undefined ? { start: opts.start } : {}),
      ...(opts.end !== undefined ? { end: opts.end } : {}),
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
  }

  async readAll(d: Digest, maxBytes = DEFAULT_MAX_READ_ALL): Promise<Buffer> {
    const info = await this.info(d);
    if (!info) throw notFound(d);
    if (info.size > maxBytes) throw new InvalidArgument(`content ${d} is ${info.size} bytes, more than the ${maxBytes} allowed here`);
    return readFile(this.path(d));
  }

  async partialSize(ref: string): Promise<number> {
    if (!REF_RE.test(ref)) throw new InvalidArgument(`invalid ingest ref ${JSON.stringify(ref)}`);
    try {
      return (await stat(join(this.#ingest, ref, 'data'))).size;
    } catch {
      return 0;
    }
  }

  readPartial(ref: string, length: number, opts: { signal?: AbortSignal; from?: number } = {}): Readable {
    if (!REF_RE.test(ref)) throw new InvalidArgument(`invalid ingest ref ${JSON.stringify(ref)}`);
    const from = opts.from ?? 0;
    if (length <= from) return Readable.from([]);
    return createReadStream(join(this.#ingest, ref, 'data'), { highWaterMark: 1 << 20, start: from, end: length - 1, ...(opts.signal ? { signal: opts.signal } : {}) });
  }

  async partialRefs(): Promise<string[]> {
    return (await readdir(this.#ingest).catch(() => [] as string[])).filter((n) => REF_RE.test(n));
  }

  async prunePartials(maxAgeMs: number): Promise<number> {
    let names: string[];
    try {
      names = await readdir(this.#ingest);
    } catch {
      return 0;
    }
    let removed = 0;
    for (const n of names) {
      if (this.#refLocks.has(n)) continue;
      const st = await stat(join(this.#ingest, n)).catch(() => undefined);
      if (st && Date.now() - st.mtimeMs > maxAgeMs) {
        await rm(join(this.#ingest, n), { recursive: true, force: true });
        removed++;
      }
    }
    return removed;
  }

  async write(source: BlobSource, expected: ExpectedBlob = {}, opts: WriteOptions = {}): Promise<BlobInfo> {
    if (opts.resume && opts.ref === undefined) throw new InvalidArgument('a resumed write needs its ingest ref');
    if (expected.digest !== undefined && !isDigest(expected.digest)) {
      throw new InvalidArgument(`invalid digest: ${JSON.stringify(expected.digest)}`);
    }
    if (expected.digest !== undefined) {
      const have = await this.info(expected.digest);
      if (have) {
        if (expected.size !== undefined && expected.size !== have.size) {
          throw new InvalidArgument(`unexpected size ${expected.size} for ${expected.digest}: the stored blob has ${have.size} bytes`);
        }
        opts.onCommit?.(have.digest);
        return have;
      }
    }
    const ref = opts.ref ?? `w-${randomHex(12)}`;
    if (!REF_RE.test(ref)) throw new InvalidArgument(`invalid ingest ref ${JSON.stringify(ref)}`);
    const previous = this.#refLocks.get(ref) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((res) => (release = res));
    const chained = previous.then(() => mine);
    this.#refLocks.set(ref, chained);
    await previous;
    try {
      return await this.#ingestBlob(source, expected, ref, opts);
    } finally {
      release();
      if (this.#refLocks.get(ref) === chained) this.#refLocks.delete(ref);
    }
  }

  async #ingestBlob(source: BlobSource, expected: ExpectedBlob, ref: string, opts: WriteOptions): Promise<BlobInfo> {
    const signal = opts.signal;
    const dir = join(this.#ingest, ref);
    if (!opts.resume) await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
    let keep = false;
    try {
      const dataPath = join(dir, 'data');
      const saved = opts.keepPartial ? new SavedHash(join(dir, 'hash'), await bootId()) : undefined;
      let hasher: ResumableHash = newResumableHash();
      let size = 0;
      if (opts.resume && (await this.partialSize(ref)) > 0) {
        // What an earlier attempt wrote counts toward the digest: continue the state it saved, then
        // hash the rest of what it wrote (all of it when nothing was saved), then append.
        const from = saved ? await saved.load(await this.partialSize(ref)) : undefined;
        if (from) ({ hasher, size } = from);
        for await (const chunk of createReadStream(dataPath, { highWaterMark: 1 << 20, start: size }) as AsyncIterable<Buffer>) {
          hasher.update(chunk);
          size += chunk.length;
        }
      }
      const fh = await open(dataPath, opts.resume ? 'a' : 'w', 0o444);
      try {
        try {
          await writeChunks(fh, toIterable(source), (chunk) => {
            signal?.throwIfAborted();
            size += chunk.length;
            if (expected.size !== undefined && size > expected.size) {
              throw new InvalidArgument(`content size exceeds the expected ${expected.size} bytes${expected.digest ? ` for ${expected.digest}` : ''}`);
            }
            hasher.update(chunk);
            saved?.note(hasher, size);
          });
          signal?.throwIfAborted();
        } catch (e) {
          // A source that failed (not bytes that were wrong) leaves a partial worth resuming.
          keep = opts.keepPartial === true && !(e instanceof InvalidArgument);
          throw e;
        } finally {
          await fh.datasync().catch(() => undefined);
        }
      } finally {
        saved?.close();
        await fh.close();
      }
      if (expected.size !== undefined && size !== expected.size) {
        throw new InvalidArgument(`unexpected commit size ${size}, expected ${expected.size}${expected.digest ? ` for ${expected.digest}` : ''}`);
      }
      const digest = hasher.digest();
      if (expected.digest !== undefined && digest !== expected.digest) {
        throw new InvalidArgument(`unexpected commit digest ${digest}, expected ${expected.digest}`);
      }
      opts.onCommit?.(digest);
      await mkdir(this.#blobs, { recursive: true });
      // Concurrent writers of the same blob each rename identical bytes; the last rename wins harmlessly.
      await rename(dataPath, this.path(digest));
      await syncDir(this.#blobs);
      return { digest, size };
    } finally {
      if (!keep) await rm(dir, { recursive: true, force: true });
    }
  }

  async adopt(path: string, blob: BlobInfo): Promise<BlobInfo> {
    const target = this.path(blob.digest);
    const have = await this.info(blob.digest);
    if (have) return have;
    const fh = await open(path, 'r');
    try {
      const st = await fh.stat();
      if (st.size !== blob.size) throw new InvalidArgument(`unexpected commit size ${st.size}, expected ${blob.size} for ${blob.digest}`);
      await fh.chmod(0o444);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await mkdir(this.#blobs, { recursive: true });
    await rename(path, target);
    await syncDir(this.#blobs);
    return { digest: blob.digest, size: blob.size };
  }

  async delete(d: Digest): Promise<void> {
    try {
      await unlink(this.path(d));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw notFound(d, e);
      throw e;
    }
  }

  async *list(): AsyncIterable<Digest> {
    let names: string[];
    try {
      names = await readdir(this.#blobs);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw e;
    }
    for (const n of names) {
      const d = `sha256:${n}`;
      if (isDigest(d)) yield d;
    }
  }
}

/** Makes a rename durable: the directory entry is flushed, not only the file's data. */
async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** The blob store at <root>/blobs/sha256/<hex>, ingesting through <root>/ingest/<ref>/. */
export function createContentStore(root: string): ContentStore {
  return new FsContentStore(root);
}

/** How often (bytes) a kept ingest saves its digest's state. */
const HASH_NOTE_EVERY = 4 << 20;
const HASH_RECORD = 512;

/**
 * The digest state of a kept ingest (ingest/<ref>/hash), saved every few MiB so that a resumed
 * write continues it instead of hashing the partial again: one pwrite of a fixed-size record, as
 * containerd keeps its digester's state. Trusted only in the same boot, for at most the partial's size.
 */
class SavedHash {
  #fd: number | undefined;
  #noted = 0;

  constructor(
    readonly file: string,
    readonly boot: string,
  ) {}

  async load(partialSize: number): Promise<{ hasher: ResumableHash; size: number } | undefined> {
    try {
      const rec = JSON.parse(await readFile(this.file, 'utf8')) as { boot?: unknown; size?: unknown; state?: unknown };
      const size = rec.size;
      if (this.boot === '' || rec.boot !== this.boot || typeof rec.state !== 'string' || !Number.isSafeInteger(size)) return undefined;
      if ((size as number) <= 0 || (size as number) > partialSize) return undefined;
      this.#noted = size as number;
      return { hasher: newResumableHash(Buffer.from(rec.state, 'base64')), size: size as number };
    } catch {
      return undefined; // none, unreadable, or not a state this build can continue: hash it all again
    }
  }

  note(hasher: ResumableHash, size: number): void {
    if (size - this.#noted < HASH_NOTE_EVERY || this.boot === '') return;
    const state = hasher.save();
    if (!state) return;
    this.#noted = size;
    try {
      this.#fd ??= openSync(this.file, 'w', 0o600);
      writeRecord(this.#fd, { boot: this.boot, size, state: state.toString('base64') }, HASH_RECORD);
    } catch {
      // A state not saved only costs the next try some hashing.
    }
  }

  close(): void {
    if (this.#fd !== undefined) closeSync(this.#fd);
    this.#fd = undefined;
  }
}
