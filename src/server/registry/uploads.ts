import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, rm, stat, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import type { Hash } from 'node:crypto';
import type { ContentStore } from '../../core/content/index.js';
import { BerthError, isInvalidArgument } from '../../errdefs/index.js';
import { hasherDigest, newHasher, nodeCrypto, type Digest } from '../../util/index.js';
import { registryError } from './errors.js';
import type { RegistryMetadata, UploadRecord } from './metadata.js';

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * Upload sessions: the bytes in <root>/uploads/<uuid>/data, the committed offset in SQLite. A chunk
 * counts only once it is fully written and its new offset recorded; a chunk cut short (client gone,
 * size wrong) is truncated away, so a session survives both disconnects and a server restart.
 */
export class Uploads {
  readonly #dir: string;
  /** One writer per session at a time; a second concurrent PATCH waits, then sees the new offset. */
  readonly #locks = new Map<string, Promise<void>>();
  /**
   * The running SHA-256 of each session this process saw from its first byte, so the commit needs
   * no second pass over the data; sessions resumed after a restart are hashed at commit instead.
   */
  readonly #hashes = new Map<string, { hash: Hash; offset: number }>();

  constructor(
    root: string,
    private readonly meta: RegistryMetadata,
    private readonly content: ContentStore,
  ) {
    this.#dir = join(root, 'uploads');
  }

  #path(uuid: string): string {
    return join(this.#dir, uuid, 'data');
  }

