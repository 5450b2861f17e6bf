import { writeSync } from 'node:fs';
import { mkdir, open, rename, rm, type FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { nodeCrypto } from './crypto.js';

/** Writes a file so that readers see the old content or the new, never a part: temp file, fsync, rename. */
export async function writeFileAtomic(path: string, data: string | Uint8Array, mode = 0o644): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = join(dirname(path), `.${nodeCrypto().randomBytes(6).toString('hex')}.tmp`);
  const fh = await open(tmp, 'w', mode);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}

export async function pathExists(path: string): Promise<boolean> {
  try {
    await (await import('node:fs/promises')).lstat(path);
    return true;
  } catch {
    return false;
  }
}

export function randomHex(bytes: number): string {
  return nodeCrypto().randomBytes(bytes).toString('hex');
}

/** Bytes gathered before one writev: large writes, few trips to the thread pool. */
const BATCH_BYTES = 1 << 20;

/**
 * Writes every chunk of `source` to `fh` at its current position, in batches of about 1 MiB (one
 * writev each) while the next batch is gathered: one write in flight, no await per chunk.
 * `onChunk` sees each chunk before it is written (hashing, size checks; throwing stops the copy).
 * When the source or `onChunk` fails, the chunks accepted before are written, then the error thrown.
 * `onWritten` hears the running total of bytes the file holds after each batch is down.
 */
export async function writeChunks(
  fh: FileHandle,
  source: AsyncIterable<Uint8Array>,
  onChunk?: (chunk: Uint8Array) => void,
  onWritten?: (total: number) => void,
): Promise<void> {
  let batch: Uint8Array[] = [];
  let bytes = 0;
  let written = 0;
  let inFlight: Promise<unknown> | undefined;
  const flush = async (): Promise<void> => {
    if (inFlight) await inFlight;
    const b = batch;
    const n = bytes;
    batch = [];
    bytes = 0;
    inFlight = b.length
      ? writevAll(fh, b).then(() => {
          written += n;
          onWritten?.(written);
        })
      : undefined;
    // Awaited at the next flush; a failure must not go unhandled meanwhile.
    inFlight?.catch(() => undefined);
  };
  try {
    for await (const chunk of source) {
      onChunk?.(chunk);
      batch.push(chunk);
      bytes += chunk.length;
      if (bytes >= BATCH_BYTES) await flush();
    }
  } catch (e) {
    // What arrived before a failing source is written all the same: a resumed download continues it.
    await flush().catch(() => undefined);
    await inFlight?.catch(() => undefined);
    throw e;
  }
  await flush();
  if (inFlight) await inFlight;
}

/** writev until every byte is down (a short write continues where it stopped). */
async function writevAll(fh: FileHandle, chunks: Uint8Array[]): Promise<void> {
  let left = chunks;
  for (;;) {
    const want = left.reduce((n, c) => n + c.length, 0);
    const { bytesWritten } = await fh.writev(left);
    if (bytesWritten >= want) return;
    let skip = bytesWritten;
    const rest: Uint8Array[] = [];
    for (const c of left) {
      if (skip >= c.length) {
        skip -= c.length;
        continue;
      }
      rest.push(skip > 0 ? c.subarray(skip) : c);
      skip = 0;
    }
    left = rest;
  }
}

/**
 * Overwrites the fixed-size record at the start of the file `fd` with `value` as JSON, padded with
 * spaces (JSON.parse reads it back): one pwrite, no rename, for progress noted every few MiB.
 */
export function writeRecord(fd: number, value: unknown, size: number): void {
  const rec = Buffer.alloc(size, ' ');
  const json = JSON.stringify(value);
  if (Buffer.byteLength(json) > size) throw new RangeError(`a record of ${Buffer.byteLength(json)} bytes does not fit in ${size}`);
  rec.write(json);
  writeSync(fd, rec, 0, size, 0);
}