  async start(repo: string): Promise<UploadRecord> {
    const uuid = nodeCrypto().randomUUID();
    await mkdir(join(this.#dir, uuid), { recursive: true });
    await (await open(this.#path(uuid), 'w', 0o600)).close();
    return this.meta.addUpload(uuid, repo);
  }

  /** The session, which must belong to `repo`. */
  get(repo: string, uuid: string): UploadRecord {
    const u = UUID_RE.test(uuid) ? this.meta.upload(uuid) : null;
    if (!u || u.repo !== repo) throw registryError('BLOB_UPLOAD_UNKNOWN', { detail: { uuid } });
    return u;
  }

  /** The upload once the chunk in flight (if any) has settled: its offset is then what the next chunk starts at. */
  settled(repo: string, uuid: string): Promise<UploadRecord> {
    this.get(repo, uuid);
    return this.#locked(uuid, async () => this.get(repo, uuid));
  }

  async #locked<T>(uuid: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.#locks.get(uuid) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((r) => (release = r));
    const chained = previous.then(() => mine);
    this.#locks.set(uuid, chained);
    await previous;
    try {
      return await fn();
    } finally {
      release();
      if (this.#locks.get(uuid) === chained) this.#locks.delete(uuid);
    }
  }

  /**
   * Appends one chunk. `range` is the Content-Range the client declared (start must be the current
   * offset); `length` its Content-Length. Returns the new offset.
   */
  append(repo: string, uuid: string, body: Readable, opts: { range?: { start: number; end: number }; length?: number; signal?: AbortSignal }): Promise<number> {
    return this.#locked(uuid, async () => {
      const u = this.get(repo, uuid);
      if (opts.range) {
        if (opts.range.start !== u.offset) {
          throw registryError('UPLOAD_RANGE_INVALID', { message: `chunk starts at ${opts.range.start}, the upload is at ${u.offset}`, detail: { offset: u.offset } });
        }
        if (opts.length !== undefined && opts.range.end - opts.range.start + 1 !== opts.length) {
          throw registryError('SIZE_INVALID', { message: 'Content-Range does not match Content-Length' });
        }
      }
      const expected = opts.range ? opts.range.end - opts.range.start + 1 : opts.length;
      let written = 0;
      let state = this.#hashes.get(uuid);
      if (state?.offset !== u.offset) state = u.offset === 0 ? { hash: newHasher(), offset: 0 } : undefined;
      this.#hashes.delete(uuid);
      // A chunk that fails is truncated away: the hash goes back to where the chunk began.
      const hash = state?.hash.copy();
      const counter = new Transform({
        transform(chunk: Buffer, _enc, cb) {
          written += chunk.length;
          if (expected !== undefined && written > expected) return cb(registryError('SIZE_INVALID', { message: 'chunk is longer than declared' }));
          hash?.update(chunk);
          cb(null, chunk);
        },
      });
      const out = createWriteStream(this.#path(uuid), { flags: 'r+', start: u.offset });
      try {
        await pipeline(body, counter, out, ...(opts.signal ? [{ signal: opts.signal }] : []));
        if (expected !== undefined && written !== expected) {
          throw registryError('SIZE_INVALID', { message: `received ${written} bytes, ${expected} declared` });
        }
      } catch (e) {
        // A client that went away mid-chunk keeps what reached the disk, as distribution does: the
        // upload's status then names that offset and the client goes on from it. The bytes are
        // taken from the file (what was written, in order), and hashed again at the commit.
        if (clientWentAway(body, e) && (expected === undefined || written <= expected)) {
          const onDisk = (await stat(this.#path(uuid)).catch(() => null))?.size ?? u.offset;
          if (onDisk > u.offset) {
            this.meta.setUploadOffset(uuid, onDisk);
            throw e;
          }
        }
        await truncate(this.#path(uuid), u.offset).catch(() => undefined);
        if (state) this.#hashes.set(uuid, state);
        throw e;
      }
      const offset = u.offset + written;
      this.meta.setUploadOffset(uuid, offset);
      if (hash) this.#hashes.set(uuid, { hash, offset });
      return offset;
    });
  }

  /** Verifies the whole upload against `digest`, moves it into the content store and links it to `repo`. */
  commit(repo: string, uuid: string, digest: Digest, signal?: AbortSignal): Promise<{ digest: Digest; size: number }> {
    return this.#locked(uuid, async () => {
      const u = this.get(repo, uuid);
      // Bytes past the recorded offset belong to a chunk that never completed.
      await truncate(this.#path(uuid), u.offset);
      const state = this.#hashes.get(uuid);
      let info;
      if (state?.offset === u.offset) {
        // Hashed on the way in: the file itself becomes the blob (no copy, no second read).
        const actual = hasherDigest(state.hash.copy());
        if (actual !== digest) throw registryError('DIGEST_INVALID', { message: 'provided digest did not match uploaded content', detail: { digest } });
        info = await this.content.adopt(this.#path(uuid), { digest, size: u.offset });
      } else {
        try {
          info = await this.content.write(createReadStream(this.#path(uuid)), { digest, size: u.offset }, { ...(signal ? { signal } : {}) });
        } catch (e) {
          if (isInvalidArgument(e)) throw registryError('DIGEST_INVALID', { message: 'provided digest did not match uploaded content', detail: { digest }, cause: e });
          throw e;
        }
      }
      this.meta.linkBlob(repo, info.digest, info.size);
      await this.#remove(uuid);
      return info;
    });
  }

  cancel(repo: string, uuid: string): Promise<void> {
    return this.#locked(uuid, async () => {
      this.get(repo, uuid);
      await this.#remove(uuid);
    });
  }

  async #remove(uuid: string): Promise<void> {
    this.#hashes.delete(uuid);
    this.meta.deleteUpload(uuid);
    await rm(join(this.#dir, uuid), { recursive: true, force: true });
  }

  /** Sessions older than `maxAgeMs` (abandoned uploads), for GC. */
  async purge(maxAgeMs: number, dryRun: boolean): Promise<string[]> {
    const cutoff = Date.now() - maxAgeMs;
    const old = this.meta.uploads().filter((u) => u.started < cutoff);
    if (!dryRun) for (const u of old) await this.#locked(u.uuid, () => this.#remove(u.uuid));
    return old.map((u) => u.uuid);
  }

  /** The session's directory names on disk (GC removes orphans). */
  get dir(): string {
    return this.#dir;
  }
}

/** Whether a chunk failed because its request ended early (the client hung up), not for its content. */
function clientWentAway(body: Readable, e: unknown): boolean {
  if (e instanceof BerthError) return false;
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ECONNRESET' || code === 'ERR_STREAM_PREMATURE_CLOSE' || (e as Error | undefined)?.message === 'aborted' || (body.destroyed && !body.readableEnded);
}
